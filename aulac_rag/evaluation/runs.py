"""Where evaluation runs are kept: ``AULAC_HOME/reports/<sandbox>/<timestamp>/report.json``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from aulac_rag.errors import EvaluationError
from aulac_rag.evaluation.types import EvalRun

RUN_FILE = "report.json"


def runs_root(home: Path, sandbox: str) -> Path:
    return Path(home) / "reports" / sandbox


def new_run_dir(home: Path, sandbox: str) -> Path:
    """A new, empty run folder named by the UTC time (``-2``, ``-3`` … if taken)."""
    root = runs_root(home, sandbox)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder, n = root / stamp, 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def save_run(run: EvalRun, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RUN_FILE
    path.write_text(json.dumps(run.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def run_file(path: str | Path) -> Path:
    """``report.json`` of a run given its folder, its ``report.json`` or another file in it."""
    path = Path(path)
    candidate = path / RUN_FILE if path.is_dir() else path if path.name == RUN_FILE else path.parent / RUN_FILE
    if not candidate.is_file():
        raise EvaluationError(f"no evaluation run at {path} (expected a run folder or its {RUN_FILE})")
    return candidate


def load_run(path: str | Path) -> EvalRun:
    file = run_file(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data.get("kind") != "evaluation":
            raise ValueError("not an evaluation run")
        return EvalRun.from_dict(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise EvaluationError(f"{file}: not a readable evaluation run ({exc})") from None


def latest_run(home: Path, sandbox: str) -> tuple[EvalRun, Path] | None:
    """The most recently finished run of ``sandbox`` under ``home``, with its folder; None if none."""
    root = runs_root(home, sandbox)
    if not root.is_dir():
        return None
    found: list[tuple[str, str, Path]] = []
    for folder in root.iterdir():
        if (folder / RUN_FILE).is_file():
            try:
                run = load_run(folder)
            except EvaluationError:
                continue
            found.append((run.finished_at, folder.name, folder))
    if not found:
        return None
    _, _, folder = max(found)
    return load_run(folder), folder
