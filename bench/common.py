"""Shared bits of the benchmarks: data loading, machine description, metrics."""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}, load avg {load:.2f}"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def ranking_metrics(ranked: list[str], gold: set[str], k: int = 10) -> dict[str, float]:
    """P@1, R@k, MRR@k and nDCG@k of one ranked list of doc ids."""
    top = ranked[:k]
    rr = next((1.0 / (i + 1) for i, d in enumerate(top) if d in gold), 0.0)
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(top) if d in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return {
        "P@1": float(bool(top) and top[0] in gold),
        f"R@{k}": len(gold & set(top)) / len(gold) if gold else 0.0,
        f"MRR@{k}": rr,
        f"nDCG@{k}": dcg / ideal if ideal else 0.0,
    }


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: 100 * sum(r[key] for r in rows) / len(rows) for key in rows[0]} if rows else {}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]
