"""Private files: keys and the audit log are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def make_private(path: Path) -> None:
    """Create ``path`` if needed and set it (and SQLite's -wal/-shm companions) to mode 0600."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if candidate.exists() and (candidate.stat().st_mode & 0o777) != 0o600:
                candidate.chmod(0o600)
        except OSError:
            pass  # not ours to change (another owner): leave it as the operator set it
