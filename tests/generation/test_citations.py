from __future__ import annotations

import random

import pytest

from aulac_rag.generation import CitationStreamFilter, check_citations


class TestCheckCitations:
    def test_valid_kept(self) -> None:
        result = check_citations("A [1]. B [2].", 2)
        assert (result.text, result.cited, result.invalid) == ("A [1]. B [2].", (1, 2), ())

    def test_invented_removed_and_reported(self) -> None:
        result = check_citations("Mức đóng là 4,5% [1]. Trẻ em miễn phí [9].", 3)
        assert result.text == "Mức đóng là 4,5% [1]. Trẻ em miễn phí."
        assert result.cited == (1,) and result.invalid == (9,)

    def test_groups_normalized(self) -> None:
        result = check_citations("X [1, 3]; Y [2;7] Z [0]", 3)
        assert result.text == "X [1][3]; Y [2] Z"
        assert result.cited == (1, 3, 2) and result.invalid == (7, 0)

    def test_plain_brackets_untouched(self) -> None:
        assert check_citations("Điều [a] và [ghi chú]", 1).text == "Điều [a] và [ghi chú]"


@pytest.mark.parametrize("seed", range(25))
def test_stream_filter_matches_whole_text_check(seed: int) -> None:
    text = "Mức đóng là 4,5% [1]. Trẻ em [9] miễn phí [2, 7]. Xem [ghi chú] và [3][12]."
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(text)), 8))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    filt = CitationStreamFilter(3)
    streamed = "".join(filt.feed(p) for p in pieces) + filt.flush()
    assert streamed == check_citations(text, 3).text
