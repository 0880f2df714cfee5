"""The Connector interface, its registry, and :func:`load_sources`, which reads targets.

A connector is one file: subclass :class:`Connector`, give it a ``name`` and a
``targets`` description, and name its factory in :data:`connectors` (built-ins) or in an
``aulac_rag.connectors`` entry point (plugins). A factory is called as
``factory(max_file_bytes=N, limits=SourceLimits(...))`` and returns a connector; the caps
(file size, zip bombs, redirects, download size, JSON depth) all live in
:class:`aulac_rag.limits.SourceLimits`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar, Protocol

from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits
from aulac_rag.registry import Registry

DEFAULT_MAX_FILE_BYTES = DEFAULT_SOURCE_LIMITS.max_file_bytes
"""Default size limit of one file or download (sandbox.yaml ``max_file_mb: 50``)."""


def source_limits(max_file_bytes: int | None = None, limits: SourceLimits | None = None) -> SourceLimits:
    """``limits`` (default: DEFAULT_SOURCE_LIMITS) with ``max_file_bytes`` put in when given."""
    limits = limits or DEFAULT_SOURCE_LIMITS
    if max_file_bytes is None:
        return limits
    if max_file_bytes <= 0:
        raise ValueError(f"max_file_bytes must be positive, got {max_file_bytes!r}")
    return limits.model_copy(update={"max_file_bytes": max_file_bytes})


class Connector(ABC):
    """Reads one kind of target (a path, a URL, an SQL query) into documents."""

    #: Registry name, e.g. ``files``.
    name: ClassVar[str]
    #: What targets look like, for "no connector" messages, e.g. ``a file or folder path``.
    targets: ClassVar[str]

    @abstractmethod
    def accepts(self, target: str) -> bool:
        """True when this connector reads ``target`` (a cheap check on its form)."""

    @abstractmethod
    def run(self, target: str) -> Iterator[Document | SourceError]:
        """One item per document read or source failed; a failure never stops the rest."""


class ConnectorFactory(Protocol):
    """Builds a connector; connector classes whose ``__init__`` takes these keywords qualify."""

    def __call__(self, *, max_file_bytes: int, limits: SourceLimits) -> Connector: ...


_FILES, _URL = "aulac_rag.connectors.files:FilesConnector", "aulac_rag.connectors.url:UrlConnector"
connectors: Registry[ConnectorFactory] = Registry(
    "connector",
    "aulac_rag.connectors",
    {
        "files": _FILES,
        "file": _FILES,
        "sql": "aulac_rag.connectors.sql:_sql_targets",
        "url": _URL,
        "http": _URL,
        "https": _URL,
    },
)


def build_connectors(
    *, max_file_bytes: int | None = None, limits: SourceLimits | None = None
) -> list[Connector]:
    """One instance of every registered connector (aliases once), in name order.

    ``max_file_bytes``, when given, replaces ``limits.max_file_bytes``.
    """
    caps = source_limits(max_file_bytes, limits)
    built: list[Connector] = []
    seen: set[int] = set()
    for name in connectors.names():
        factory = connectors.get(name)
        if id(factory) not in seen:
            seen.add(id(factory))
            built.append(factory(max_file_bytes=caps.max_file_bytes, limits=caps))
    return built


def pick_connector(target: str, available: Iterable[Connector]) -> Connector | None:
    """The first connector that accepts ``target``, or None."""
    return next((c for c in available if c.accepts(target)), None)


def _unknown_target(target: str, available: list[Connector]) -> SourceError:
    forms = "; ".join(c.targets for c in available)
    return SourceError(target, f"no connector reads {target!r}; give one of: {forms}")


def iter_sources(
    targets: Iterable[str], *, max_file_bytes: int | None = None, limits: SourceLimits | None = None
) -> Iterator[Document | SourceError]:
    """Read every target in turn, yielding documents and failures as they come.

    A second document with a ``doc_id`` already seen is reported as a SourceError
    (it would otherwise silently replace the first in the index).
    """
    available = build_connectors(max_file_bytes=max_file_bytes, limits=limits)
    first_source: dict[str, str] = {}
    for target in targets:
        connector = pick_connector(target, available)
        if connector is None:
            yield _unknown_target(target, available)
            continue
        try:
            for item in connector.run(target):
                if isinstance(item, Document):
                    earlier = first_source.get(item.doc_id)
                    if earlier is not None:
                        yield SourceError(
                            item.source,
                            f"duplicate doc_id {item.doc_id!r} (already read from {earlier}); "
                            "rename one of them or ingest them into different sandboxes",
                        )
                        continue
                    first_source[item.doc_id] = item.source
                yield item
        except ConnectorError as exc:
            yield SourceError(exc.source or target, str(exc))


def load_sources(
    targets: list[str], *, max_file_bytes: int | None = None, limits: SourceLimits | None = None
) -> tuple[list[Document], list[SourceError]]:
    """Read every target (file, folder, URL, ``sql+…`` query) into documents and errors.

    Each target goes to the first connector, in registry-name order, that accepts
    it; a target none accepts is a SourceError listing the forms they take. ``limits``
    (default: ``aulac_rag.limits.DEFAULT_SOURCE_LIMITS``) caps what each source may cost;
    ``max_file_bytes``, when given, replaces its file size cap.
    """
    documents: list[Document] = []
    errors: list[SourceError] = []
    for item in iter_sources(targets, max_file_bytes=max_file_bytes, limits=limits):
        if isinstance(item, Document):
            documents.append(item)
        else:
            errors.append(item)
    return documents, errors
