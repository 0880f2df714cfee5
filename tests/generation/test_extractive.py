from __future__ import annotations

import pytest

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError
from aulac_rag.generation import NOT_FOUND_ANSWER, ExtractiveGenerator, PromptBuilder, load_generator
from aulac_rag.retrieval.types import Hit

HITS = [
    Hit("bhyt.md", "bhyt.md#0", 0.9, "Mức đóng BHYT",
        "Bảo hiểm y tế là loại bảo hiểm bắt buộc. Mức đóng hằng tháng bằng 4,5% tiền lương. Trẻ em dưới 6 tuổi được cấp thẻ miễn phí."),
    Hit("thue.md", "thue.md#0", 0.5, "Thuế", "Người lao động nộp thuế thu nhập cá nhân theo biểu lũy tiến."),
]  # fmt: skip


def _answer(question: str, **kw: object) -> str:
    prompt = PromptBuilder().run(question, HITS)
    return "".join(ExtractiveGenerator(**kw).stream(prompt))


class TestExtractive:
    def test_defaults(self) -> None:
        gen = ExtractiveGenerator()
        assert (gen.name, gen.mode, gen.model, gen.max_sentences) == ("extractive", "extractive", "extractive", 3)
        assert isinstance(load_generator(GenerationConfig(extractive_sentences=2)), ExtractiveGenerator)
        assert load_generator(GenerationConfig(extractive_sentences=2)).max_sentences == 2

    @pytest.mark.parametrize(
        ("kw", "needle"), [({"max_sentences": 0}, "max_sentences"), ({"min_overlap": 2}, "min_overlap")]
    )
    def test_invalid(self, kw: dict, needle: str) -> None:
        with pytest.raises(ConfigError, match=needle):
            ExtractiveGenerator(**kw)

    def test_quotes_the_best_sentence_with_its_number(self) -> None:
        answer = _answer("Mức đóng hằng tháng là bao nhiêu?", max_sentences=1)
        assert answer == "Mức đóng hằng tháng bằng 4,5% tiền lương [1]."

    def test_diacritics_insensitive(self) -> None:
        assert (
            _answer("muc dong hang thang bao nhieu", max_sentences=1) == "Mức đóng hằng tháng bằng 4,5% tiền lương [1]."
        )

    def test_cites_the_right_context(self) -> None:
        assert _answer("thuế thu nhập cá nhân nộp thế nào", max_sentences=1).endswith("[2].")

    def test_nothing_matches(self) -> None:
        assert _answer("Cách nấu phở bò?") == NOT_FOUND_ANSWER

    def test_follow_up_focus_wins(self) -> None:
        prompt = PromptBuilder().run(
            "Mức đóng hằng tháng là bao nhiêu? Còn trẻ em thì sao?", HITS, focus="Còn trẻ em thì sao?"
        )
        first = next(iter(ExtractiveGenerator().stream(prompt)))
        assert first.startswith("Trẻ em dưới 6 tuổi")
