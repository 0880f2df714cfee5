"""Where state lives: ``--home`` > ``AULAC_HOME`` > ``~/.aulac``."""

from __future__ import annotations

import os
from pathlib import Path


def resolve_home(home: str | Path | None = None) -> Path:
    """The state folder (created if missing). Two different homes never share state."""
    chosen = Path(home) if home else Path(os.environ.get("AULAC_HOME") or Path.home() / ".aulac")
    chosen = chosen.expanduser().resolve()
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen
