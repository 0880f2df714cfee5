"""Rows for the console's tables and charts, read from a saved ``report.json`` (``EvalRun.to_dict()``).

Only reshaping for display: the values, thresholds and pass/fail come from the report as
the evaluation module wrote them. Older or partial reports that only have the CONTRACTS
keys (``metrics``, ``thresholds``, ``passed``) are shown too.
"""

from __future__ import annotations

from typing import Any

REDTEAM_GROUP = "redteam"


def _row(name: str, label: str, group: str, value: Any, threshold: Any, lower: bool, passed: Any) -> dict[str, Any]:
    return {
        "Chỉ số": name,
        "Mô tả": label or name,
        "Nhóm": group,
        "Giá trị": None if value is None else round(float(value), 4),
        "Ngưỡng": None if threshold is None else float(threshold),
        "Chiều": "≤ ngưỡng" if lower else "≥ ngưỡng",
        "Đạt": passed if isinstance(passed, bool) else None,
    }


def metric_rows(data: dict[str, Any], group: str | None = None) -> list[dict[str, Any]]:
    """One row per metric check of the report (only ``group``'s when given)."""
    checks = data.get("checks")
    if isinstance(checks, list) and checks:
        return [
            _row(
                str(c.get("name")),
                str(c.get("label") or ""),
                str(c.get("group") or ""),
                c.get("value"),
                c.get("threshold"),
                bool(c.get("lower_is_better")),
                c.get("passed"),
            )
            for c in checks
            if isinstance(c, dict) and (group is None or c.get("group") == group)
        ]
    metrics: dict[str, Any] = data["metrics"] if isinstance(data.get("metrics"), dict) else {}
    thresholds: dict[str, Any] = data["thresholds"] if isinstance(data.get("thresholds"), dict) else {}
    rows = []
    for name, value in metrics.items():
        if group is not None and not name.startswith(group):
            continue
        threshold = thresholds.get(name)
        passed = None if value is None or threshold is None else float(value) >= float(threshold)
        rows.append(_row(name, "", "", value, threshold, False, passed))
    return rows


def redteam_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The red-team checks of a report, or the red-team section's own numbers when it has no checks."""
    rows = metric_rows(data, REDTEAM_GROUP)
    if rows:
        return rows
    section = data.get("redteam")
    if isinstance(section, dict) and isinstance(section.get("metrics"), dict):
        return [_row(k, "", REDTEAM_GROUP, v, None, False, None) for k, v in section["metrics"].items()]
    return []


def redteam_details(data: dict[str, Any]) -> dict[str, Any] | None:
    """The report's red-team section (suite file, case counts, misses), if any."""
    section = data.get("redteam")
    return section if isinstance(section, dict) else None
