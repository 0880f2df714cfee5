"""Reading a sandbox's evaluation set (``eval.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path

from aulac_rag.errors import EvaluationError
from aulac_rag.evaluation.types import EvalItem

_REQUIRED = ("id", "question", "reference", "reference_doc_ids")


def load_eval_set(path: Path, limit: int | None = None) -> list[EvalItem]:
    """Items of ``path`` (the first ``limit`` when given); errors name the file and line."""
    if not path.is_file():
        raise EvaluationError(
            f"no evaluation set at {path}; write one line per item: "
            '{"id", "question", "reference", "reference_doc_ids": [...], "reference_contexts": [...]}'
        )
    items: list[EvalItem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationError(f"{where}: not valid JSON: {exc.msg}") from None
            if not isinstance(raw, dict):
                raise EvaluationError(f"{where}: expected a JSON object")
            missing = [k for k in _REQUIRED if k not in raw]
            if missing:
                raise EvaluationError(f"{where}: missing {', '.join(missing)}")
            doc_ids, contexts = raw["reference_doc_ids"], raw.get("reference_contexts") or []
            if not isinstance(doc_ids, list) or not all(isinstance(d, str) for d in doc_ids):
                raise EvaluationError(f"{where}: reference_doc_ids must be a list of strings")
            if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
                raise EvaluationError(f"{where}: reference_contexts must be a list of strings")
            item_id = str(raw["id"])
            if item_id in seen:
                raise EvaluationError(f"{where}: duplicate id {item_id!r}")
            seen.add(item_id)
            items.append(
                EvalItem(item_id, str(raw["question"]), str(raw["reference"]), tuple(doc_ids), tuple(contexts))
            )
            if limit is not None and len(items) >= limit:
                break
    if not items:
        raise EvaluationError(f"{path}: the evaluation set is empty")
    return items
