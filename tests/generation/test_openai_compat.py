"""The openai-compatible backend against a real HTTP server speaking the OpenAI protocol."""

from __future__ import annotations

import socket

import pytest

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError, GenerationError
from aulac_rag.generation import OpenAICompatGenerator, Prompt, Response, load_generator
from tests.generation.fake_llm import FakeLLM, Reply

PROMPT = Prompt(
    messages=({"role": "system", "content": "Hệ thống"}, {"role": "user", "content": "Câu hỏi?"}),
    question="Câu hỏi?",
)


def _gen(fake: FakeLLM, **kw: object) -> OpenAICompatGenerator:
    settings: dict = {"base_url": fake.base_url, "max_retries": 2, "retry_backoff_s": 0.0, "timeout_s": 5.0}
    settings.update(kw)
    return OpenAICompatGenerator(**settings)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestInit:
    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AULAC_LLM_BASE_URL", raising=False)
        gen = OpenAICompatGenerator()
        assert (gen.base_url, gen.model, gen.mode, gen.name) == (
            "http://127.0.0.1:8001/v1",
            "aulac-llm",
            "llm",
            "openai-compatible",
        )

    def test_env_base_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AULAC_LLM_BASE_URL", "http://llm:9000/v1/")
        assert OpenAICompatGenerator().base_url == "http://llm:9000/v1"

    @pytest.mark.parametrize(
        ("kw", "needle"),
        [
            ({"base_url": "llm:8000"}, "'llm:8000'"),
            ({"timeout_s": 0}, "timeout_s"),
            ({"max_retries": -1}, "max_retries"),
        ],
    )
    def test_invalid(self, kw: dict, needle: str) -> None:
        with pytest.raises(ConfigError, match=needle):
            OpenAICompatGenerator(**kw)

    def test_registry_aliases(self, fake_llm: FakeLLM) -> None:
        for name in ("openai-compatible", "openai", "vllm"):
            gen = load_generator(GenerationConfig(backend=name, base_url=fake_llm.base_url))
            assert isinstance(gen, OpenAICompatGenerator)
        # an unknown name is refused when the config loads, naming the known ones
        with pytest.raises(ValueError, match="unknown generation backend 'nope'; known:.*extractive"):
            GenerationConfig(backend="nope")


class TestRun:
    def test_streams_chunks_and_sends_the_request(self, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MY_LLM_KEY", "sk-test-123")
        fake_llm.script(Reply(chunks=["Mức đóng ", "là 4,5% ", "[1]."]))
        gen = _gen(fake_llm, api_key_env="MY_LLM_KEY", model="aulac-llm", temperature=0.2, max_tokens=77)
        assert list(gen.stream(PROMPT)) == ["Mức đóng ", "là 4,5% ", "[1]."]
        sent = fake_llm.requests[0]
        assert sent["model"] == "aulac-llm" and sent["stream"] is True
        assert sent["messages"] == list(PROMPT.messages)
        assert sent["temperature"] == 0.2 and sent["max_tokens"] == 77
        assert fake_llm.headers[0]["authorization"] == "Bearer sk-test-123"

    def test_prompt_overrides_sampling(self, fake_llm: FakeLLM) -> None:
        prompt = Prompt(messages=PROMPT.messages, question="q", temperature=0.0, max_tokens=5)
        list(_gen(fake_llm).stream(prompt))
        assert fake_llm.requests[0]["temperature"] == 0.0 and fake_llm.requests[0]["max_tokens"] == 5

    def test_response_buffers_and_replays(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text="Một hai ba bốn năm [1]."))
        response = Response(_gen(fake_llm).stream(PROMPT))
        first = list(response)
        assert "".join(first) == "Một hai ba bốn năm [1]." and response.done
        assert list(response) == first and response.text() == "Một hai ba bốn năm [1]."
        assert len(fake_llm.requests) == 1

    def test_retries_server_errors_then_succeeds(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=500), Reply(status=503), Reply(text="ok [1]"))
        assert "".join(_gen(fake_llm).stream(PROMPT)) == "ok [1]"
        assert len(fake_llm.requests) == 3

    def test_backoff_doubles(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=500))
        waits: list[float] = []
        gen = _gen(fake_llm, retry_backoff_s=0.25, sleep=waits.append)
        with pytest.raises(GenerationError, match="failed with HTTP 500"):
            list(gen.stream(PROMPT))
        assert waits == [0.25, 0.5] and len(fake_llm.requests) == 3

    def test_auth_error_is_not_retried(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=401))
        with pytest.raises(GenerationError, match=r"rejected the API key \(HTTP 401\); set \$AULAC_LLM_API_KEY"):
            list(_gen(fake_llm).stream(PROMPT))
        assert len(fake_llm.requests) == 1

    def test_unknown_model(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=404))
        with pytest.raises(GenerationError, match="has no model 'aulac-llm'"):
            list(_gen(fake_llm).stream(PROMPT))

    def test_timeout(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(delay_s=1.5))
        gen = _gen(fake_llm, timeout_s=0.3, max_retries=1)
        with pytest.raises(GenerationError, match=r"did not answer within 0.3 s \(generation.timeout_s\)"):
            list(gen.stream(PROMPT))
        assert len(fake_llm.requests) == 2  # retried once

    def test_unreachable(self) -> None:
        gen = OpenAICompatGenerator(base_url=f"http://127.0.0.1:{_free_port()}/v1", max_retries=0)
        with pytest.raises(GenerationError, match="cannot reach the LLM at .*aulac llm serve"):
            list(gen.stream(PROMPT))

    def test_stream_broken_midway(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(chunks=["một ", "hai ", "ba"], cut_after=2))
        chunks: list[str] = []
        with pytest.raises(GenerationError, match="broke off"):
            for chunk in _gen(fake_llm).stream(PROMPT):
                chunks.append(chunk)
        assert chunks == ["một ", "hai "]
        assert len(fake_llm.requests) == 1  # never retried after text went out
