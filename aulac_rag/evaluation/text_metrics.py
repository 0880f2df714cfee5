"""Answer-vs-reference overlap that is correct for Vietnamese.

ragas' ``RougeScore`` uses rouge-score's English tokenizer, which drops every
non-ASCII letter: "Hà Nội" becomes ``h``, ``n``, ``i`` and "bà bế bé" scores 1.0
against "bố bó bụ". Here text is NFC-normalized, lower-cased and split into
syllables on Unicode word characters, so every Vietnamese syllable is one token.
chrF comes from sacrebleu on the NFC text (character n-grams need no tokenizer).
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"\w+", re.UNICODE)
_CITATION = re.compile(r"\s*\[\d+\]")


def strip_citations(text: str) -> str:
    """Remove ``[n]`` citation markers and the extractive answer's opening quotation note (not the answer's content)."""
    from aulac_rag.generation.extractive import strip_quote_note

    return _CITATION.sub("", strip_quote_note(text))


def vi_tokens(text: str) -> list[str]:
    """Lower-cased NFC syllables and numbers: ``"Hà Nội, 80%"`` → ``["hà", "nội", "80"]``."""
    normalized = unicodedata.normalize("NFC", text).lower()
    return [t for t in _TOKEN.findall(normalized) if t != "_"]


def _lcs_length(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(reference: str, response: str) -> float:
    """ROUGE-L F1 over Vietnamese syllables (rouge-score's ``fmeasure`` definition)."""
    ref, hyp = vi_tokens(reference), vi_tokens(response)
    lcs = _lcs_length(ref, hyp)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(hyp), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def chrf(reference: str, response: str) -> float:
    """Sentence chrF (sacrebleu defaults: character 6-grams, β = 2) in [0, 1]."""
    from sacrebleu.metrics import CHRF

    ref = unicodedata.normalize("NFC", reference)
    hyp = unicodedata.normalize("NFC", response)
    if not ref.strip() or not hyp.strip():
        return 0.0
    return float(CHRF().sentence_score(hyp, [ref]).score) / 100.0
