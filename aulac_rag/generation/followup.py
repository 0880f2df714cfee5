"""Follow-up questions without an LLM: does the new question lean on the previous turn?

Three general signals, no topic word lists:

1. discourse markers and anaphora, a small closed class of Vietnamese grammar words:
   an opening "còn / thế còn / vậy / thế thì …", a pronoun ("nó", "họ"), a demonstrative
   after a noun ("khoản đó", "trường hợp này", "như vậy") or a closing "… thì sao?";
2. missing content: few content syllables left once function words are removed;
3. topic similarity between the new and the previous question, by the sandbox's own
   embedder: a question far from the previous one is a topic switch even when it opens
   with "còn", so a marker cannot pull an unrelated (or off-topic) question into the
   previous turn's topic.

Only a dependent question is rewritten: the previous question's content words that the
new one lacks are appended *after* the new question's own words, so a shift ("trả chậm"
after "trả trước hạn") is searched on its new terms first. An independent one is
searched alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.text.normalize import fold_diacritics, has_diacritics

Reason = Literal["no_history", "marker", "short", "similar", "switch", "no_signal"]

#: Function words (with diacritics): question words, particles, pronouns, auxiliaries, connectives.
_FUNCTION_WORDS = (
    "là và của các có được cho không những này với trong thì một khi nào gì bao nhiêu lâu mấy như thế vậy "
    "ai đâu sao tại vì hay hoặc mà để từ về theo đã đang sẽ rằng ra vào lên bị bởi nếu còn rồi lại nữa cũng "
    "nó họ tôi bạn chúng ta mình em anh chị ông bà hãy xin vui lòng cần phải muốn biết hỏi nên "
    "gồm nhé ạ à ư nhỉ hả đó kia ấy đấy cái chiếc "
    "làm sao thế nào ra sao bao giờ chỉ đều rất nhiều ít hơn nhất cả mọi mỗi tất trên dưới ở tới đến "
    "đi thấy luôn vẫn chưa thật liệu"
)
_STOP = frozenset(_FUNCTION_WORDS.split())
#: Function phrases whose syllables are content words alone ("trường" học, hợp đồng).
_STOP_PHRASES = ("trường hợp", "thế nào", "bao nhiêu", "bao lâu", "bao giờ", "ra sao")
#: Without diacritics some function words read as content words: "lai" (lãi), "vay", "the" (thẻ), "no" (nợ) …
_FOLDED_CONTENT = frozenset("vay the bang tren no ho con lai ma chi vi tai sao thay di dung khoan".split())
_STOP_FOLDED = frozenset(fold_diacritics(w) for w in _STOP) - _FOLDED_CONTENT

#: Openings that hand the topic over from the previous turn ("Còn …", "Thế còn …", "Vậy thì …").
_OPENINGS = (
    "thế còn", "vậy còn", "còn nếu", "thế nếu", "vậy nếu", "nếu vậy", "nếu thế", "thế thì", "vậy thì",
    "như vậy thì", "ngoài ra", "với lại", "còn", "vậy", "thế", "rồi", "và", "nhưng",
)  # fmt: skip
#: Words that point back: pronouns, demonstratives after a noun, and endings that ask "what about X".
_ANAPHORA = re.compile(
    r"(?:^|\s)(?:nó|họ|chúng nó)(?:\s|$)"
    r"|(?<!ai)(?<!nào)(?<!gì)(?<!đâu)\s(?:đó|này|ấy|đấy|kia)(?:\s|$)"
    r"|(?:như|bị|được) (?:vậy|thế|trên)(?:\s|$)"
    r"|thì sao$|thì thế nào$|thì như thế nào$"
)
#: The same without diacritics, where "no", "ho", "do", "nay" are also ordinary words: fewer, longer forms.
_ANAPHORA_FOLDED = re.compile(
    r"(?:khoan|truong hop|muc|loai|cai|viec|dieu|cho|luc|khi) (?:do|nay|ay)(?:\s|$)"
    r"|nhu (?:vay|the|tren)(?:\s|$)|thi sao$|thi the nao$"
)
#: Openings that are ordinary words too: "thế nào …" (how), and without diacritics "the" (thẻ), "vay" (vay).
_NOT_OPENING = {"thế": frozenset({"nào"})}
_AMBIGUOUS_FOLDED = frozenset({"the", "vay", "ma", "va"})
#: After an opening "con" typed without diacritics, these mean "my child …", not "còn".
_CHILD_NEXT = frozenset("toi minh em cua nho gai trai ban anh chi be".split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class FollowupSettings(BaseModel):
    """Thresholds of the dependency decision (chosen on the non-held-out follow-up sets, bench/RESULTS.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_content_words: int = Field(4, ge=0, le=20)  # this many content syllables or fewer: the question lacks content
    #: similarities are cosines of vectors centred on the mean of general questions (background_texts): an
    #: embedder's raw cosines crowd together (0.75–0.90 for any two Vietnamese questions), centred ones spread out
    min_similarity: float = Field(-0.05, ge=-1.0, le=1.0)  # below: a topic switch, even with a marker
    high_similarity: float = Field(0.40, ge=-1.0, le=1.0)  # at or above: a continuation, even without a marker
    max_added_words: int = Field(8, ge=1, le=40)  # previous-turn syllables appended to a question with no content
    min_added_words: int = Field(2, ge=1, le=40)  # … and to one that says a lot on its own
    own_word_cost: int = Field(2, ge=0, le=10)  # each content syllable of the question's own borrows this many fewer


@dataclass(frozen=True)
class FollowupDecision:
    """Whether ``question`` depends on the previous turn, why, and what to search."""

    dependent: bool
    reason: Reason
    search: str  # the question to search: the new question alone, or with the previous turn's words appended
    markers: tuple[str, ...] = ()
    content_words: int = 0
    similarity: float | None = None
    added: tuple[str, ...] = ()


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def _tagged(text: str) -> list[tuple[str, bool]]:
    """The syllables of ``text``, lower-cased, each with whether it is a function word."""
    words = _words(text)
    folded = not has_diacritics(text)
    stops = [(fold_diacritics(w) in _STOP_FOLDED) if folded else (w in _STOP) for w in words]
    keys = [fold_diacritics(w) for w in words] if folded else words
    for phrase in _STOP_PHRASES:
        parts = (fold_diacritics(phrase) if folded else phrase).split()
        for i in range(len(keys) - len(parts) + 1):
            if keys[i : i + len(parts)] == parts:
                stops[i : i + len(parts)] = [True] * len(parts)
    return list(zip(words, stops, strict=True))


def content_words(text: str) -> list[str]:
    """The syllables of ``text`` that are not function words (digits count as content)."""
    return [w for w, stop in _tagged(text) if not stop]


def markers(text: str) -> tuple[str, ...]:
    """The discourse markers and anaphoric words of ``text`` (empty: none)."""
    words = _words(text)
    if not words:
        return ()
    folded = not has_diacritics(text)
    joined = " ".join(words)
    found: list[str] = []
    probe = fold_diacritics(joined) if folded else joined
    for opening in _OPENINGS:
        key = fold_diacritics(opening) if folded else opening
        if probe != key and not probe.startswith(key + " "):
            continue
        nxt = probe[len(key) :].split()[:1]
        if folded and (key in _AMBIGUOUS_FOLDED or (key == "con" and nxt and nxt[0] in _CHILD_NEXT)):
            break
        if nxt and nxt[0] in _NOT_OPENING.get(opening, ()):
            break
        found.append(opening)
        break
    pattern = _ANAPHORA_FOLDED if folded else _ANAPHORA
    found += [m.group(0).strip() for m in pattern.finditer(probe)]
    return tuple(dict.fromkeys(found))


class TermStats:
    """How many of a sandbox's chunks hold each syllable pair (folded): how general a word is there."""

    def __init__(self, texts: Iterable[str]) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        chunks = 0
        for text in texts:
            chunks += 1
            words = [fold_diacritics(w) for w in _words(text)]
            counts.update(set(zip(words, words[1:], strict=False)))
        self.chunks = chunks
        self.pairs = counts

    def share(self, pair: tuple[str, str]) -> float:
        """Share of the chunks holding ``pair`` (0 for an empty corpus)."""
        return self.pairs.get((fold_diacritics(pair[0]), fold_diacritics(pair[1])), 0) / self.chunks if self.chunks else 0.0


def previous_terms(previous: str, question: str, limit: int, stats: TermStats | None = None) -> tuple[str, ...]:
    """The previous question's content phrases that ``question`` lacks, ``limit`` syllables at most, in their own order.

    A phrase is a run of adjacent content syllables ("bảo hiểm tiền gửi"), kept together so the
    sparse index's syllable pairs still match; a phrase all of whose syllables the new question
    already has is left out. When they do not all fit, the most *general* words of the sandbox
    (the syllable pairs found in the most chunks, ``stats``) are kept: a question that brings
    its own specifics ("trả chậm") borrows the topic ("trả nợ"), not the previous specifics
    ("trước hạn"). Without ``stats``, phrases are taken first to last and the last one cut.
    """
    have = {fold_diacritics(w) for w in content_words(question)}
    runs: list[list[str]] = [[]]
    for word, stop in _tagged(previous):
        if stop:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(word)
    runs = [r for r in runs if r and not all(fold_diacritics(w) in have for w in r)]
    words = [w for r in runs for w in r]
    if len(words) <= limit or stats is None or not stats.chunks:
        return tuple(_cut(runs, limit))
    starts = [sum(len(r) for r in runs[:i]) for i in range(len(runs))]
    pairs = [(starts[i] + j, run[j], run[j + 1]) for i, run in enumerate(runs) for j in range(len(run) - 1)]
    chosen: set[int] = set()
    for at, _, _ in sorted(pairs, key=lambda p: (-stats.share((p[1], p[2])), p[0])):
        if len(chosen | {at, at + 1}) <= limit:
            chosen |= {at, at + 1}
    for i, run in enumerate(runs):  # one-syllable phrases, in order, while room is left
        if len(run) == 1 and len(chosen) < limit:
            chosen.add(starts[i])
    spans: list[list[str]] = []
    for i, run in enumerate(runs):
        spans.append([])
        for j, word in enumerate(run):
            if starts[i] + j in chosen:
                spans[-1].append(word)
            elif spans[-1]:
                spans.append([])
    return tuple(" ".join(span) for span in spans if span)


def _cut(runs: list[list[str]], limit: int) -> list[str]:
    out: list[str] = []
    left = limit
    for run in runs:
        if left <= 0:
            break
        out.append(" ".join(run[:left]))
        left -= len(run[:left])
    return out


def added_budget(settings: FollowupSettings, own: int) -> int:
    """How many previous-turn syllables a question with ``own`` content syllables borrows: the more it says, the fewer."""
    return max(settings.min_added_words, settings.max_added_words - settings.own_word_cost * own)


def background_texts() -> list[str]:
    """General questions of every bundled domain and everyday topics: what "any question" looks like to the embedder."""
    from aulac_rag.guardrails.lexicons.scope import DOMAIN_TOPICS, OFF_TOPIC

    return list(dict.fromkeys([*OFF_TOPIC, *(t for topics in DOMAIN_TOPICS.values() for t in topics)]))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


class FollowupResolver:
    """Decides whether a question depends on the previous turn, and rewrites it when it does.

    ``embedder`` is a callable returning the sandbox's embedder (called lazily, on the first
    follow-up), or None: then only the markers and the missing-content signal vote. An
    embedder that fails raises: the pipeline fails closed rather than guess. ``texts``
    returns the sandbox's chunk texts, read once, for :class:`TermStats` (None: borrowed
    words are taken in order).
    """

    def __init__(
        self,
        embedder: Callable[[], Any] | None = None,
        settings: FollowupSettings | None = None,
        *,
        texts: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        if embedder is not None and not callable(embedder):
            raise TypeError(f"embedder must be a callable returning an embedder, got {embedder!r}")
        if texts is not None and not callable(texts):
            raise TypeError(f"texts must be a callable returning the sandbox's chunk texts, got {texts!r}")
        self.embedder = embedder
        self.texts = texts
        self._stats: TermStats | None = None
        self.settings = settings or FollowupSettings()
        self._center: np.ndarray | None = None  # mean embedding of background_texts(), computed on first use

    def stats(self) -> TermStats | None:
        """Pair frequencies of the sandbox's chunks, read once on first need (None: no ``texts``)."""
        if self._stats is None and self.texts is not None:
            self._stats = TermStats(self.texts())
        return self._stats

    def similarity(self, question: str, previous: str) -> float | None:
        """Centred cosine of the two questions' embeddings (None without an embedder)."""
        embedder = self.embedder() if self.embedder is not None else None
        if embedder is None:
            return None
        if self._center is None:
            self._center = np.asarray(embedder.embed_queries(background_texts()), dtype=np.float32).mean(axis=0)
        vectors = np.asarray(embedder.embed_queries([question, previous]), dtype=np.float32) - self._center
        return round(cosine(vectors[0], vectors[1]), 4)

    def run(self, question: str, history: Sequence[tuple[str, str]] = ()) -> FollowupDecision:
        previous = next((q for q, _ in reversed(history) if q.strip()), "")
        if not previous:
            return FollowupDecision(False, "no_history", question)
        s = self.settings
        found = markers(question)
        count = len(content_words(question))
        sim = self.similarity(question, previous)
        if count == 0:
            reason: Reason = "short"  # nothing of its own ("thì sao?"): it can only mean the previous topic
        elif sim is not None and sim < s.min_similarity:
            reason = "switch"
        elif found:
            reason = "marker"
        elif count <= s.max_content_words:
            reason = "short"
        elif sim is not None and sim >= s.high_similarity:
            reason = "similar"
        else:
            reason = "no_signal"
        dependent = reason in ("marker", "short", "similar")
        if not dependent:
            return FollowupDecision(False, reason, question, found, count, sim)
        added = previous_terms(previous, question, added_budget(s, count), self.stats())
        return FollowupDecision(True, reason, with_context(question, added), found, count, sim, added)


def with_context(question: str, added: Sequence[str]) -> str:
    """The question with the borrowed phrases in brackets before its final mark, so it reads as a sentence
    when shown ("Còn trẻ em thì sao (mức đóng bảo hiểm y tế)?"); the search sees the same words."""
    if not added:
        return question
    text = question.strip()
    body = text.rstrip("?.!… ")
    return f"{body} ({', '.join(added)}){text[len(body):].strip()}"
