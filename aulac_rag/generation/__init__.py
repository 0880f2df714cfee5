"""Answer generation: backends (``openai-compatible``, ``extractive``), prompts, citations, rewriting.

    from aulac_rag.generation import load_generator, PromptBuilder, Response
    gen = load_generator(sandbox.config.generation)
    prompt = PromptBuilder(system_prompt).run(question, hits)
    for chunk in Response(gen.stream(prompt)): ...

Add a backend: a class with ``name``, ``model``, ``mode`` and ``stream(prompt)``,
whose factory takes a GenerationConfig, declared as an ``aulac_rag.generators`` entry point.
"""

from aulac_rag.generation.base import Context, Generator, Mode, Prompt, Response, generators, load_generator
from aulac_rag.generation.citations import (
    CitationCheck,
    CitationNumbering,
    CitationStreamFilter,
    check_citations,
    renumber_citations,
)
from aulac_rag.generation.extractive import QUOTE_NOTE, ExtractiveGenerator
from aulac_rag.generation.openai_compat import OpenAICompatGenerator
from aulac_rag.generation.prompting import (
    DEFAULT_SYSTEM_PROMPT,
    NOT_FOUND_ANSWER,
    PromptBuilder,
    Turn,
    contexts_from_hits,
    is_not_found,
    load_system_prompt,
    not_found_reply,
)
from aulac_rag.generation.rewrite import QuestionRewriter, Rewrite

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "NOT_FOUND_ANSWER",
    "QUOTE_NOTE",
    "CitationCheck",
    "CitationNumbering",
    "CitationStreamFilter",
    "Context",
    "ExtractiveGenerator",
    "Generator",
    "Mode",
    "OpenAICompatGenerator",
    "Prompt",
    "PromptBuilder",
    "QuestionRewriter",
    "Response",
    "Rewrite",
    "Turn",
    "check_citations",
    "renumber_citations",
    "contexts_from_hits",
    "is_not_found",
    "not_found_reply",
    "generators",
    "load_generator",
    "load_system_prompt",
]
