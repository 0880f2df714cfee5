"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


def make_user_sandbox(home: Path, name: str = "tiny", **overrides: object) -> Path:
    """Write a user sandbox config under ``home`` (general domain) and return its folder."""
    folder = home / "sandboxes" / name
    folder.mkdir(parents=True, exist_ok=True)
    config: dict = {"name": name, "domain": "general", "description": "Sandbox thử nghiệm."}
    for key, value in overrides.items():
        config[key] = value
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def requires_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent (fresh clone outside CI)")



def run_cli(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run ``aulac ARGS`` in-process; (exit code, stdout, stderr)."""
    from aulac_rag.cli.main import main

    monkeypatch.setattr("sys.argv", ["aulac", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
