"""Printing helpers shared by CLI commands: JSON on stdout, nothing else there."""

from __future__ import annotations

import json
from typing import Any

import typer


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def iter_jsonl(path: str) -> list[dict[str, Any]]:
    """Records of a JSONL file; an invalid line stops with its number."""
    from aulac_rag.errors import ConfigError

    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise ConfigError(f"{path}:{number}: expected a JSON object")
            records.append(record)
    return records
