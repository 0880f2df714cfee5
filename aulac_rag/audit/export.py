"""Exporting the audit log as JSONL or CSV, and verifying an exported JSONL file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from aulac_rag.audit.chain import VerifyReport, canonical_json, verify_chain
from aulac_rag.audit.log import COLUMNS
from aulac_rag.errors import AuditError

FORMATS = ("jsonl", "csv")


def write_rows(rows: Iterable[dict[str, Any]], out: TextIO, fmt: str) -> int:
    """Write ``rows`` to ``out`` as ``jsonl`` (one object a line) or ``csv`` (JSON in list cells)."""
    if fmt not in FORMATS:
        raise AuditError(f"unknown export format {fmt!r}; use jsonl or csv")
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({k: row[k] for k in COLUMNS}, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for row in rows:
        cells = {k: row[k] for k in COLUMNS}
        cells["retrieved"] = canonical_json(row["retrieved"])
        cells["guardrails"] = canonical_json(row["guardrails"])
        cells["refused"] = "true" if row["refused"] is True else "false" if row["refused"] is False else row["refused"]
        writer.writerow(cells)
        count += 1
    return count


def verify_jsonl(path: Path) -> VerifyReport:
    """Verify the chains in an exported JSONL file (no head records: newest-row deletion is not seen)."""
    by_sandbox: dict[str, list[dict[str, Any]]] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise AuditError(f"{path}:{line_no}: not JSON: {exc}") from exc
                by_sandbox.setdefault(row.get("sandbox", ""), []).append(row)
    except OSError as exc:
        raise AuditError(f"cannot read {path}: {exc}") from exc
    total, problems, heads = 0, [], {}
    for name, rows in sorted(by_sandbox.items()):
        try:
            count, found, head = verify_chain(name, rows, check_head=False)
        except KeyError as exc:
            raise AuditError(f"{path}: rows of sandbox {name!r} lack the field {exc}") from None
        total += count
        problems += found
        heads[name] = head
    return VerifyReport(rows=total, problems=tuple(problems), heads=heads)
