"""Which articles of the Law on Artificial Intelligence each section of a trial report answers to.

Our own short references (article number, clause, point, and the article's title as the law names
it), not a copy of the law: the full text is in ``../shared/data/laws/ai/`` and a test checks that
every reference below exists there with this title. The mapping is data, kept apart from the
trial plan (``trial.yaml``) so that a decree or an amendment changes one table here.

    cite("incidents")   # "Căn cứ: khoản 2 Điều 12 (Trách nhiệm quản lý và xử lý sự cố trí tuệ nhân tạo); …"
"""

from __future__ import annotations

from dataclasses import dataclass

LAW_NAME = "Luật Trí tuệ nhân tạo số 134/2025/QH15"
LAW_SHORT = "Luật Trí tuệ nhân tạo"


@dataclass(frozen=True)
class ArticleRef:
    """One reference: ``article`` (number), optional ``clause`` (khoản) and ``point`` (điểm), the title."""

    article: int
    title: str  # the article's title, word for word (checked against the law's text by a test)
    clause: int | None = None
    point: str | None = None  # "a", "b", …

    @property
    def key(self) -> str:
        """``21``, ``21.3``, ``35.1(a)``."""
        text = str(self.article)
        if self.clause is not None:
            text += f".{self.clause}"
        if self.point:
            text += f"({self.point})"
        return text

    def label(self) -> str:
        """``điểm a khoản 1 Điều 35`` (Vietnamese legal order: point, clause, article)."""
        parts = []
        if self.point:
            parts.append(f"điểm {self.point}")
        if self.clause is not None:
            parts.append(f"khoản {self.clause}")
        parts.append(f"Điều {self.article}")
        return " ".join(parts)

    def citation(self) -> str:
        return f"{self.label()} ({self.title})"


_TITLES: dict[int, str] = {
    4: "Nguyên tắc cơ bản trong hoạt động trí tuệ nhân tạo",
    6: "Ứng dụng trí tuệ nhân tạo trong các ngành, lĩnh vực",
    9: "Phân loại mức độ rủi ro của hệ thống trí tuệ nhân tạo",
    10: "Phân loại và thông báo hệ thống trí tuệ nhân tạo",
    11: "Trách nhiệm minh bạch",
    12: "Trách nhiệm quản lý và xử lý sự cố trí tuệ nhân tạo",
    13: "Đánh giá sự phù hợp đối với hệ thống trí tuệ nhân tạo có rủi ro cao",
    14: "Quản lý hệ thống trí tuệ nhân tạo có rủi ro cao",
    21: "Cơ chế thử nghiệm có kiểm soát đối với trí tuệ nhân tạo",
    35: "Điều khoản chuyển tiếp",
}


def ref(article: int, clause: int | None = None, point: str | None = None) -> ArticleRef:
    return ArticleRef(article, _TITLES[article], clause, point)


#: Report section → the provisions it answers to. Edit here when the law or its decree changes.
SECTION_ARTICLES: dict[str, tuple[ArticleRef, ...]] = {
    # the plan: what is trialled, at which risk level and why, in which sector
    "plan": (ref(21), ref(9), ref(10, 1), ref(6, 2), ref(35, 1, "a")),
    # who may suspend or end the trial, and did
    "states": (ref(21, 3), ref(4, 2)),
    # what users were told and how the system was used
    "usage": (ref(11, 1), ref(14, 1, "c")),
    # the risk controls that refused or escalated questions, with human oversight
    "controls": (ref(14, 1, "a"), ref(14, 1, "d"), ref(14, 2, "b")),
    "incidents": (ref(12, 1), ref(12, 2), ref(12, 3)),
    "feedback": (ref(12, 2, "b"), ref(14, 3)),
    "evaluation": (ref(13, 1), ref(21, 2)),
    "decisions": (ref(21, 2), ref(21, 3)),
    # policy and prompt versions, the audit trail and its signed checkpoint
    "records": (ref(14, 1, "c"), ref(14, 1, "a")),
    "conclusion": (ref(21, 2, "a"), ref(21, 2, "b")),
}


def articles(section: str) -> tuple[ArticleRef, ...]:
    """The references of ``section``; KeyError names the known sections."""
    try:
        return SECTION_ARTICLES[section]
    except KeyError:
        raise KeyError(f"no law references for section {section!r}; known: {', '.join(SECTION_ARTICLES)}") from None


def cite(section: str) -> str:
    """One line for a report: ``Căn cứ Luật Trí tuệ nhân tạo: khoản 3 Điều 21 (…); Điều 4 (…).``"""
    return f"Căn cứ {LAW_SHORT}: " + "; ".join(r.citation() for r in articles(section)) + "."


def all_refs() -> list[ArticleRef]:
    """Every reference used by any section, once, in article order."""
    seen: dict[str, ArticleRef] = {}
    for refs in SECTION_ARTICLES.values():
        for item in refs:
            seen.setdefault(item.key, item)
    return sorted(seen.values(), key=lambda r: (r.article, r.clause or 0, r.point or ""))
