"""Serving the Au Lac LLM with vLLM: the ``vllm serve`` command line and the checks before running it.

vLLM is CUDA-only; it is the optional extra ``pip install "aulac-rag[vllm]"`` for GPU
hosts and is reached over HTTP by the ``openai-compatible`` backend. Its
``--api-key`` guards only ``/v1``: put the aulac API (``aulac serve``) in front of it
and keep vLLM's port private.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from aulac_rag.errors import ConfigError, GenerationError

SERVED_MODEL_NAME = "aulac-llm"
DEFAULT_PORT = 8001  # aulac serve takes 8000
DEFAULT_EMBED_PORT = 8002

#: How one GPU is shared when ``--embed-model`` starts an embedding server next to the chat model.
#: vLLM's ``--gpu-memory-utilization`` is a per-instance share of the GPU's memory (weights, activations
#: and KV cache of that instance only), so the two shares must add up to less than 1: 0.75 for the chat
#: model (a 7B bf16 model at --max-model-len 8192 on a 24 GB GPU) and 0.15 for the embedding model
#: (multilingual-e5-large or bge-m3, about 1.1 GB of bf16 weights), leaving headroom for the two CUDA contexts.
CHAT_SHARE_WITH_EMBED = 0.75
EMBED_SHARE = 0.15
MAX_TOTAL_SHARE = 0.95


@dataclass(frozen=True)
class ModelNote:
    """A Vietnamese-capable instruction model vLLM can serve, and what it needs."""

    hf_id: str
    params: str
    gpu_memory: str
    chat_template: str


VIETNAMESE_MODELS: tuple[ModelNote, ...] = (
    ModelNote(
        "Qwen/Qwen2.5-7B-Instruct",
        "7.6B",
        "~15 GB bf16 weights: one 24 GB GPU at --max-model-len 8192 (AWQ build Qwen/Qwen2.5-7B-Instruct-AWQ: ~6 GB, fits 12 GB)",
        "ChatML template ships in tokenizer_config.json; 32K native context",
    ),
    ModelNote(
        "SeaLLMs/SeaLLMs-v3-7B-Chat",
        "7.6B (Qwen2 base)",
        "~15 GB bf16: one 24 GB GPU at --max-model-len 8192",
        "ChatML template in tokenizer_config.json; tuned for Southeast-Asian languages incl. Vietnamese",
    ),
    ModelNote(
        "Viet-Mistral/Vistral-7B-Chat",
        "7.3B (Mistral base)",
        "~15 GB bf16: one 24 GB GPU at --max-model-len 4096",
        "gated on the Hub (accept the licence, set HF_TOKEN); own [INST] template with a system turn in tokenizer_config.json",
    ),
    ModelNote(
        "arcee-ai/Arcee-VyLinh",
        "3B (Qwen2.5 base)",
        "~7 GB bf16: one 12–16 GB GPU",
        "ChatML template in tokenizer_config.json; Vietnamese-specialised small model",
    ),
)


@dataclass(frozen=True)
class VllmOptions:
    """Settings of ``aulac llm serve``; validated on creation (the bad value is quoted)."""

    model: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_model_len: int = 8192
    api_key: str | None = None
    gpu_memory_utilization: float = 0.90
    tensor_parallel_size: int = 1
    dtype: str = "auto"

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ConfigError("--model is empty; give a Hugging Face id (Qwen/Qwen2.5-7B-Instruct) or a local path")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"--port must be 1..65535, got {self.port!r}")
        if self.max_model_len < 256:
            raise ConfigError(f"--max-model-len must be >= 256, got {self.max_model_len!r}")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise ConfigError(f"--gpu-memory-utilization must be in (0, 1], got {self.gpu_memory_utilization!r}")
        if self.tensor_parallel_size < 1:
            raise ConfigError(f"--tensor-parallel-size must be >= 1, got {self.tensor_parallel_size!r}")
        if self.dtype not in ("auto", "half", "float16", "bfloat16", "float", "float32"):
            raise ConfigError(f"--dtype must be auto, half, float16, bfloat16, float or float32, got {self.dtype!r}")


@dataclass(frozen=True)
class EmbedServeOptions:
    """The embedding server started next to the chat model (``aulac llm serve --embed-model``)."""

    model: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_EMBED_PORT
    gpu_memory_utilization: float = EMBED_SHARE
    api_key: str | None = None
    dtype: str = "auto"

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ConfigError("--embed-model is empty; give a Hugging Face id (intfloat/multilingual-e5-large) or a local path")
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"--embed-port must be 1..65535, got {self.port!r}")
        if not 0 < self.gpu_memory_utilization < 1:
            raise ConfigError(f"--embed-gpu-memory-utilization must be in (0, 1), got {self.gpu_memory_utilization!r}")


def check_gpu_split(chat: VllmOptions, embed: EmbedServeOptions) -> None:
    """ConfigError when the two servers would ask for more than one GPU's memory, or for one port."""
    total = chat.gpu_memory_utilization + embed.gpu_memory_utilization
    if total > MAX_TOTAL_SHARE + 1e-9:
        raise ConfigError(
            f"--gpu-memory-utilization {chat.gpu_memory_utilization:g} + --embed-gpu-memory-utilization "
            f"{embed.gpu_memory_utilization:g} = {total:g}; the chat and embedding servers share the GPU, keep the sum "
            f"<= {MAX_TOTAL_SHARE:g} (e.g. {CHAT_SHARE_WITH_EMBED:g} + {EMBED_SHARE:g})"
        )
    if chat.port == embed.port and chat.host == embed.host:
        raise ConfigError(f"--port and --embed-port are both {chat.port}; give the embedding server another port")


def build_embed_command(options: EmbedServeOptions) -> list[str]:
    """``vllm serve MODEL --runner pooling ...``: OpenAI ``/v1/embeddings`` under the model's own name.

    The served name stays the model id, so ``retrieval.embedder.name: openai-compatible:<model>``
    names it and the e5 prefixes are recognised.
    """
    argv = [
        "vllm",
        "serve",
        options.model,
        "--runner",
        "pooling",
        "--host",
        options.host,
        "--port",
        str(options.port),
        "--gpu-memory-utilization",
        f"{options.gpu_memory_utilization:g}",
        "--dtype",
        options.dtype,
    ]
    if options.api_key:
        argv += ["--api-key", options.api_key]
    return argv


def build_vllm_command(options: VllmOptions) -> list[str]:
    """``vllm serve MODEL --served-model-name aulac-llm ...`` as an argv list."""
    argv = [
        "vllm",
        "serve",
        options.model,
        "--served-model-name",
        SERVED_MODEL_NAME,
        "--host",
        options.host,
        "--port",
        str(options.port),
        "--max-model-len",
        str(options.max_model_len),
        "--gpu-memory-utilization",
        f"{options.gpu_memory_utilization:g}",
        "--tensor-parallel-size",
        str(options.tensor_parallel_size),
        "--dtype",
        options.dtype,
    ]
    if options.api_key:
        argv += ["--api-key", options.api_key]
    return argv


def redact_command(argv: list[str]) -> list[str]:
    """The argv with the ``--api-key`` value replaced by ``***`` (for printing)."""
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "--api-key":
            out[i + 1] = "***"
    return out


def missing_requirements() -> str | None:
    """Why vLLM cannot run here (one line with instructions), or None when it can."""
    if importlib.util.find_spec("vllm") is None and shutil.which("vllm") is None:
        return (
            'vLLM is not installed; on a Linux host with an NVIDIA GPU run: pip install "aulac-rag[vllm]" '
            "(or point generation.base_url at an existing OpenAI-compatible server)"
        )
    if shutil.which("nvidia-smi") is None or not _gpu_visible():
        return (
            "no NVIDIA GPU found (nvidia-smi missing or it lists no GPU); vLLM needs CUDA: run `aulac llm serve` "
            "on a GPU host and set generation.base_url to http://HOST:PORT/v1"
        )
    return None


def _gpu_visible() -> bool:
    try:
        result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and "GPU" in result.stdout


def run_with_embedder(
    chat_argv: list[str],
    embed_argv: list[str],
    health_url: str,
    *,
    start_timeout_s: float = 900.0,
    popen: Callable[[list[str]], subprocess.Popen[bytes]] = subprocess.Popen,
    ready: Callable[[str], bool] | None = None,
    run_chat: Callable[[list[str]], int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Start the embedding server, wait until ``health_url`` answers, then run the chat server in the
    foreground; the embedding server is stopped when the chat server exits. One after the other because
    each vLLM instance measures the free GPU memory while it starts."""
    check = ready or _healthy
    try:
        embed = popen(embed_argv)
    except OSError as exc:
        raise GenerationError(f"cannot start the vllm embedding server: {exc}") from exc
    try:
        waited = 0.0
        while not check(health_url):
            if embed.poll() is not None:
                raise GenerationError(
                    f"the vllm embedding server exited with code {embed.returncode} before it was ready; see its log above"
                )
            if waited >= start_timeout_s:
                raise GenerationError(f"the vllm embedding server was not ready at {health_url} after {start_timeout_s:g} s")
            sleep(2.0)
            waited += 2.0
        return (run_chat or run_vllm)(chat_argv)
    finally:
        if embed.poll() is None:
            embed.terminate()
            try:
                embed.wait(timeout=30)
            except subprocess.TimeoutExpired:
                embed.kill()


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def run_vllm(argv: list[str]) -> int:
    """Run vLLM in the foreground; its exit code. GenerationError when it cannot start."""
    try:
        return subprocess.call(argv)
    except OSError as exc:
        raise GenerationError(f"cannot start vllm: {exc}") from exc
