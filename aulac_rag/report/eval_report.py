"""The evaluation report of one run: ``report.md``, ``report.html`` (charts) and ``report.json``."""

from __future__ import annotations

import statistics
from pathlib import Path

from aulac_rag.evaluation import specs
from aulac_rag.evaluation.runs import save_run
from aulac_rag.evaluation.types import EvalRun, ItemResult
from aulac_rag.report import charts
from aulac_rag.report.document import (
    Document,
    Figure,
    KeyValues,
    Para,
    Quote,
    Section,
    Table,
    render_html,
    render_markdown,
)

WORST_ITEMS = 5
CONTEXT_CHARS = 600
MODE_LABELS = {"llm": "LLM", "extractive": "trích xuất (không dùng LLM)"}


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def verdict(passed: bool) -> str:
    return "Đạt" if passed else "Không đạt"


def modes_label(modes: dict[str, int]) -> str:
    return ", ".join(f"{MODE_LABELS.get(m, m)}: {n}" for m, n in sorted(modes.items())) or "—"


def item_score(item: ItemResult) -> float:
    """An item's mean score over its higher-is-better metrics (for ranking the worst)."""
    values = [v for k, v in item.scores.items() if v is not None and k in specs.metric_specs]
    return statistics.fmean(values) if values else 0.0


def checks_table(run: EvalRun) -> Table:
    rows, tones = [], []
    for c in run.checks:
        sign = "≤" if c.lower_is_better else "≥"
        rows.append(
            [
                specs.GROUP_LABELS.get(c.group, c.group),
                c.name,
                c.label,
                fmt(c.value),
                f"{sign} {c.threshold:g}",
                str(c.count),
                verdict(c.passed),
            ]
        )
        tones.append("ok" if c.passed else "bad")
    return Table(["Nhóm", "Chỉ số", "Ý nghĩa", "Giá trị", "Ngưỡng", "Số mục", "Kết quả"], rows, tones)


def conclusion(run: EvalRun) -> Para:
    failed = [c.name for c in run.checks if not c.passed]
    if run.passed:
        return Para(f"ĐẠT: cả {len(run.checks)} chỉ số đều đạt ngưỡng trong sandbox.yaml.", "ok")
    return Para(f"KHÔNG ĐẠT: {len(failed)}/{len(run.checks)} chỉ số chưa đạt ngưỡng: {', '.join(failed)}.", "bad")


def distribution_section(run: EvalRun) -> Section:
    section = Section("Phân bố điểm theo từng câu hỏi")
    names = [c.name for c in run.checks if c.group != specs.REDTEAM]
    thresholds = run.thresholds
    svgs, rows = [], []
    for name in names:
        values = [float(v) for v in (i.scores.get(name) for i in run.items) if v is not None]
        if not values:
            continue
        svgs.append(charts.histogram(values, name, threshold=thresholds.get(name)))
        rows.append(
            [
                name,
                str(len(values)),
                fmt(min(values)),
                fmt(statistics.median(values)),
                fmt(statistics.fmean(values)),
                fmt(max(values)),
            ]
        )
    if svgs:
        section.add(
            Figure(
                charts.row_of(svgs), "Biểu đồ tần suất điểm của từng câu hỏi (đường đỏ: ngưỡng của giá trị trung bình)"
            )
        )
    section.add(Table(["Chỉ số", "Số mục", "Nhỏ nhất", "Trung vị", "Trung bình", "Lớn nhất"], rows))
    return section


def worst_section(run: EvalRun, count: int = WORST_ITEMS) -> Section:
    section = Section(f"{count} câu hỏi có điểm thấp nhất")
    section.add(
        Para(
            "Xếp theo trung bình các chỉ số của từng câu hỏi; kèm câu trả lời, đáp án tham chiếu và ngữ cảnh đã truy hồi."
        )
    )
    for item in sorted(run.items, key=item_score)[:count]:
        sub = Section(f"{item.id} — {item.question}", level=3)
        scores = ", ".join(f"{k} {fmt(v)}" for k, v in item.scores.items())
        found = ", ".join(dict.fromkeys(c.doc_id for c in item.retrieved)) or "—"
        sub.add(
            KeyValues(
                [
                    ("Điểm", scores),
                    ("Tài liệu đúng", ", ".join(item.reference_doc_ids) or "—"),
                    ("Tài liệu truy hồi", found),
                    ("Chế độ", MODE_LABELS.get(item.mode, item.mode) + (" · bị từ chối" if item.refused else "")),
                ]
            )
        )
        sub.add(Quote("Câu trả lời", item.answer or "—"), Quote("Đáp án tham chiếu", item.reference))
        for n, ctx in enumerate(item.retrieved[:3], start=1):
            text = ctx.text if len(ctx.text) <= CONTEXT_CHARS else ctx.text[: CONTEXT_CHARS - 1] + "…"
            sub.add(Quote(f"Ngữ cảnh [{n}] {ctx.doc_id} (điểm {ctx.score:.3f})", text))
        if item.errors:
            sub.add(Table(["Chỉ số", "Lỗi"], [[k, v] for k, v in item.errors.items()]))
        section.add(sub)
    return section


def redteam_section(redteam: dict | None, skipped: str | None) -> Section:
    section = Section("Kiểm thử tấn công (red-team)")
    if redteam is None:
        section.add(Para(f"Chưa có: {skipped or 'không chạy'}.", "note"))
        return section
    section.add(
        Para(
            f"{redteam['cases']} tình huống từ {', '.join(Path(f).name for f in redteam['files'])}; "
            f"tỷ lệ chặn câu hỏi ngoài phạm vi: {fmt(redteam.get('out_of_scope_rate'))}."
        )
    )
    rows = []
    for entry in redteam["per_file"]:
        m = entry["metrics"]
        rows.append(
            [Path(entry["file"]).name, str(entry["cases"])]
            + [
                fmt(m.get(k))
                for k in (
                    "redteam_attack_block_rate",
                    "redteam_escalation_recall",
                    "redteam_benign_blocked_rate",
                    "redteam_pii_recall",
                    "redteam_pii_precision",
                    "out_of_scope_rate",
                )
            ]
        )
    section.add(
        Table(
            [
                "Tệp",
                "Số tình huống",
                "Chặn tấn công",
                "Chuyển tiếp khẩn cấp",
                "Chặn nhầm câu hợp lệ",
                "PII recall",
                "PII precision",
                "Chặn ngoài phạm vi",
            ],
            rows,
        )
    )
    misses = redteam.get("misses") or []
    if misses:
        section.add(
            Table(
                ["Mã", "Nhãn", "Hành động", "Nội dung"],
                [[m["id"], m["label"], m["action"], m["text"]] for m in misses[:20]],
            )
        )
    return section


def build_eval_document(run: EvalRun) -> Document:
    s = run.settings
    doc = Document(
        title=f"Báo cáo đánh giá sandbox «{run.sandbox}»",
        subtitle=(
            f"Chạy lúc {run.finished_at} · {len(run.items)} câu hỏi · k = {run.k} · "
            f"chế độ trả lời: {modes_label(s.get('modes', {}))} · {run.duration_s:.0f} giây"
        ),
        footer=f"aulac-rag {s.get('aulac_rag', '')} · ragas {s.get('ragas', '')} · report.json chứa kết quả đầy đủ của từng câu hỏi.",
    )
    summary = doc.section("Kết luận")
    summary.add(conclusion(run))
    rows = [(c.name, c.value, c.threshold, c.passed) for c in run.checks]
    metrics = doc.section("Các chỉ số so với ngưỡng")
    metrics.add(Figure(charts.metric_bars(rows), "Giá trị mỗi chỉ số (xanh: đạt, đỏ: không đạt); vạch đứt: ngưỡng"))
    metrics.add(checks_table(run))
    if run.skipped:
        metrics.add(
            Para(
                "Không chạy: "
                + "; ".join(f"{specs.GROUP_LABELS.get(k, k)} — {v}" for k, v in run.skipped.items())
                + ".",
                "note",
            )
        )
    doc.sections.append(distribution_section(run))
    doc.sections.append(worst_section(run))
    doc.sections.append(redteam_section(run.redteam, run.skipped.get(specs.REDTEAM)))
    config = doc.section("Cấu hình đã đánh giá")
    config.add(
        KeyValues(
            [
                ("Lĩnh vực", str(s.get("domain", ""))),
                ("Sinh câu trả lời", f"{s.get('backend', '')} {s.get('model', '')} {s.get('base_url', '')}".strip()),
                ("Mô hình nhúng", f"{s.get('embedder', '')} ({s.get('embedder_model_id', '')})"),
                ("Truy hồi", f"fusion {s.get('fusion', '')}, sparse {s.get('sparse_tokenizer', '')}, k = {run.k}"),
                ("Mã băm cấu hình (sha256)", str(s.get("config_hash", ""))),
                ("Bộ câu hỏi", f"{s.get('eval_file', '')} (sha256 {str(s.get('eval_sha256', ''))[:16]}…)"),
                ("LLM chấm điểm", "có" if s.get("judge") else "không"),
                ("So khớp ngữ cảnh (ragas NonLLM)", str(s.get("context_similarity", ""))),
            ]
        )
    )
    return doc


def write_eval_report(run: EvalRun, folder: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = build_eval_document(run)
    paths = {"json": save_run(run, folder), "md": folder / "report.md", "html": folder / "report.html"}
    paths["md"].write_text(render_markdown(doc, "report.html"), encoding="utf-8")
    paths["html"].write_text(render_html(doc), encoding="utf-8")
    return paths
