"""The hash chain: how a row's hash is computed and how a sequence of rows is verified.

Each sandbox has its own chain. Row ``seq`` 1 has ``prev_hash`` = :data:`GENESIS`;
every later row stores the previous row's ``row_hash``, and
``row_hash = sha256(prev_hash + canonical_json(row without row_hash))``.
Editing a row changes its hash; inserting or deleting one breaks the next row's
``prev_hash`` and the ``seq`` numbering; deleting the newest rows is caught by the
head record kept beside the chain. Pure functions: they work on database rows and on
exported JSONL alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64

#: The fields covered by ``row_hash`` (everything but ``id`` and ``row_hash`` itself).
HASHED_FIELDS: tuple[str, ...] = (
    "seq",
    "ts",
    "sandbox",
    "key_id",
    "role",
    "question",
    "retrieved",
    "guardrails",
    "answer",
    "refused",
    "mode",
    "backend",
    "model",
    "config_hash",
    "latency_ms",
    "prev_hash",
)

#: Fields added later, hashed only when they differ from their default, so rows written
#: before they existed keep their hashes. ``event``: ``answer`` (one finished answer or
#: refusal), ``started`` (written before generation), ``aborted`` (the client stopped reading)
#: or ``error`` (the request failed), ``trial`` (a change of the controlled trial's state: who, why),
#: ``document`` (documents ingested or deleted, and by whom), ``policy`` (a new version of the
#: policy, prompt, settings or trial plan: file, sha256 in ``config_hash``, what changed);
#: ``ref_seq``: the ``started`` row an end row closes.
OPTIONAL_FIELDS: dict[str, Any] = {"event": "answer", "ref_seq": 0}
EVENTS: tuple[str, ...] = ("answer", "started", "aborted", "error", "trial", "document", "policy")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(row: Mapping[str, Any]) -> str:
    """``sha256(prev_hash + canonical_json(hashed fields))`` as hex."""
    body = {k: row[k] for k in HASHED_FIELDS if k != "prev_hash"}
    for name, default in OPTIONAL_FIELDS.items():
        value = row.get(name, default)
        if value != default:
            body[name] = value
    return hashlib.sha256((row["prev_hash"] + canonical_json(body)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    """One break in a chain: the sandbox, the row's id and seq, and what is wrong."""

    sandbox: str
    row_id: int | None
    seq: Any
    reason: str

    def __str__(self) -> str:
        where = (
            f"row id={self.row_id} (sandbox {self.sandbox}, seq {self.seq})"
            if self.row_id is not None
            else f"sandbox {self.sandbox}"
        )
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of verifying one or more chains."""

    rows: int
    problems: tuple[Problem, ...]
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "problems": [
                {"sandbox": p.sandbox, "row_id": p.row_id, "seq": p.seq, "reason": p.reason} for p in self.problems
            ],
            "heads": self.heads,
        }


def verify_chain(
    sandbox: str, rows: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None = None, check_head: bool = True
) -> tuple[int, list[Problem], dict[str, Any]]:
    """Verify one sandbox's rows (ordered by seq). Returns (row count, problems, head seen)."""
    problems: list[Problem] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    last: Mapping[str, Any] | None = None
    for row in rows:
        count += 1
        rid, seq = row.get("id"), row["seq"]
        if seq != expected_seq:
            if isinstance(seq, int) and seq > expected_seq:
                reason = f"seq jumps from {expected_seq - 1} to {seq}: {seq - expected_seq} row(s) deleted"
            else:
                reason = f"unexpected seq {seq!r} after {expected_seq - 1}: row inserted"
            problems.append(Problem(sandbox, rid, seq, reason))
        if row["prev_hash"] != expected_prev:
            problems.append(
                Problem(
                    sandbox,
                    rid,
                    seq,
                    "prev_hash does not match the previous row: a row before it was edited, inserted or deleted",
                )
            )
        if row_hash(row) != row["row_hash"]:
            problems.append(Problem(sandbox, rid, seq, "row_hash does not match its content: row edited"))
        expected_prev = row["row_hash"]
        expected_seq = seq + 1 if isinstance(seq, int) else expected_seq + 1
        last = row
    seen = {"seq": last["seq"] if last else 0, "row_hash": last["row_hash"] if last else GENESIS}
    if check_head:
        if head is None and last is not None:
            problems.append(Problem(sandbox, None, None, "head record missing: the chain head was deleted"))
        elif head is not None and (head["seq"] != seen["seq"] or head["row_hash"] != seen["row_hash"]):
            problems.append(
                Problem(
                    sandbox,
                    None,
                    None,
                    f"chain ends at seq {seen['seq']} but its head record says seq {head['seq']}: newest row(s) deleted or altered",
                )
            )
    return count, problems, seen
