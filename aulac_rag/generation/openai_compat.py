"""The ``openai-compatible`` backend: any server speaking ``/v1/chat/completions`` (vLLM, llama.cpp, TGI).

Configured entirely from ``sandbox.yaml`` ``generation:`` — ``base_url``, ``model``
(the served name, ``aulac-llm`` for ``aulac llm serve``), ``api_key_env`` (the *name*
of the environment variable holding the key), ``timeout_s``, ``max_retries`` and
``retry_backoff_s``. Connection failures, timeouts, 429 and 5xx are retried with
exponential backoff before the first chunk arrives; then they become a
:class:`~aulac_rag.errors.GenerationError` that says what to fix.

``structured_output`` (off by default) asks answer prompts (those with contexts) for JSON
sentences with their sources (``response_format``, see :mod:`aulac_rag.generation.structured`),
still streamed: the JSON is parsed incrementally and each sentence is released, rendered as
``text [n].``, as soon as it is complete. A server that refuses ``response_format`` (HTTP 400/422)
(or with HTTP 500 naming it) is asked again without it, and a reply that is not the JSON asked for is treated as a plain
answer; both leave a note on the returned :class:`~aulac_rag.generation.structured.NotedStream`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError, GenerationError
from aulac_rag.extras import require
from aulac_rag.generation.base import Mode, Prompt
from aulac_rag.generation.structured import (
    UNSUPPORTED_NOTE,
    NotedStream,
    StreamNote,
    StructuredAnswer,
    response_format,
    with_json_instruction,
)

#: Used when neither ``generation.base_url`` nor ``$AULAC_LLM_BASE_URL`` is set (``aulac llm serve``'s default).
DEFAULT_BASE_URL = "http://127.0.0.1:8001/v1"
BASE_URL_ENV = "AULAC_LLM_BASE_URL"


class _Retryable(Exception):
    """Internal: a failure worth another try; wraps the GenerationError to raise when tries run out."""

    def __init__(self, error: GenerationError) -> None:
        super().__init__(str(error))
        self.error = error


class _FormatRefused(Exception):
    """Internal: the server answered HTTP 400/422 to a request with ``response_format``."""


class OpenAICompatGenerator:
    """Chat completions over the official ``openai`` client, streamed chunk by chunk."""

    name = "openai-compatible"
    mode: Mode = "llm"

    def __init__(
        self,
        base_url: str | None = None,
        model: str = "aulac-llm",
        api_key_env: str = "AULAC_LLM_API_KEY",
        timeout_s: float = 60.0,
        max_retries: int = 2,
        retry_backoff_s: float = 0.5,
        temperature: float = 0.1,
        max_tokens: int = 512,
        sleep: Callable[[float], None] = time.sleep,
        structured_output: str = "off",
    ) -> None:
        base_url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"generation.base_url must start with http:// or https://, got {base_url!r}")
        if timeout_s <= 0:
            raise ConfigError(f"generation.timeout_s must be > 0, got {timeout_s!r}")
        if max_retries < 0:
            raise ConfigError(f"generation.max_retries must be >= 0, got {max_retries!r}")
        if not model:
            raise ConfigError("generation.model is empty; use the served model name, e.g. 'aulac-llm'")
        if structured_output not in ("off", "json_schema", "json_object"):
            raise ConfigError(
                f"generation.structured_output must be off, json_schema (true) or json_object, got {structured_output!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._sleep = sleep
        self.structured_output = structured_output
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The ``openai.OpenAI`` client, created on first use (the key is read from the env then)."""
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError as exc:  # pragma: no cover - openai is a dependency
                raise GenerationError("the openai client is not installed: pip install openai==3.3.0") from exc
            api_key = os.environ.get(self.api_key_env) or "EMPTY"  # vLLM without --api-key accepts any key
            self._client = OpenAI(base_url=self.base_url, api_key=api_key, timeout=self.timeout_s, max_retries=0)
        return self._client

    def stream(self, prompt: Prompt) -> Iterator[str]:
        """The answer's text chunks; with structured output, a :class:`NotedStream` of rendered sentences."""
        if self.structured_output == "off" or not prompt.contexts:  # a rewrite prompt has no contexts
            return self._stream(prompt)
        noted = NotedStream()
        return noted.attach(self._structured(prompt, noted))

    def _structured(self, prompt: Prompt, noted: NotedStream) -> Iterator[str]:
        parser = StructuredAnswer(len(prompt.contexts))
        chunks = self._stream(prompt, response_format(self.structured_output))
        try:
            first = next(chunks, None)
        except _FormatRefused:
            noted.notes.append(StreamNote("structured_output", UNSUPPORTED_NOTE))
            yield from self._stream(prompt)
            return
        for chunk in chain([] if first is None else [first], chunks):
            noted.raw.append(chunk)
            released = parser.feed(chunk)
            if released:
                yield released
        tail = parser.finish()
        noted.notes.extend(parser.notes)
        if tail:
            yield tail

    def _stream(self, prompt: Prompt, json_format: dict[str, Any] | None = None) -> Iterator[str]:
        attempt = 0
        while True:
            started = False
            try:
                for chunk in self._stream_once(prompt, json_format):
                    started = True
                    yield chunk
                return
            except _Retryable as exc:
                if started or attempt >= self.max_retries:
                    if started:
                        raise GenerationError(f"{exc.error} (the answer stream broke off)") from exc.error
                    raise exc.error from None
                self._sleep(self.retry_backoff_s * (2**attempt))
                attempt += 1

    def _stream_once(self, prompt: Prompt, json_format: dict[str, Any] | None = None) -> Iterator[str]:
        import httpx2  # the openai client's transport
        import openai

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": with_json_instruction(prompt.messages) if json_format else list(prompt.messages),
            "temperature": self.temperature if prompt.temperature is None else prompt.temperature,
            "max_tokens": self.max_tokens if prompt.max_tokens is None else prompt.max_tokens,
            "stream": True,
        }
        if json_format is not None:
            kwargs["response_format"] = json_format
        finished = False
        try:
            with self.client.chat.completions.create(**kwargs) as stream:
                for event in stream:
                    if not event.choices:
                        continue
                    choice = event.choices[0]
                    finished = finished or choice.finish_reason is not None
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
        except (openai.OpenAIError, httpx2.HTTPError) as exc:
            if json_format is not None and _refuses_format(exc):
                raise _FormatRefused(str(exc)) from exc
            raise self._translate(exc) from exc
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # bytes that are not the OpenAI protocol (a proxy's HTML page, a binary body, broken JSON)
            raise GenerationError(
                f"the LLM at {self.base_url} sent a reply that is not an OpenAI-compatible stream "
                f"({type(exc).__name__}); check generation.base_url points at vLLM's /v1"
            ) from exc
        if not finished:  # the connection ended without a finish_reason: the answer is cut short
            raise _Retryable(GenerationError(f"the LLM at {self.base_url} closed the stream before finishing"))

    def _translate(self, exc: Exception) -> Exception:
        """A user-facing GenerationError (wrapped in _Retryable when worth retrying)."""
        import openai

        where = f"the LLM at {self.base_url}"
        if isinstance(exc, openai.APITimeoutError) or "timeout" in type(exc).__name__.lower():
            return _Retryable(
                GenerationError(f"{where} did not answer within {self.timeout_s:g} s (generation.timeout_s)")
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status in (401, 403):
                return GenerationError(
                    f"{where} rejected the API key (HTTP {status}); set ${self.api_key_env} to the key "
                    "given to `aulac llm serve --api-key`"
                )
            if status == 404:
                return GenerationError(
                    f"{where} has no model {self.model!r} (HTTP 404); check generation.model and "
                    "vllm's --served-model-name"
                )
            error = GenerationError(f"{where} failed with HTTP {status}: {_short(exc.message)}")
            return _Retryable(error) if status == 429 or status >= 500 else error
        if isinstance(exc, openai.APIConnectionError) or "connect" in type(exc).__name__.lower():
            return _Retryable(
                GenerationError(
                    f"cannot reach {where}; start it with `aulac llm serve --model MODEL` or fix "
                    "generation.base_url in sandbox.yaml"
                )
            )
        return _Retryable(GenerationError(f"{where} failed: {_short(str(exc))}"))


def _refuses_format(exc: Exception) -> bool:
    """Whether the server rejected the request's ``response_format``: HTTP 400/422, or an error naming it
    (llama-cpp-python's server answers ``"type": "json_schema"`` with HTTP 500 and a validation error)."""
    import openai

    if not isinstance(exc, openai.APIStatusError):
        return False
    return exc.status_code in (400, 422) or (exc.status_code == 500 and "response_format" in str(exc))


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _openai_compatible(config: GenerationConfig) -> OpenAICompatGenerator:
    require("openai", "generation backend 'openai-compatible'")  # one line naming the [llm] extra when missing
    return OpenAICompatGenerator(
        base_url=config.base_url,
        model=config.model,
        api_key_env=config.api_key_env,
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        retry_backoff_s=config.retry_backoff_s,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        structured_output=config.structured_output,
    )
