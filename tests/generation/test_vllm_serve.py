"""``aulac llm serve``: the vllm command line, and the one-line stop when vLLM or a GPU is missing."""

from __future__ import annotations

import pytest

from aulac_rag.errors import ConfigError
from aulac_rag.generation import vllm_serve
from aulac_rag.generation.vllm_serve import VllmOptions, build_vllm_command, missing_requirements, redact_command
from tests.helpers import run_cli


class TestVllmOptions:
    def test_command(self) -> None:
        argv = build_vllm_command(
            VllmOptions("Qwen/Qwen2.5-7B-Instruct", port=9000, api_key="k", tensor_parallel_size=2)
        )
        assert argv[:5] == ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--served-model-name", "aulac-llm"]
        joined = " ".join(argv)
        for part in (
            "--port 9000",
            "--max-model-len 8192",
            "--gpu-memory-utilization 0.9",
            "--tensor-parallel-size 2",
            "--dtype auto",
            "--api-key k",
        ):
            assert part in joined
        assert redact_command(argv)[-1] == "***"

    @pytest.mark.parametrize(
        ("kw", "needle"),
        [
            ({"model": " "}, "--model"),
            ({"port": 0}, "--port"),
            ({"max_model_len": 10}, "--max-model-len"),
            ({"gpu_memory_utilization": 1.5}, "--gpu-memory-utilization"),
            ({"tensor_parallel_size": 0}, "--tensor-parallel-size"),
            ({"dtype": "int3"}, "--dtype"),
        ],
    )
    def test_invalid(self, kw: dict, needle: str) -> None:
        with pytest.raises(ConfigError, match=needle):
            VllmOptions(**{"model": "m", **kw})


def test_missing_vllm_and_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_serve.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(vllm_serve.shutil, "which", lambda name: None)
    assert 'pip install "aulac-rag[vllm]"' in (missing_requirements() or "")
    monkeypatch.setattr(vllm_serve.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(vllm_serve, "_gpu_visible", lambda: False)
    assert "no NVIDIA GPU found" in (missing_requirements() or "")
    monkeypatch.setattr(vllm_serve, "_gpu_visible", lambda: True)
    assert missing_requirements() is None


def test_cli_dry_run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AULAC_LLM_API_KEY", "from-env")
    code, out, _ = run_cli(
        ["llm", "serve", "--model", "/models/vistral", "--port", "8011", "--dry-run"], capsys, monkeypatch
    )
    assert code == 0
    assert out.strip() == (
        "vllm serve /models/vistral --served-model-name aulac-llm --host 127.0.0.1 --port 8011 --max-model-len 8192 "
        "--gpu-memory-utilization 0.9 --tensor-parallel-size 1 --dtype auto --api-key '***'"
    )


def test_cli_stops_with_one_line_without_vllm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vllm_serve, "missing_requirements", lambda: "vLLM is not installed; pip install it")
    monkeypatch.setattr("aulac_rag.cli.llm.missing_requirements", lambda: "vLLM is not installed; pip install it")
    code, out, err = run_cli(["llm", "serve", "--model", "Qwen/Qwen2.5-7B-Instruct"], capsys, monkeypatch)
    assert code != 0 and out == ""
    assert err.strip().splitlines() == ["error: vLLM is not installed; pip install it"]


def test_cli_models(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_cli(["llm", "models"], capsys, monkeypatch)
    assert code == 0
    for hf_id in (
        "Qwen/Qwen2.5-7B-Instruct",
        "SeaLLMs/SeaLLMs-v3-7B-Chat",
        "Viet-Mistral/Vistral-7B-Chat",
        "arcee-ai/Arcee-VyLinh",
    ):
        assert hf_id in out
