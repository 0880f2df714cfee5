"""Files and folders: one document per file, or per record in ``.jsonl`` / ``.csv`` files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from aulac_rag.connectors.base import Connector, source_limits
from aulac_rag.connectors.readers import FILE_READERS, RECORD_READERS, SUPPORTED_EXTENSIONS, Record
from aulac_rag.connectors.readers.text import file_title
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError
from aulac_rag.extras import import_error_message
from aulac_rag.limits import SourceLimits

TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class FilesConnector(Connector):
    """Reads a file, or every file under a folder (recursive, sorted, hidden ones skipped).

    ``doc_id`` is the path relative to the folder with ``/`` separators, or the file
    name for a single file; records in ``.jsonl`` / ``.csv`` keep their own ids. ``limits``
    caps each file (size, zip bombs in .docx, nesting in .jsonl and HTML); ``max_file_bytes``,
    when given, replaces its size cap.
    """

    name = "files"
    targets = "a file or folder path"

    def __init__(self, *, max_file_bytes: int | None = None, limits: SourceLimits | None = None) -> None:
        self.limits = source_limits(max_file_bytes, limits)
        self.max_file_bytes = self.limits.max_file_bytes

    def accepts(self, target: str) -> bool:
        """Anything that is not a ``scheme://`` address is taken for a path."""
        return bool(target) and not _SCHEME.match(target)

    def run(self, target: str) -> Iterator[Document | SourceError]:
        root = Path(target)
        if root.is_dir():
            for item in _walk(root):
                if isinstance(item, SourceError):
                    yield item
                else:
                    yield from self.read_file(root / item, doc_id=item)
        elif root.exists():
            yield from self.read_file(root, doc_id=root.name)
        else:
            yield SourceError(target, f"no such file or folder: {target}; check the path")

    def read_file(self, path: Path, *, doc_id: str) -> Iterator[Document | SourceError]:
        """The documents in one file (one, or one per record), or why it cannot be read."""
        source = str(path)
        try:
            data = self._load(path)
        except ConnectorError as exc:
            yield SourceError(source, str(exc))
            return
        extension = path.suffix.lower()
        if extension in RECORD_READERS:
            yield from _records(data, extension, source, self.limits)
            return
        try:
            extracted = FILE_READERS[extension](data, limits=self.limits)
        except ConnectorError as exc:
            yield SourceError(source, str(exc))
            return
        except ImportError as exc:  # e.g. .pdf without the [docs] extra: this file fails, the others go on
            yield SourceError(source, import_error_message(f"reading {extension} files", exc))
            return
        if not extracted.text.strip():
            yield SourceError(source, "empty file (no text to index)")
            return
        metadata = {"file_type": extension.lstrip("."), **extracted.metadata}
        yield Document(doc_id, extracted.text, extracted.title or _fallback_title(path), source, metadata)

    def _load(self, path: Path) -> bytes:
        """The file's bytes, after the checks that need no reading."""
        extension = path.suffix.lower()
        if extension not in FILE_READERS and extension not in RECORD_READERS:
            shown = extension or "(no extension)"
            raise ConnectorError(f"unsupported file type {shown} (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
        try:
            if not path.is_file():
                raise ConnectorError("not a regular file (a device, pipe or socket); give a file or a folder")
            size = path.stat().st_size
            if size > self.max_file_bytes:
                raise ConnectorError(
                    f"file is {format_size(size)}, over the {format_size(self.max_file_bytes)} limit; "
                    "raise max_file_mb in the sandbox's sandbox.yaml, or split the file"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise ConnectorError(
                f"cannot read file ({exc.strerror or exc}); check that it exists and is readable"
            ) from None
        if not data or data.isspace():
            raise ConnectorError("empty file")
        return data


def _records(data: bytes, extension: str, source: str, limits: SourceLimits) -> Iterator[Document | SourceError]:
    first_seen: dict[str, str] = {}
    failed = False
    try:
        for item in RECORD_READERS[extension](data, limits=limits):
            if not isinstance(item, Record):
                failed = True
                yield SourceError(source, f"{item.where}: {item.error}")
            elif item.doc_id in first_seen:
                failed = True
                yield SourceError(
                    source,
                    f"{item.where}: duplicate id {item.doc_id!r} (first at {first_seen[item.doc_id]}); ids must be unique",
                )
            else:
                first_seen[item.doc_id] = item.where
                metadata = {"file_type": extension.lstrip("."), **item.metadata}
                yield Document(item.doc_id, item.text, item.title, source, metadata)
    except ConnectorError as exc:
        yield SourceError(source, str(exc))
        return
    if not first_seen and not failed:
        yield SourceError(source, "empty file (no records)")


def _walk(root: Path) -> Iterator[str | SourceError]:
    """Relative POSIX paths of the files under ``root``, sorted; hidden files and folders skipped."""
    found: list[tuple[str, ...]] = []
    problems: list[SourceError] = []

    def report(exc: OSError) -> None:
        problems.append(SourceError(str(exc.filename or root), f"cannot list folder ({exc.strerror or exc})"))

    for folder, subfolders, names in os.walk(root, onerror=report):
        subfolders[:] = [name for name in subfolders if not _hidden(name)]
        base = Path(folder).relative_to(root).parts
        found.extend((*base, name) for name in names if not _hidden(name))
    yield from problems
    for parts in sorted(found):
        yield "/".join(parts)


def _hidden(name: str) -> bool:
    """Dot files, and Office lock files (``~$report.docx``)."""
    return name.startswith((".", "~$"))


def _fallback_title(path: Path) -> str:
    """A document without a title of its own: a text file's name de-slugged ("bao-hiem-y-te.txt" → "Bao hiem y te"),
    any other file's name as it is."""
    return file_title(path.stem) if path.suffix.lower() in TEXT_EXTENSIONS else path.stem


def format_size(size: int) -> str:
    """``12 bytes``, ``3.4 KB``, ``62.0 MB`` (binary units, as max_file_mb counts)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} byte" + ("" if size == 1 else "s")


