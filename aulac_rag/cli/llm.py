"""``aulac llm serve|models``: serve the Au Lac LLM with vLLM (GPU hosts) and list suitable models."""

from __future__ import annotations

import os
import shlex
import sys

import typer

from aulac_rag.errors import GenerationError
from aulac_rag.generation.vllm_serve import (
    DEFAULT_PORT,
    VIETNAMESE_MODELS,
    VllmOptions,
    build_vllm_command,
    missing_requirements,
    redact_command,
    run_vllm,
)

llm_app = typer.Typer(help="The LLM behind the openai-compatible backend (vLLM).", no_args_is_help=True)


@llm_app.command("serve")
def serve(
    model: str = typer.Option(..., "--model", help="Hugging Face id or local path, e.g. Qwen/Qwen2.5-7B-Instruct."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(DEFAULT_PORT, "--port"),
    max_model_len: int = typer.Option(8192, "--max-model-len"),
    api_key: str | None = typer.Option(
        None, "--api-key", help="Key vLLM requires on /v1 (default: $AULAC_LLM_API_KEY)."
    ),
    gpu_memory_utilization: float = typer.Option(0.90, "--gpu-memory-utilization"),
    tensor_parallel_size: int = typer.Option(1, "--tensor-parallel-size"),
    dtype: str = typer.Option("auto", "--dtype"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the vllm command and exit."),
) -> None:
    """Run `vllm serve MODEL --served-model-name aulac-llm ...` in the foreground."""
    options = VllmOptions(
        model=model,
        host=host,
        port=port,
        max_model_len=max_model_len,
        api_key=api_key or os.environ.get("AULAC_LLM_API_KEY") or None,
        gpu_memory_utilization=gpu_memory_utilization,
        tensor_parallel_size=tensor_parallel_size,
        dtype=dtype,
    )
    argv = build_vllm_command(options)
    if dry_run:
        print(shlex.join(redact_command(argv)))
        return
    problem = missing_requirements()
    if problem:
        raise GenerationError(problem)
    typer.echo(
        f"serving {model} as 'aulac-llm' on http://{host}:{port}/v1 — set generation.base_url to it; "
        "vLLM's --api-key guards only /v1, keep this port private behind `aulac serve`",
        err=True,
    )
    code = run_vllm(argv)
    if code:
        sys.exit(code)


@llm_app.command("models")
def models() -> None:
    """Vietnamese-capable instruction models vLLM can serve, with GPU memory and chat-template notes."""
    for note in VIETNAMESE_MODELS:
        print(f"{note.hf_id}  ({note.params})\n  GPU: {note.gpu_memory}\n  template: {note.chat_template}")


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
