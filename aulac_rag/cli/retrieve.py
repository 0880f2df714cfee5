"""``aulac retrieve SANDBOX QUERY | --queries FILE.jsonl``."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json, iter_jsonl
from aulac_rag.errors import ConfigError

_HIT_KEYS = ("doc_id", "chunk_id", "score", "title", "text")


def _hits(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{key: getattr(h, key) for key in _HIT_KEYS} | {"metadata": h.metadata} for h in result.hits]


def retrieve_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    query: str | None = typer.Argument(None, help="Question in Vietnamese (with or without diacritics)."),
    queries: str | None = typer.Option(None, "--queries", help="JSONL file of {id, question}; one output line each."),
    k: int = typer.Option(10, "--k", min=1, max=200, help="Number of hits."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Hybrid retrieval: the best chunks for a question, best first."""
    from aulac_rag.sandbox import Sandbox

    if (query is None) == (queries is None):
        raise ConfigError("give either QUERY or --queries FILE.jsonl")
    box = Sandbox(sandbox)
    try:
        if queries:
            records = iter_jsonl(queries)
            for number, record in enumerate(records, 1):
                if "question" not in record:
                    raise ConfigError(f"{queries}:{number}: missing 'question'")
            results = box.retrieve_batch([str(r["question"]) for r in records], k=k)
            for record, result in zip(records, results, strict=False):
                emit_json({"id": record.get("id"), "hits": _hits(result)})
            return
        result = box.retrieve(str(query), k=k)
    finally:
        box.close()
    if as_json:
        emit_json({"query": result.query, "hits": _hits(result), "timings_ms": result.timings_ms})
        return
    for rank, hit in enumerate(result.hits, 1):
        snippet = hit.text.replace("\n", " ")[:160]
        typer.echo(f"{rank:>2}. [{hit.score:.3f}] {hit.doc_id} — {hit.title}\n    {snippet}")
    typer.echo(f"({result.timings_ms.get('total', 0):.0f} ms)")


def register(app: typer.Typer) -> None:
    app.command("retrieve")(retrieve_command)
