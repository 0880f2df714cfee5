"""Every error aulac-rag raises on purpose.

    AulacError
    ├── ConfigError          a sandbox.yaml / settings value is invalid or missing
    │   └── SandboxNotFound  no sandbox with that name
    ├── TextError            text cannot be read as Vietnamese (legacy encoding, binary)
    ├── ConnectorError       a source cannot be read (one document or file)
    ├── IngestError          ingestion cannot proceed
    ├── EmbeddingError       an embedding model is missing or failed
    ├── RerankError          the reranking model is missing, unreachable or failed
    ├── StoreError           the Qdrant index cannot be opened or written
    ├── GenerationError      the LLM backend failed or is unreachable
    ├── GuardrailError       a guardrail policy is invalid or a rail failed
    ├── AuditError           the audit log cannot be written or read
    └── EvaluationError      an evaluation run failed

The CLI prints ``str(error)`` as one line; the API maps classes to status codes.
Messages say what happened and what to do next.
"""

from __future__ import annotations


class AulacError(Exception):
    """Base class of all aulac-rag errors."""


class ConfigError(AulacError):
    """A configuration file or value is invalid; the message names the field."""


class SandboxNotFound(ConfigError):
    """No bundled or user-created sandbox has the requested name."""


class TextError(AulacError):
    """Text cannot be decoded or normalized as Vietnamese."""


class ConnectorError(AulacError):
    """One source (file, URL, SQL query) cannot be read."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class IngestError(AulacError):
    """Ingestion as a whole cannot proceed."""


class EmbeddingError(AulacError):
    """An embedding model cannot be loaded or run."""


class RerankError(AulacError):
    """The reranker (``retrieval.reranker``) cannot be loaded or run; retrieval fails closed."""


class StoreError(AulacError):
    """The vector index cannot be opened, read or written."""


class GenerationError(AulacError):
    """The generation backend failed: unreachable, timed out or returned an error."""


class GuardrailError(AulacError):
    """A guardrail policy is invalid or a rail failed to run."""


class AuditError(AulacError):
    """The audit log cannot be written or read."""


class EvaluationError(AulacError):
    """An evaluation run could not be completed."""


class LimitError(AulacError):
    """A request over one of the caps in ``aulac_rag.limits`` (empty, too long, too many turns, k too large)."""


class RequestError(AulacError):
    """A request that is malformed in a way the caller can fix (e.g. filters of the wrong shape): HTTP 422."""
