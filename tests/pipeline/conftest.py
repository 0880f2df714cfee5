from __future__ import annotations

import re

from aulac_rag.guardrails.types import OutputVerdict, RuleDecision, Verdict
from aulac_rag.retrieval.types import Hit, RetrievalResult
from tests.generation.conftest import fake_llm  # noqa: F401 - re-exported fixture

HITS = [
    Hit("bhyt-muc-dong.md", "bhyt-muc-dong.md#0", 0.92, "Mức đóng bảo hiểm y tế",
        "Bảo hiểm y tế là loại bảo hiểm bắt buộc. Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương. "
        "Trẻ em dưới 6 tuổi được cấp thẻ bảo hiểm y tế miễn phí."),
    Hit("chuyen-tuyen.md", "chuyen-tuyen.md#2", 0.61, "Chuyển tuyến",
        "Người bệnh được chuyển tuyến khi vượt quá khả năng chuyên môn của cơ sở khám chữa bệnh."),
]  # fmt: skip


class TinyRetriever:
    """Returns fixed hits and records the queries it was asked."""

    def __init__(self, hits: list[Hit] | None = None) -> None:
        self.hits = HITS if hits is None else hits
        self.queries: list[tuple[str, int | None, dict | None]] = []

    def __call__(self, query: str, k: int | None = None, filters: dict | None = None) -> RetrievalResult:
        self.queries.append((query, k, filters))
        return RetrievalResult(query, list(self.hits[: k or len(self.hits)]))


_PHONE = re.compile(r"\b0\d{9}\b")


class RuleGuard:
    """Blocks 'làm giả', redacts phone numbers, adds a disclaimer on output."""

    def check_input(self, text: str) -> Verdict:
        if "làm giả" in text.lower():
            rule = RuleDecision("forged_papers", "block", "Tôi không thể giúp làm giả giấy tờ.")
            return Verdict("block", (rule,), text, rule.message)
        if _PHONE.search(text):
            rule = RuleDecision("pii", "redact", "Đã ẩn số điện thoại.")
            return Verdict("redact", (rule,), self.mask_pii(text), None)
        return Verdict("allow", (), text, None)

    def check_output(self, answer: str, contexts: list[str]) -> OutputVerdict:
        return OutputVerdict(answer, (RuleDecision("disclaimer", "allow", "Thông tin chỉ mang tính tham khảo."),))

    def check_stream(self, sentence: str, contexts: list[str]) -> OutputVerdict:
        return OutputVerdict(sentence)

    def mask_pii(self, text: str) -> str:
        return _PHONE.sub("[SĐT]", text)
