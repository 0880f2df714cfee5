"""Run as ``python -m tests.hostile.ingest_probe FOLDER``: ingest FOLDER into a fresh sandbox, print JSON.

A separate process, so its peak resident memory (``ru_maxrss``) measures this ingestion alone.
AULAC_HOME must point at an empty folder.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

SANDBOX = "hostile"
MAX_FILE_MB = 10


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(folder: str) -> dict[str, object]:
    from aulac_rag.sandbox import Sandbox
    from tests.helpers import make_user_sandbox

    make_user_sandbox(Path(os.environ["AULAC_HOME"]), SANDBOX, max_file_mb=MAX_FILE_MB)
    sandbox = Sandbox(SANDBOX)
    try:
        sandbox.retrieve("khởi động")  # load the embedder before the baseline
        before = rss_mb()
        started = time.perf_counter()
        summary = sandbox.ingest([folder])
        seconds = time.perf_counter() - started
        hits = {q: [h.doc_id for h in sandbox.retrieve(q, k=2).hits] for q in ("đội mũ bảo hiểm", "bảo hiểm y tế tuyến")}
        return {
            "documents": summary.documents,
            "errors": [{"source": e.source, "error": e.error} for e in summary.errors],
            "hits": hits,
            "seconds": round(seconds, 2),
            "rss_before_mb": round(before, 1),
            "rss_peak_mb": round(rss_mb(), 1),
        }
    finally:
        sandbox.close()


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), ensure_ascii=False))
