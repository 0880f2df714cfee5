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
from dataclasses import dataclass

from aulac_rag.errors import ConfigError, GenerationError

SERVED_MODEL_NAME = "aulac-llm"
DEFAULT_PORT = 8001  # aulac serve takes 8000


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


def run_vllm(argv: list[str]) -> int:
    """Run vLLM in the foreground; its exit code. GenerationError when it cannot start."""
    try:
        return subprocess.call(argv)
    except OSError as exc:
        raise GenerationError(f"cannot start vllm: {exc}") from exc
