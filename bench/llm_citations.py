"""Citations on a real small model's answers: before and after attribution, plain and structured output.

Usage (the stand-in LLM running: ``bash ../shared/tools/llm_standin.sh``):

    nice python bench/llm_citations.py [--limit 10] [--sandboxes healthcare,education,finance]
        [--modes off,json_object] [--base-url http://127.0.0.1:8011/v1] [--model aulac-llm]

For each bundled sandbox its demo corpus is ingested under ``--home`` (bench/out/home, shared with
the other benchmarks; embeddings are cached by content) and ``--limit`` questions of its evaluation
set (a fixed order: sha1 of the id) go through the real pipeline (``build_pipeline``: retrieval, the
sandbox's prompt, guard and rails) with the openai-compatible backend pointed at the model, once
per ``--modes`` entry (``generation.structured_output``: off, json_schema or json_object).

What the model produced is recorded as it left the backend (the generator's chunks: the model's
text, or with structured output the JSON already rendered as ``text [n].``). Sentences are the
citation rail's: claims (five words or a number; not questions, list headings or the not-found
reply), split as the rail splits them. Per sandbox and mode:

- ``cited_before``: share of claim sentences whose ``[n]`` points to a real context, on the raw text;
- ``cited_after``: the same after :class:`CitationAttributor` (run on the raw text exactly as the
  pipeline runs it); ``replaced``: the rest, which the citation rail replaces by
  "(không đủ căn cứ trong tài liệu)";
- ``answers_cited_before`` / ``answers_cited_final``: answers with at least one valid citation in
  the raw text / in the final answer the user gets;
- verification of the model's own sources (the attributor's default): ``named_kept_pct``, the share
  of model-named citations (of existing passages, in the sentences the attributor judges) kept
  because their passage supports the sentence; ``reattributed`` / ``unsupported``: sentences none
  of whose named passages did, given the best-supported passage instead / left uncited (replaced by
  the rail); ``cited_after_trusted_pct`` and ``gold_doc_after_trusted_pct``: the same shares as
  ``cited_after`` and ``gold_doc_after`` with the model's sources trusted (``verify=False``).

Writes bench/out/llm_citations.json (every answer, raw and final) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.generation.attribution import DEFAULT_THRESHOLD, CitationAttributor  # noqa: E402
from aulac_rag.generation.base import Prompt  # noqa: E402
from aulac_rag.generation.prompting import is_not_found  # noqa: E402
from aulac_rag.guardrails.rails.answer_rails import split_sentences  # noqa: E402
from bench.common import OUT, ROOT, machine, read_jsonl  # noqa: E402

SANDBOXES = ("healthcare", "education", "finance")
_CITATION = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")
_BULLET = re.compile(r"^(\s*(?:[-*•+]|\d{1,2}[.)])\s+)")
REPLACEMENT = "(không đủ căn cứ trong tài liệu)"


def claims(text: str, n_contexts: int) -> list[list[int]]:
    """For each claim sentence of ``text`` (the citation rail's rules), the real contexts it cites."""
    if is_not_found(text.strip()):
        return []
    out = []
    for line in text.split("\n"):
        bullet = _BULLET.match(line)
        for sentence in split_sentences(line[bullet.end() if bullet else 0 :]):
            bare = _CITATION.sub("", sentence).strip()
            if not bare or bare.endswith((":", "?")) or bare == REPLACEMENT or bare.startswith("#"):
                continue
            if len(re.findall(r"\w+", bare)) < 5 and not re.search(r"\d", bare):
                continue
            numbers = [int(x) for m in _CITATION.finditer(sentence) for x in re.findall(r"\d+", m.group(1))]
            out.append([x for x in numbers if 1 <= x <= n_contexts])
    return out


def attribute(
    text: str, contexts: list[str], threshold: float = DEFAULT_THRESHOLD, verify: bool = True
) -> tuple[str, CitationAttributor]:
    attributor = CitationAttributor(contexts, threshold, verify=verify)
    return attributor.feed(text) + attributor.flush(), attributor


class Tap(Iterator[str]):
    """Passes a backend's stream through, keeping its chunks (and its ``notes`` visible to the pipeline)."""

    def __init__(self, inner: Iterator[str]) -> None:
        self.inner = iter(inner)
        self.chunks: list[str] = []

    def __next__(self) -> str:
        chunk = next(self.inner)
        self.chunks.append(chunk)
        return chunk

    @property
    def notes(self) -> list[Any]:
        return list(getattr(self.inner, "notes", []))

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def questions(name: str, limit: int) -> list[dict[str, Any]]:
    items = read_jsonl(ROOT / "sandboxes" / name / "eval.jsonl")
    items.sort(key=lambda i: hashlib.sha1(i["id"].encode()).hexdigest())
    return items[:limit]


def run_sandbox(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from aulac_rag.pipeline.factory import build_pipeline
    from aulac_rag.sandbox import Sandbox

    box = Sandbox(name, args.home)
    rows: list[dict[str, Any]] = []
    try:
        if box.stats()["chunks"] == 0:
            box.ingest_demo(progress=False)
        items = questions(name, args.limit)
        for mode in args.modes:
            generation = box.config.generation.model_copy(
                update={
                    "backend": "openai-compatible",
                    "base_url": args.base_url,
                    "model": args.model,
                    "structured_output": mode,
                    "fallback": "none",
                    "timeout_s": args.timeout,
                    "max_retries": 0,
                    "max_tokens": args.max_tokens,
                }
            )
            box.config = box.config.model_copy(update={"generation": generation})
            pipeline = build_pipeline(box, audit=False)
            generator = pipeline.generate.generator
            taps: list[tuple[Prompt, Tap]] = []
            original = generator.stream

            def stream(prompt: Prompt, original: Any = original, taps: list = taps) -> Iterator[str]:
                tap = Tap(original(prompt))
                if prompt.contexts:
                    taps.append((prompt, tap))
                return tap

            generator.stream = stream  # type: ignore[method-assign]
            for item in items:
                taps.clear()
                started = time.perf_counter()
                answer = pipeline.run(item["question"])
                seconds = time.perf_counter() - started
                row: dict[str, Any] = {
                    "sandbox": name,
                    "mode": mode,
                    "id": item["id"],
                    "question": item["question"],
                    "seconds": round(seconds, 2),
                    "final": answer.answer,
                    "notes": [g.rule for g in answer.guardrails],
                    "generated": bool(taps),
                }
                if taps:
                    prompt, tap = taps[-1]
                    contexts = [c.text for c in prompt.contexts]
                    rendered = "".join(tap.chunks)
                    row.update(
                        n_contexts=len(contexts),
                        contexts=contexts,
                        context_docs=[c.doc_id for c in prompt.contexts],
                        gold_docs=item.get("reference_doc_ids", []),
                        model_text="".join(getattr(tap.inner, "raw", [])) or rendered,
                        rendered=rendered,
                        not_found=is_not_found(rendered.strip()),
                        final_cited=bool(re.search(r"\[\d+\]", answer.answer)),
                        stream_notes=[n.message for n in tap.notes],
                    )
                rows.append(score(row))
                print(
                    json.dumps({k: row.get(k) for k in ("sandbox", "mode", "id", "seconds", "before", "after")}),
                    flush=True,
                )
            generator.stream = original  # type: ignore[method-assign]
    finally:
        box.close()
    return rows


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def score(row: dict[str, Any], threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """``row`` with its claims before and after attribution (what the pipeline's attributor adds, rerun)."""
    if not row["generated"]:
        return row
    contexts = row["contexts"]
    attributed, attributor = attribute(row["rendered"], contexts, threshold)
    trusted, _ = attribute(row["rendered"], contexts, threshold, verify=False)
    row.update(
        attributed=attributed,
        before=claims(row["rendered"], len(contexts)),
        after=claims(attributed, len(contexts)),
        after_trusted=claims(trusted, len(contexts)),
        named=attributor.named,
        kept=attributor.kept,
        reattributed=attributor.reattributed,
        unsupported=attributor.unsupported,
    )
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    generated = [r for r in rows if r["generated"]]
    before = [c for r in generated for c in r["before"]]
    after = [c for r in generated for c in r["after"]]

    def gold(row: dict[str, Any], cited: list[int]) -> bool:
        return any(row["context_docs"][n - 1] in row["gold_docs"] for n in cited)

    cited_before = [(r, c) for r in generated for c in r["before"] if c]
    cited_after = [(r, c) for r in generated for c in r["after"] if c]
    after_trusted = [c for r in generated for c in r["after_trusted"]]
    cited_trusted = [(r, c) for r in generated for c in r["after_trusted"] if c]
    named = sum(r["named"] for r in generated)
    return {
        "questions": len(rows),
        "generated": len(generated),
        "not_found_answers": sum(1 for r in generated if r["not_found"]),
        "sentences": len(before),
        "sentences_after": len(after),
        "cited_before_pct": pct(len(cited_before), len(before)),
        "cited_after_pct": pct(len(cited_after), len(after)),
        "replaced_pct": pct(len(after) - len(cited_after), len(after)),
        # of the cited sentences, those citing a passage of the question's gold document
        "gold_doc_before_pct": pct(sum(gold(r, c) for r, c in cited_before), len(cited_before)),
        "gold_doc_after_pct": pct(sum(gold(r, c) for r, c in cited_after), len(cited_after)),
        "answers_cited_before": sum(1 for r in generated if any(r["before"])),
        "answers_cited_after": sum(1 for r in generated if any(r["after"])),
        "answers_cited_final": sum(1 for r in generated if r["final_cited"]),
        "named_citations": named,
        "named_kept_pct": pct(sum(r["kept"] for r in generated), named),
        "reattributed": sum(r["reattributed"] for r in generated),
        "unsupported": sum(r["unsupported"] for r in generated),
        "cited_after_trusted_pct": pct(len(cited_trusted), len(after_trusted)),
        "gold_doc_after_trusted_pct": pct(sum(gold(r, c) for r, c in cited_trusted), len(cited_trusted)),
        "invalid_json_answers": sum(1 for r in generated if any("JSON" in n for n in r["stream_notes"])),
        "median_seconds": sorted(r["seconds"] for r in rows)[len(rows) // 2] if rows else None,
    }


def summaries(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = dict.fromkeys(f"{r['sandbox']}/{r['mode']}" for r in rows)
    return {k: summarize([r for r in rows if f"{r['sandbox']}/{r['mode']}" == k]) for k in keys}


def _markdown(header: list[str], summary: dict[str, dict[str, Any]], cells: Callable[[dict[str, Any]], list[object]]) -> str:
    """A Markdown table: ``header``, then per sandbox/mode of ``summary`` its name, its mode and ``cells``."""
    lines = ["| " + " | ".join(["sandbox", "structured_output", *header]) + " |", "|" + "---|" * (len(header) + 2)]
    for key, s in summary.items():
        name, mode = key.split("/")
        lines.append("| " + " | ".join(str(c) for c in [name, mode, *cells(s)]) + " |")
    return "\n".join(lines)


def table(summary: dict[str, dict[str, Any]]) -> str:
    header = [
        "answers (not-found)", "claim sentences", "cited before", "cited after attribution", "replaced by the rail",
        "cited sentences → gold document, before / after", "answers with ≥1 citation: before → after (final)",
        "invalid JSON", "median s",
    ]  # fmt: skip
    return _markdown(header, summary, lambda s: [
        f"{s['generated']} ({s['not_found_answers']})", s["sentences"], f"{s['cited_before_pct']}%", f"{s['cited_after_pct']}%",
        f"{s['replaced_pct']}%", f"{s['gold_doc_before_pct']}% / {s['gold_doc_after_pct']}%",
        f"{s['answers_cited_before']} → {s['answers_cited_after']} ({s['answers_cited_final']})",
        s["invalid_json_answers"], s["median_seconds"],
    ])  # fmt: skip


def verification_table(summary: dict[str, dict[str, Any]]) -> str:
    header = [
        "model-named citations", "kept after verification", "sentences given the best-supported passage instead",
        "sentences left uncited", "cited after attribution: trusted → verified", "cited → gold document: trusted → verified",
    ]  # fmt: skip
    return _markdown(header, summary, lambda s: [
        s["named_citations"], f"{s['named_kept_pct']}%", s["reattributed"], s["unsupported"],
        f"{s['cited_after_trusted_pct']}% → {s['cited_after_pct']}%", f"{s['gold_doc_after_trusted_pct']}% → {s['gold_doc_after_pct']}%",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--sandboxes", default=",".join(SANDBOXES))
    parser.add_argument("--modes", default="off,json_object")
    parser.add_argument("--base-url", default="http://127.0.0.1:8011/v1")
    parser.add_argument("--model", default="aulac-llm")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--home", type=Path, default=OUT / "home")
    parser.add_argument("--out", type=Path, default=OUT / "llm_citations.json")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="no model: rescore the answers recorded in --out (e.g. another --threshold)",
    )
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="with --rescore")
    args = parser.parse_args()
    if args.rescore:
        recorded = json.loads(args.out.read_text(encoding="utf-8"))["answers"]
        summary = summaries([score(r, args.threshold) for r in recorded])
        print(table(summary) + "\n\n" + verification_table(summary))
        return
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    rows: list[dict[str, Any]] = []
    for name in [s.strip() for s in args.sandboxes.split(",") if s.strip()]:
        rows += run_sandbox(name, args)
    summary = summaries(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report = {
        "machine": machine(),
        "settings": settings,
        "threshold": DEFAULT_THRESHOLD,
        "summary": summary,
        "answers": rows,
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(summary) + "\n\n" + verification_table(summary))


if __name__ == "__main__":
    main()
