"""Document sources (files, URLs, SQL), importable as ``aulac_rag.connectors``.

``load_sources(["corpus/", "https://…", "sql+sqlite:///docs.db::SELECT …"])``
returns ``(documents, errors)``; one bad source never stops the others.
"""

from aulac_rag.connectors.base import (
    DEFAULT_MAX_FILE_BYTES,
    Connector,
    ConnectorFactory,
    build_connectors,
    connectors,
    iter_sources,
    load_sources,
)
from aulac_rag.connectors.files import FilesConnector
from aulac_rag.connectors.sql import SqlConnector
from aulac_rag.connectors.url import UrlConnector

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "Connector",
    "ConnectorFactory",
    "FilesConnector",
    "SqlConnector",
    "UrlConnector",
    "build_connectors",
    "connectors",
    "iter_sources",
    "load_sources",
]
