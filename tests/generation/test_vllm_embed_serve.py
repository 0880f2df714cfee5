"""``aulac llm serve --embed-model``: the embedding server's command line, the GPU split, and the start order."""

from __future__ import annotations

import subprocess

import pytest

from aulac_rag.errors import ConfigError, GenerationError
from aulac_rag.generation.vllm_serve import (
    EmbedServeOptions,
    VllmOptions,
    build_embed_command,
    check_gpu_split,
    run_with_embedder,
)
from tests.helpers import run_cli


def test_embed_command() -> None:
    argv = build_embed_command(EmbedServeOptions("intfloat/multilingual-e5-large", port=9002, api_key="k"))
    assert argv == [
        "vllm", "serve", "intfloat/multilingual-e5-large", "--runner", "pooling", "--host", "127.0.0.1",
        "--port", "9002", "--gpu-memory-utilization", "0.15", "--dtype", "auto", "--api-key", "k",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kw", "needle"),
    [({"model": ""}, "--embed-model"), ({"port": 70000}, "--embed-port"), ({"gpu_memory_utilization": 1.0}, "--embed-gpu")],
)
def test_invalid_embed_options(kw: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        EmbedServeOptions(**{"model": "m", **kw})


def test_gpu_split_is_checked() -> None:
    check_gpu_split(VllmOptions("m", gpu_memory_utilization=0.75), EmbedServeOptions("e"))  # 0.9: fine
    with pytest.raises(ConfigError, match=r"0.9 \+ --embed-gpu-memory-utilization 0.15 = 1.05"):
        check_gpu_split(VllmOptions("m", gpu_memory_utilization=0.9), EmbedServeOptions("e"))
    with pytest.raises(ConfigError, match="both 8001"):
        check_gpu_split(VllmOptions("m", gpu_memory_utilization=0.5), EmbedServeOptions("e", port=8001))


def test_cli_dry_run_prints_both_servers(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AULAC_LLM_API_KEY", raising=False)
    args = ["llm", "serve", "--model", "Qwen/Qwen2.5-7B-Instruct", "--embed-model", "intfloat/multilingual-e5-large", "--dry-run"]
    code, out, _ = run_cli(args, capsys, monkeypatch)
    assert code == 0
    assert out.strip().splitlines() == [
        "vllm serve intfloat/multilingual-e5-large --runner pooling --host 127.0.0.1 --port 8002 "
        "--gpu-memory-utilization 0.15 --dtype auto",
        "vllm serve Qwen/Qwen2.5-7B-Instruct --served-model-name aulac-llm --host 127.0.0.1 --port 8001 "
        "--max-model-len 8192 --gpu-memory-utilization 0.75 --tensor-parallel-size 1 --dtype auto",
    ]
    code, _, err = run_cli([*args[:-1], "--gpu-memory-utilization", "0.9", "--dry-run"], capsys, monkeypatch)
    assert code != 0 and "keep the sum <= 0.95" in err


class _FakeProcess:
    def __init__(self, exit_after: int | None = None) -> None:
        self.returncode: int | None = None
        self.polls = 0
        self.exit_after = exit_after
        self.terminated = False

    def poll(self) -> int | None:
        self.polls += 1
        if self.exit_after is not None and self.polls >= self.exit_after:
            self.returncode = 1
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        self.returncode = -15

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode or 0

    def kill(self) -> None:  # pragma: no cover - only when terminate is ignored
        self.returncode = -9


def test_embedding_server_starts_first_and_stops_with_the_chat_server() -> None:
    events: list[str] = []
    process = _FakeProcess()
    answers = iter([False, False, True])

    def popen(argv: list[str]) -> subprocess.Popen[bytes]:
        events.append("start " + argv[2])
        return process  # type: ignore[return-value]

    def chat(argv: list[str]) -> int:
        events.append("chat " + argv[2])
        return 0

    code = run_with_embedder(
        ["vllm", "serve", "llm"], ["vllm", "serve", "e5"], "http://h/health",
        popen=popen, ready=lambda url: next(answers), run_chat=chat, sleep=lambda s: None,
    )  # fmt: skip
    assert code == 0 and events == ["start e5", "chat llm"] and process.terminated


def test_an_embedding_server_that_dies_stops_the_start() -> None:
    process = _FakeProcess(exit_after=1)
    with pytest.raises(GenerationError, match="exited with code 1 before it was ready"):
        run_with_embedder(
            ["vllm"], ["vllm"], "http://h/health",
            popen=lambda argv: process, ready=lambda url: False,  # type: ignore[arg-type,return-value]
            run_chat=lambda argv: pytest.fail("the chat server must not start"), sleep=lambda s: None,
        )  # fmt: skip
