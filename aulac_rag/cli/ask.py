"""``aulac ask SANDBOX QUESTION [--json] [--stream]``: a cited answer from the sandbox's pipeline."""

from __future__ import annotations

import json
import sys

import typer

from aulac_rag.pipeline import Answer, build_pipeline


def render_answer(answer: Answer, *, include_text: bool = True) -> str:
    """The human-readable form: answer, sources, notes, mode."""
    lines = [answer.answer] if include_text else []
    if answer.citations:
        lines += ["", "Nguồn:"]
        lines += [f"[{c.n}] {c.title or c.doc_id} ({c.doc_id}) — “{c.quote}”" for c in answer.citations]
    notes = [g for g in answer.guardrails if g.message]
    if notes:
        lines += ["", "Lưu ý:"]
        lines += [f"- [{g.rule}/{g.action}] {g.message}" for g in notes]
    mode = "LLM" if answer.mode == "llm" else "trích xuất (không dùng LLM)"
    lines += ["", f"Chế độ: {mode} · {answer.backend}:{answer.model} · {answer.timings_ms.get('total', 0):.0f} ms"]
    if answer.disclosure:  # the person reading must be able to tell that an AI answered (Law on AI, Art. 11.1)
        lines.append(f"({answer.disclosure})")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        sandbox: str = typer.Argument(..., help="Sandbox name, e.g. healthcare."),
        question: str = typer.Argument(..., help="The question, in Vietnamese."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON (CONTRACTS shape)."),
        stream: bool = typer.Option(False, "--stream", help="Print the answer as it is generated."),
        k: int | None = typer.Option(None, "--k", min=1, max=50, help="Chunks to retrieve (default: sandbox's)."),
    ) -> None:
        """Answer QUESTION from SANDBOX's documents, with numbered citations."""
        from aulac_rag.cli.remote import owner_client
        from aulac_rag.sandbox import Sandbox

        remote = owner_client()
        if remote is not None:  # the app or `aulac serve` holds the index; it answers (the whole answer at once)
            try:
                data = remote.post(f"/v1/sandboxes/{sandbox}/ask", {"question": question, "k": k})
            finally:
                remote.close()
            print(json.dumps(data, ensure_ascii=False) if as_json else render_answer(Answer.from_dict(data)))
            return
        box = Sandbox(sandbox)
        try:
            pipeline = build_pipeline(box)
            if as_json:
                print(json.dumps(pipeline.run(question, k=k).to_dict(), ensure_ascii=False))
            elif not stream:
                print(render_answer(pipeline.run(question, k=k)))
            else:
                pending = pipeline.stream(question, k=k)
                for delta in pending:
                    sys.stdout.write(delta)
                    sys.stdout.flush()
                print()
                print(render_answer(pending.answer(), include_text=False))
        finally:
            box.close()
