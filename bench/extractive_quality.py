"""Quality of the offline ``extractive`` answers on the bundled sandboxes' eval sets.

Usage: python bench/extractive_quality.py [--sandboxes healthcare,finance,education] [--refresh]

Each sandbox's demo corpus is ingested once under bench/out/home and every eval question is
retrieved once with the sandbox's own settings; the hits are cached in
bench/out/extractive_hits.json, so the generator alone is measured (and re-measured cheaply).

Split: items whose id hashes into the last third (sha1 of the id) are HELD OUT; tune on the
rest (``--split dev``), report ``--split held`` first. Metrics per answer, the quotation note
and ``[n]`` stripped: token F1 and recall of the reference's content syllables (function words
dropped), ROUGE-L, the share of the reference's numbers found in the answer (number recall),
whether an answer to a quantity question ("bao nhiêu", "mức", "bao lâu"…) states a number at
all, and whether a quoted sentence starts with a lower-case letter (a clipped fragment).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.evaluation.text_metrics import rouge_l, strip_citations, vi_tokens  # noqa: E402
from aulac_rag.generation import ExtractiveGenerator, PromptBuilder  # noqa: E402
from aulac_rag.generation.extractive import strip_quote_note  # noqa: E402
from aulac_rag.generation.lexical import STOPWORDS, asks_quantity  # noqa: E402
from aulac_rag.retrieval.types import Hit  # noqa: E402
from aulac_rag.text.normalize import fold_diacritics  # noqa: E402
from bench.common import OUT, ROOT, machine, read_jsonl  # noqa: E402

SANDBOXES = ("healthcare", "finance", "education")
HITS_FILE = OUT / "extractive_hits.json"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def held_out(item_id: str) -> bool:
    """A fixed third of the items, by a hash of the id: never used for tuning."""
    return int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 3 == 0


def retrieve_all(names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every eval item of each sandbox with its retrieved hits (the sandbox's k and fusion)."""
    from aulac_rag.sandbox import Sandbox

    out: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        box = Sandbox(name, OUT / "home")
        try:
            if box.stats()["chunks"] == 0:
                box.ingest_demo(progress=False)
            rows = []
            for item in read_jsonl(ROOT / "sandboxes" / name / "eval.jsonl"):
                hits = box.retrieve(item["question"]).hits
                rows.append({**item, "hits": [h.to_dict() for h in hits]})
            out[name] = rows
            print(f"  retrieved {name}: {len(rows)} questions", flush=True)
        finally:
            box.close()
    return out


def load_hits(names: list[str], refresh: bool) -> dict[str, list[dict[str, Any]]]:
    cached: dict[str, list[dict[str, Any]]] = {}
    if HITS_FILE.exists() and not refresh:
        cached = json.loads(HITS_FILE.read_text(encoding="utf-8"))
    missing = [n for n in names if n not in cached]
    if missing:
        cached.update(retrieve_all(missing))
        OUT.mkdir(parents=True, exist_ok=True)
        HITS_FILE.write_text(json.dumps(cached, ensure_ascii=False), encoding="utf-8")
    return {n: cached[n] for n in names}


def content_tokens(text: str) -> list[str]:
    return [t for t in vi_tokens(text) if fold_diacritics(t) not in STOPWORDS]


def _f1_recall(reference: str, answer: str) -> tuple[float, float]:
    ref, hyp = content_tokens(reference), content_tokens(answer)
    if not ref or not hyp:
        return 0.0, 0.0
    common = sum(min(ref.count(t), hyp.count(t)) for t in set(ref))
    if common == 0:
        return 0.0, 0.0
    precision, recall = common / len(hyp), common / len(ref)
    return 2 * precision * recall / (precision + recall), recall


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def clean(answer: str) -> str:
    return strip_citations(answer).strip()  # the quotation note goes with the citations


_QUOTE_END = re.compile(r"(?:\s*\[\d+\])+[.!?…]?\s*")


def lower_start(answer: str) -> float:
    """1.0 when a quoted sentence of the answer starts with a lower-case letter (a clipped fragment)."""
    body = strip_quote_note(answer)
    return float(any(p.strip()[:1].islower() for p in _QUOTE_END.split(body) if p.strip()))


def score(reference: str, answer: str, question: str = "") -> dict[str, float]:
    text = clean(answer)
    f1, recall = _f1_recall(reference, text)
    ref_numbers = _numbers(reference)
    row = {"f1": f1, "recall": recall, "rouge_l": rouge_l(reference, text), "words": float(len(vi_tokens(text)))}
    row["lower"] = lower_start(answer)
    if ref_numbers and asks_quantity(question):  # a quantity was asked and the reference gives one
        row["has_number"] = float(bool(_numbers(text)))
    if ref_numbers:
        row["numbers"] = len(ref_numbers & _numbers(text)) / len(ref_numbers)
    return row


def answer(generator: ExtractiveGenerator, item: dict[str, Any]) -> str:
    hits = [Hit(**h) for h in item["hits"]]
    prompt = PromptBuilder().run(item["question"], hits)
    return "".join(generator.stream(prompt))


def evaluate(
    data: dict[str, list[dict[str, Any]]], make: Callable[[], ExtractiveGenerator], split: str
) -> dict[str, dict[str, float]]:
    """Mean metrics (in %, words as a count) per sandbox and overall for ``split`` (held, dev, all)."""
    generator = make()
    per: dict[str, list[dict[str, float]]] = {}
    for name, items in data.items():
        for item in items:
            if split != "all" and held_out(item["id"]) != (split == "held"):
                continue
            per.setdefault(name, []).append(score(item["reference"], answer(generator, item), item["question"]))
    per["all"] = [row for rows in list(per.values()) for row in rows]
    return {name: _mean(rows) for name, rows in per.items()}


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {"n": float(len(rows))}
    for key in ("f1", "recall", "rouge_l", "numbers", "has_number", "lower", "words"):
        values = [r[key] for r in rows if key in r]
        scale = 1.0 if key == "words" else 100.0
        out[key] = scale * sum(values) / len(values) if values else float("nan")
    out["n_numbers"] = float(sum(1 for r in rows if "numbers" in r))
    out["n_quantity"] = float(sum(1 for r in rows if "has_number" in r))
    return out


def table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| set | n | token F1 | content recall | ROUGE-L | number recall (n) | quantity asked: answer has a number (n) "
        "| lower-case start % | words |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results.items():
        lines.append(
            f"| {name} | {m['n']:.0f} | {m['f1']:.1f} | {m['recall']:.1f} | {m['rouge_l']:.1f} "
            f"| {m['numbers']:.1f} ({m['n_numbers']:.0f}) | {m['has_number']:.1f} ({m['n_quantity']:.0f}) "
            f"| {m['lower']:.1f} | {m['words']:.0f} |"
        )
    return "\n".join(lines)


GRID = {
    "keep_ratio": (0.5, 0.6, 0.7, 0.8, 0.9),
    "quantity_bonus": (0.0, 0.25, 0.5, 1.0),
    "heading_weight": (0.0, 0.5),
    "rank_bonus": (0.0, 0.25, 0.5, 1.0),
}


def objective(m: dict[str, float]) -> float:
    """What tuning maximizes: token F1, plus a quarter of the share of reference numbers kept."""
    return m["f1"] + 0.25 * m["numbers"]


def tune(data: dict[str, list[dict[str, Any]]], sentences: int) -> dict[str, float]:
    """Grid search on the dev split only; prints the best settings and returns them."""
    import functools
    import itertools

    results: list[tuple[float, dict[str, float], dict[str, float]]] = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        m = evaluate(data, functools.partial(ExtractiveGenerator, max_sentences=sentences, **params), "dev")["all"]
        results.append((objective(m), params, m))
    results.sort(key=lambda r: r[0], reverse=True)
    for value, params, m in results[:8]:
        print(
            f"  dev objective {value:.1f}  F1 {m['f1']:.1f}  numbers {m['numbers']:.1f}  words {m['words']:.0f}  {params}"
        )
    return results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandboxes", default=",".join(SANDBOXES))
    parser.add_argument("--split", choices=("held", "dev", "all"), default="held")
    parser.add_argument("--refresh", action="store_true", help="retrieve again (re-ingest when the index is empty)")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--tune", action="store_true", help="grid-search the settings on the dev split first")
    args = parser.parse_args()
    data = load_hits(args.sandboxes.split(","), args.refresh)
    print(f"machine: {machine()}")
    params: dict[str, float] = tune(data, args.sentences) if args.tune else {}
    print(
        f"split: {args.split}; extractive max_sentences={args.sentences} {params or '(defaults)'}; "
        "hits: each sandbox's own retrieval settings"
    )
    print(table(evaluate(data, lambda: ExtractiveGenerator(max_sentences=args.sentences, **params), args.split)))


if __name__ == "__main__":
    main()
