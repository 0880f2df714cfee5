"""The generation interface: a :class:`Prompt` in, text chunks out, buffered by :class:`Response`.

A backend is one class with ``name``, ``model``, ``mode`` and ``stream(prompt)``
yielding text chunks; a factory taking the sandbox's
:class:`~aulac_rag.config.GenerationConfig` is named in :data:`generators` by a lazy
``"module:attr"`` spec (plugins: the ``aulac_rag.generators`` entry-point group).
The CLI, the server's SSE and the UI all consume the same lazy :class:`Response`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from aulac_rag.config import GenerationConfig
from aulac_rag.registry import Registry

Mode = Literal["llm", "extractive"]


@dataclass(frozen=True)
class Context:
    """One retrieved chunk as the generator sees it, numbered ``n`` (1-based) in the prompt."""

    n: int
    doc_id: str
    chunk_id: str
    title: str  # the chunk's heading (an article "Điều 5. …", a section), else the document's title
    text: str
    score: float = 0.0
    doc_title: str = ""  # the document's title, when known
    position: int = 0  # the chunk's place in its document (0-based)


@dataclass(frozen=True)
class Prompt:
    """What a backend answers: chat ``messages`` for an LLM, ``question`` + ``contexts`` for extraction."""

    messages: tuple[dict[str, str], ...]
    question: str
    contexts: tuple[Context, ...] = ()
    focus: str = ""  # a follow-up as typed, when ``question`` is its standalone rewrite
    temperature: float | None = None
    max_tokens: int | None = None


class Generator(Protocol):
    """A generation backend: one method that yields text chunks."""

    name: str  # registry name, e.g. "openai-compatible"
    model: str  # served model name ("aulac-llm"), or "extractive"
    mode: Mode

    def stream(self, prompt: Prompt) -> Iterator[str]:
        """Yield the answer's text chunks; raise GenerationError when the backend fails."""
        ...


GeneratorFactory = Callable[[GenerationConfig], Generator]
_EXTRACTIVE = "aulac_rag.generation.extractive:_extractive"
_OPENAI = "aulac_rag.generation.openai_compat:_openai_compatible"
generators: Registry[GeneratorFactory] = Registry(
    "generation backend",
    "aulac_rag.generators",
    {"extractive": _EXTRACTIVE, "extract": _EXTRACTIVE, "openai-compatible": _OPENAI, "openai": _OPENAI, "vllm": _OPENAI},
)


def load_generator(config: GenerationConfig) -> Generator:
    """The backend named by ``config.backend`` (ConfigError lists the known names)."""
    return generators.get(config.backend)(config)


@dataclass
class Response:
    """A lazy answer stream: iterate for chunks as they arrive, or call :meth:`text`.

    Chunks are buffered, so a second iteration (or ``text()`` after streaming)
    replays them without calling the backend again.
    """

    _source: Iterable[str]
    _chunks: list[str] = field(default_factory=list)
    _iterator: Iterator[str] | None = None
    done: bool = False

    def __iter__(self) -> Iterator[str]:
        yield from list(self._chunks)
        if self.done:
            return
        if self._iterator is None:
            self._iterator = iter(self._source)
        for chunk in self._iterator:
            if chunk:
                self._chunks.append(chunk)
                yield chunk
        self.done = True

    def text(self) -> str:
        """The whole answer (consumes the rest of the stream)."""
        for _ in self:
            pass
        return "".join(self._chunks)
