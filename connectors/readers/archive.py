"""Zip-based formats (.docx): checked against the caps before any library unpacks them.

:func:`safe_zip` reads the central directory (member count, declared sizes, compression
ratio), then unpacks every member with a bounded reader into a fresh, uncompressed zip that
the format library opens instead of the original. A member that lies about its size (declares
1 KB, inflates to 800 MiB) is cut at its declared size there, so the library never inflates it.
"""

from __future__ import annotations

import io
import zipfile

from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

_CHUNK = 1024 * 1024
_RATIO_FLOOR = 1024 * 1024  # members smaller than this are never a bomb, whatever their ratio
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Office writes; bzip2/lzma inflate unbounded
_MiB = 1024 * 1024


def safe_zip(data: bytes, kind: str, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> bytes:
    """The bytes of an equivalent stored (uncompressed) zip; ConnectorError when over a cap.

    ``kind`` names the format in messages, e.g. ``Word file``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            check_members(members, kind, limits)
            return _repack(archive, members, kind, limits)
    except ConnectorError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as exc:
        raise ConnectorError(
            f"cannot read {kind} (broken zip: {exc}); it may be corrupt or another format renamed: "
            "open it in Word or LibreOffice and save it again"
        ) from None


def check_members(members: list[zipfile.ZipInfo], kind: str, limits: SourceLimits) -> None:
    """Refuse by the central directory alone: too many members, too big unpacked, too compressed."""
    if len(members) > limits.max_zip_members:
        raise ConnectorError(_bomb(kind, f"has {len(members)} parts (limit {limits.max_zip_members})"))
    total = sum(member.file_size for member in members)
    if total > limits.max_unzipped_bytes:
        raise ConnectorError(
            _bomb(kind, f"unpacks to {total / _MiB:.0f} MiB (limit {limits.max_unzipped_bytes / _MiB:.0f} MiB)")
        )
    for member in members:
        if member.compress_type not in _METHODS:
            raise ConnectorError(
                f"cannot read {kind}: part {member.filename!r} uses an unusual compression "
                f"(method {member.compress_type}); open it in Word or LibreOffice and save it again"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_zip_ratio:
            raise ConnectorError(
                _bomb(kind, f"part {member.filename!r} is compressed {ratio:.0f}:1 (limit {limits.max_zip_ratio:g}:1)")
            )


def _repack(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], kind: str, limits: SourceLimits) -> bytes:
    out = io.BytesIO()
    left = limits.max_unzipped_bytes
    big = limits.max_unzipped_bytes >= zipfile.ZIP64_LIMIT
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for member in members:
            if member.is_dir():
                continue
            # zipfile stops at the declared file_size and checks the CRC; reading in chunks keeps
            # each inflate call bounded (a single read() would inflate the whole stream first).
            with archive.open(member) as source, copy.open(member.filename, "w", force_zip64=big) as target:
                while chunk := source.read(_CHUNK):
                    left -= len(chunk)
                    if left < 0:
                        raise ConnectorError(_bomb(kind, f"unpacks to more than {limits.max_unzipped_bytes / _MiB:.0f} MiB"))
                    target.write(chunk)
    return out.getvalue()


def _bomb(kind: str, what: str) -> str:
    return (
        f"refused {kind}: it {what}, which looks like a zip bomb; if the document is genuine, "
        "save it again in Word or LibreOffice (or split it) and ingest that copy"
    )
