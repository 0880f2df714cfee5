"""Vietnamese ROUGE-L and chrF, and why ragas' RougeScore cannot be used for Vietnamese."""

from __future__ import annotations

import asyncio

import pytest

from aulac_rag.evaluation.ragas_env import ragas_metric_class, single_turn_sample
from aulac_rag.evaluation.text_metrics import chrf, rouge_l, strip_citations, vi_tokens


def ragas_rouge_l(reference: str, response: str) -> float:
    metric = ragas_metric_class("RougeScore")()  # rougeL, fmeasure: ragas' defaults
    return asyncio.run(metric.single_turn_ascore(single_turn_sample(reference=reference, response=response)))


def test_tokens_are_whole_syllables() -> None:
    assert vi_tokens("Hà Nội, 80%!") == ["hà", "nội", "80"]
    decomposed = "Ha\u0300 No\u0323\u0302i"  # the same words typed with combining marks (NFD)
    assert vi_tokens(decomposed) == ["hà", "nội"]


def test_rouge_l_hand_checked() -> None:
    # LCS of [người, bệnh, được, hưởng, 80] and [người, được, hưởng, 95] is [người, được, hưởng] = 3
    # precision 3/4, recall 3/5 -> F1 = 2 * .75 * .6 / 1.35 = 0.6667
    assert rouge_l("Người bệnh được hưởng 80%", "Người được hưởng 95%") == pytest.approx(2 / 3)
    assert rouge_l("Mức hưởng là 80%", "mức hưởng là 80%") == 1.0
    assert rouge_l("abc", "") == 0.0


def test_ragas_rouge_is_wrong_for_vietnamese_and_ours_is_right() -> None:
    # Entirely different words: ragas' ASCII tokenizer reduces both to "b b b".
    assert ragas_rouge_l("bà bế bé", "bố bó bụ") == pytest.approx(1.0)
    assert rouge_l("bà bế bé", "bố bó bụ") == 0.0
    # A realistic pair sharing only "80": ragas sees ["ng", "i", "b", "nh", ...] on both sides.
    reference, response = "Người bệnh được hưởng 80%", "Ngày bán đó hướng 80%"
    assert ragas_rouge_l(reference, response) == pytest.approx(2 / 3)
    assert rouge_l(reference, response) == pytest.approx(0.2)  # 1 shared token of 5 and 5


def test_chrf() -> None:
    assert chrf("Giấy chuyển tuyến có giá trị 10 ngày", "Giấy chuyển tuyến có giá trị 10 ngày") == pytest.approx(1.0)
    assert chrf("Hà Nội", "") == 0.0
    close = chrf("Giấy chuyển tuyến có giá trị 10 ngày", "Giấy chuyển tuyến có giá trị trong 10 ngày làm việc")
    far = chrf("Giấy chuyển tuyến có giá trị 10 ngày", "Học phí thu theo tín chỉ")
    assert 0.5 < close < 1.0
    assert far < 0.2
    # NFC and NFD spellings of the same text score as identical
    assert chrf("Hà Nội", "Ha\u0300 No\u0323\u0302i") == pytest.approx(1.0)


def test_citation_markers_are_not_content() -> None:
    assert strip_citations("Mức 80% [1]. Mức 95% [2][3].") == "Mức 80%. Mức 95%."
