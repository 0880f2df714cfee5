"""Two evaluation runs side by side: ``aulac eval --compare RUN_A RUN_B``.

Typical uses: two models, two embedders, two configs of one sandbox. Differences are
``B − A``; for lower-is-better metrics a negative difference is the improvement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aulac_rag.evaluation import specs
from aulac_rag.evaluation.types import EvalRun

SETTINGS = (
    "backend",
    "model",
    "embedder",
    "embedder_model_id",
    "fusion",
    "reranker",
    "config_hash",
    "eval_sha256",
    "items",
    "judge",
)


@dataclass(frozen=True)
class Comparison:
    a: EvalRun
    b: EvalRun
    a_path: str
    b_path: str

    def metric_rows(self) -> list[dict[str, Any]]:
        checks_a = {c.name: c for c in self.a.checks}
        checks_b = {c.name: c for c in self.b.checks}
        names = list(checks_a) + [n for n in checks_b if n not in checks_a]
        rows = []
        for name in names:
            ca, cb = checks_a.get(name), checks_b.get(name)
            va = ca.value if ca else None
            vb = cb.value if cb else None
            delta = None if va is None or vb is None else round(vb - va, 4)
            lower = specs.spec(name).lower_is_better if name in specs.metric_specs else False
            better = None if delta is None or delta == 0 else (delta < 0) == lower
            rows.append(
                {
                    "name": name,
                    "a": va,
                    "b": vb,
                    "delta": delta,
                    "b_better": better,
                    "threshold_a": ca.threshold if ca else None,
                    "threshold_b": cb.threshold if cb else None,
                    "passed_a": ca.passed if ca else None,
                    "passed_b": cb.passed if cb else None,
                }
            )
        return rows

    def setting_rows(self) -> list[dict[str, Any]]:
        rows = []
        for key in ("sandbox", "k", *SETTINGS):
            va = getattr(self.a, key) if key in ("sandbox", "k") else self.a.settings.get(key)
            vb = getattr(self.b, key) if key in ("sandbox", "k") else self.b.settings.get(key)
            rows.append({"name": key, "a": va, "b": vb, "same": va == vb})
        return rows

    def item_changes(self, metric: str = "hit_at_k") -> dict[str, Any]:
        """Items (by id) whose ``metric`` went up or down from A to B."""
        before = {i.id: i.scores.get(metric) for i in self.a.items}
        up: list[str] = []
        down: list[str] = []
        for item in self.b.items:
            old, new = before.get(item.id), item.scores.get(metric)
            if old is None or new is None or old == new:
                continue
            (up if new > old else down).append(item.id)
        return {"metric": metric, "improved": up, "worsened": down}

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {
                "path": self.a_path,
                "sandbox": self.a.sandbox,
                "finished_at": self.a.finished_at,
                "passed": self.a.passed,
            },
            "b": {
                "path": self.b_path,
                "sandbox": self.b.sandbox,
                "finished_at": self.b.finished_at,
                "passed": self.b.passed,
            },
            "metrics": self.metric_rows(),
            "settings": self.setting_rows(),
            "items": self.item_changes(),
        }

    def render_text(self) -> str:
        """A plain-text table for the terminal."""

        def fmt(value: Any) -> str:
            if value is None:
                return "—"
            if isinstance(value, bool):
                return "đạt" if value else "KHÔNG ĐẠT"
            if isinstance(value, float):
                return f"{value:.4f}"
            return str(value)

        def table(headers: list[str], rows: list[list[str]]) -> list[str]:
            widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

            def line(cells: list[str]) -> str:
                return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

            return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]

        out = [f"A: {self.a_path}  ({self.a.finished_at}, {'ĐẠT' if self.a.passed else 'KHÔNG ĐẠT'})"]
        out.append(f"B: {self.b_path}  ({self.b.finished_at}, {'ĐẠT' if self.b.passed else 'KHÔNG ĐẠT'})")
        out.append("")
        metric_rows = []
        for r in self.metric_rows():
            sign = "" if r["delta"] is None or r["delta"] <= 0 else "+"
            mark = {True: "▲", False: "▼", None: ""}[r["b_better"]]
            delta = "—" if r["delta"] is None else f"{sign}{r['delta']:.4f} {mark}".rstrip()
            metric_rows.append([r["name"], fmt(r["a"]), fmt(r["b"]), delta, fmt(r["passed_a"]), fmt(r["passed_b"])])
        out += table(["metric", "A", "B", "B−A", "A", "B"], metric_rows)
        out.append("")

        def setting(value: Any) -> str:
            return ("có" if value else "không") if isinstance(value, bool) else fmt(value)

        setting_rows = [
            [r["name"], setting(r["a"]), setting(r["b"]), "" if r["same"] else "≠"] for r in self.setting_rows()
        ]
        out += table(["setting", "A", "B", ""], setting_rows)
        changes = self.item_changes()
        out.append("")
        out.append(f"hit_at_k: {len(changes['improved'])} item(s) improved, {len(changes['worsened'])} worsened")
        if changes["worsened"]:
            out.append("  worsened: " + ", ".join(changes["worsened"]))
        return "\n".join(out)


def compare_runs(a: EvalRun, b: EvalRun, a_path: str = "A", b_path: str = "B") -> Comparison:
    return Comparison(a, b, a_path, b_path)
