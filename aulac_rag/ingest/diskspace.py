"""Refuse to start writing an index on a nearly full disk.

The embedded Qdrant engine keeps its segments in memory-mapped, sparse files: when the
file system fills up while a mapped page is first written, the kernel stops the process
with SIGBUS, which no code can catch (tried on a full tmpfs). So ingestion checks free
space before it starts and stops with a clear message instead. The margin is
``AULAC_MIN_FREE_MB`` (default 256).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aulac_rag.errors import ConfigError, StoreError

DEFAULT_MIN_FREE_MB = 256.0


def min_free_bytes() -> int:
    raw = os.environ.get("AULAC_MIN_FREE_MB", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_MIN_FREE_MB
    except ValueError:
        raise ConfigError(f"$AULAC_MIN_FREE_MB must be a number of megabytes, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"$AULAC_MIN_FREE_MB must be >= 0, got {raw!r}")
    return int(value * (1 << 20))


def ensure_free_space(folder: Path) -> None:
    """StoreError when the file system holding ``folder`` has less free space than the margin."""
    need = min_free_bytes()
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < need:
        raise StoreError(
            f"only {free / (1 << 20):.0f} MB free on the disk of {folder} (ingestion needs at least "
            f"{need / (1 << 20):.0f} MB, $AULAC_MIN_FREE_MB): free disk space, then run the ingest again"
        )
