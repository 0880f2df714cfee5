"""``aulac llm serve|models``: serve the Au Lac LLM with vLLM (GPU hosts) and list suitable models."""

from __future__ import annotations

import os
import shlex
import sys

import typer

from aulac_rag.errors import GenerationError
from aulac_rag.generation.vllm_serve import (
    CHAT_SHARE_WITH_EMBED,
    DEFAULT_EMBED_PORT,
    DEFAULT_PORT,
    EMBED_SHARE,
    VIETNAMESE_MODELS,
    EmbedServeOptions,
    VllmOptions,
    build_embed_command,
    build_vllm_command,
    check_gpu_split,
    missing_requirements,
    redact_command,
    run_vllm,
    run_with_embedder,
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
    gpu_memory_utilization: float | None = typer.Option(
        None, "--gpu-memory-utilization", help=f"Share of GPU memory for the chat model (default 0.9; {CHAT_SHARE_WITH_EMBED:g} with --embed-model)."
    ),
    tensor_parallel_size: int = typer.Option(1, "--tensor-parallel-size"),
    dtype: str = typer.Option("auto", "--dtype"),
    embed_model: str | None = typer.Option(
        None, "--embed-model", help="Also serve this embedding model (vllm --runner pooling), e.g. intfloat/multilingual-e5-large."
    ),
    embed_port: int = typer.Option(DEFAULT_EMBED_PORT, "--embed-port"),
    embed_gpu_memory_utilization: float = typer.Option(EMBED_SHARE, "--embed-gpu-memory-utilization"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the vllm command(s) and exit."),
) -> None:
    """Run `vllm serve MODEL --served-model-name aulac-llm ...` in the foreground (and an embedding server)."""
    key = api_key or os.environ.get("AULAC_LLM_API_KEY") or None
    share = gpu_memory_utilization if gpu_memory_utilization is not None else (CHAT_SHARE_WITH_EMBED if embed_model else 0.90)
    options = VllmOptions(
        model=model,
        host=host,
        port=port,
        max_model_len=max_model_len,
        api_key=key,
        gpu_memory_utilization=share,
        tensor_parallel_size=tensor_parallel_size,
        dtype=dtype,
    )
    argv = build_vllm_command(options)
    embed: EmbedServeOptions | None = None
    if embed_model is not None:
        embed = EmbedServeOptions(embed_model, host, embed_port, embed_gpu_memory_utilization, key, dtype)
        check_gpu_split(options, embed)
    embed_argv = build_embed_command(embed) if embed is not None else None
    if dry_run:
        if embed_argv is not None:
            print(shlex.join(redact_command(embed_argv)))
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
    if embed is not None and embed_argv is not None:
        typer.echo(
            f"serving {embed.model} for embeddings on http://{host}:{embed.port}/v1 — set retrieval.embedder to "
            f"{{name: 'openai-compatible:{embed.model}', base_url: 'http://{host}:{embed.port}/v1'}} "
            "(and $AULAC_EMBED_API_KEY to the same key); it starts first, the chat model once it is ready",
            err=True,
        )
        code = run_with_embedder(argv, embed_argv, f"http://{host}:{embed.port}/health")
    else:
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
