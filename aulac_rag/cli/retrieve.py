"""``aulac retrieve SANDBOX QUERY | --queries FILE.jsonl``."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json, iter_jsonl
from aulac_rag.errors import ConfigError
from aulac_rag.retrieval.types import hits_json


def retrieve_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    query: str | None = typer.Argument(None, help="Question in Vietnamese (with or without diacritics)."),
    queries: str | None = typer.Option(None, "--queries", help="JSONL file of {id, question}; one output line each."),
    k: int = typer.Option(10, "--k", min=1, max=200, help="Number of hits."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Hybrid retrieval: the best chunks for a question, best first."""
    from aulac_rag.cli.remote import owner_client

    if (query is None) == (queries is None):
        raise ConfigError("give either QUERY or --queries FILE.jsonl")
    records: list[dict] = []
    if queries:
        records = iter_jsonl(queries)
        for number, record in enumerate(records, 1):
            if "question" not in record:
                raise ConfigError(f"{queries}:{number}: missing 'question'")
    remote = owner_client()
    if remote is not None:  # the app or `aulac serve` holds the index
        try:
            path = f"/v1/sandboxes/{sandbox}/retrieve"
            if queries:
                found = remote.post(path, {"queries": [str(r["question"]) for r in records], "k": k})["results"]
                batch = [r["hits"] for r in found]
            else:
                single = remote.post(path, {"query": str(query), "k": k})
        finally:
            remote.close()
    else:
        from aulac_rag.sandbox import Sandbox

        box = Sandbox(sandbox)
        try:
            if queries:
                batch = [hits_json(r) for r in box.retrieve_batch([str(r["question"]) for r in records], k=k)]
            else:
                result = box.retrieve(str(query), k=k)
                single = {"query": result.query, "hits": hits_json(result), "timings_ms": result.timings_ms}
        finally:
            box.close()
    if queries:
        for record, hits in zip(records, batch, strict=False):
            emit_json({"id": record.get("id"), "hits": hits})
        return
    if as_json:
        emit_json(single)
        return
    for rank, hit in enumerate(single["hits"], 1):
        snippet = hit["text"].replace("\n", " ")[:160]
        typer.echo(f"{rank:>2}. [{hit['score']:.3f}] {hit['doc_id']} — {hit['title']}\n    {snippet}")
    typer.echo(f"({single['timings_ms'].get('total', 0):.0f} ms)")


def register(app: typer.Typer) -> None:
    app.command("retrieve")(retrieve_command)
