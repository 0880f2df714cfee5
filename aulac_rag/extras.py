"""Optional dependencies: which extra provides a module, and the one-line error when it is missing.

The core (``pip install aulac-rag``) covers retrieval, ingestion of plain files, guardrails and the
extractive answerer; everything else comes with an extra (``pip install "aulac-rag[server]"``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from aulac_rag.errors import AulacError

#: top-level module → the extra that installs it
EXTRA_OF: dict[str, str] = {
    "fastapi": "server",
    "uvicorn": "server",
    "multipart": "server",
    "python_multipart": "server",
    "streamlit": "ui",
    "ragas": "eval",
    "langchain_community": "eval",
    "langchain_openai": "eval",
    "instructor": "eval",
    "rapidfuzz": "eval",
    "sacrebleu": "eval",
    "rouge_score": "eval",
    "sqlalchemy": "sql",
    "pypdf": "docs",
    "docx": "docs",
    "lxml": "docs",
    "bs4": "docs",
    "sentence_transformers": "st",
    "torch": "st",
    "transformers": "st",
    "openai": "llm",
    "pyvi": "vi",
    "underthesea": "vi",
    "langchain_core": "langchain",
    "langchain_qdrant": "langchain",
    "fpdf": "report",
}


class MissingExtra(AulacError):
    """An optional dependency is not installed; the message names the extra to install."""


def extra_for(exc: ImportError) -> str | None:
    """The extra that provides the module ``exc`` failed on, if it is one of ours."""
    top = (exc.name or "").split(".")[0]
    return EXTRA_OF.get(top)


def import_error_message(what: str, exc: ImportError) -> str:
    """One line: what needs which missing module, and what to install (or the import's own cause)."""
    extra = extra_for(exc)
    if extra is not None:
        return f"{what} needs the optional extra [{extra}] ({exc.name} is not installed): pip install 'aulac-rag[{extra}]'"
    return f"{what} could not be loaded: {type(exc).__name__}: {exc}"


def require(module: str, what: str) -> ModuleType:
    """``import module`` or MissingExtra naming the extra, e.g. ``require("fastapi", "aulac serve")``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(import_error_message(what, exc)) from exc
