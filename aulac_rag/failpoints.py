"""Named crash points for fault tests (in the spirit of etcd's gofail).

``failpoint("ingest.after_upsert")`` does nothing unless the environment variable
``AULAC_FAILPOINT`` names that point; then the process kills itself with SIGKILL right
there, as a power cut would. Tests run ingestion in a child process with each name in
turn and check that a rerun loses nothing (``tests/core/test_failpoints.py``).
``AULAC_FAILPOINT=NAME=enospc`` raises ``OSError(ENOSPC)`` there instead: a full disk.
"""

from __future__ import annotations

import errno
import os
import signal

#: Every step boundary of ingestion, deletion, pruning and recovery, in the order they run.
FAILPOINTS = (
    "ingest.after_begin",
    "ingest.after_upsert",
    "ingest.after_all_upserts",
    "ingest.after_delete_old",
    "ingest.after_commit",
    "delete.after_mark",
    "delete.after_points",
    "recover.after_index",
)


def failpoint(name: str) -> None:
    """Kill this process now if ``AULAC_FAILPOINT`` is ``name``; fail as a full disk if ``name=enospc``."""
    point, _, action = os.environ.get("AULAC_FAILPOINT", "").partition("=")
    if point != name:
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"failpoint {name}")
    os.kill(os.getpid(), signal.SIGKILL)
