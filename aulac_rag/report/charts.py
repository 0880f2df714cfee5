"""Inline SVG charts, drawn in Python (no plotting library, no script, no external file).

- :func:`metric_bars`: one horizontal bar per metric, green when it passes its
  threshold, red otherwise, with the threshold marked;
- :func:`histogram`: the distribution of a per-item score over [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

OK, BAD, INK, MUTED, GRID = "#1a7f37", "#c62828", "#1f2328", "#57606a", "#d0d7de"


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def metric_bars(rows: Sequence[tuple[str, float | None, float, bool]], width: int = 760) -> str:
    """``rows`` of (name, value, threshold, passed); values and thresholds on a 0–1 scale."""
    label_w, value_w, row_h, top = 290, 70, 26, 24
    plot_w = width - label_w - value_w
    height = top + row_h * len(rows) + 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Chỉ số so với ngưỡng" font-family="sans-serif" font-size="12">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" fill="{MUTED}" text-anchor="middle">{tick:g}</text>')
    for i, (name, value, threshold, passed) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" fill="{INK}" text-anchor="end">{_t(name)}</text>')
        if value is not None:
            w = _clamp(value) * plot_w
            color = OK if passed else BAD
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{color}" rx="2"/>'
            )
            shown = f"{value:.3f}"
        else:
            shown = "—"
        tx = label_w + _clamp(threshold) * plot_w
        parts.append(
            f'<line x1="{tx:.1f}" y1="{y + 1}" x2="{tx:.1f}" y2="{y + row_h - 1}" stroke="{INK}" stroke-width="2" '
            f'stroke-dasharray="3,2"><title>ngưỡng {threshold:g}</title></line>'
        )
        colour = OK if passed else BAD
        parts.append(f'<text x="{label_w + plot_w + 8}" y="{y + 16}" fill="{colour}" font-weight="bold">{shown}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: Sequence[float], title: str, bins: int = 10, threshold: float | None = None) -> str:
    """A small histogram of ``values`` (each in [0, 1]) with ``bins`` equal bins."""
    width, height, left, bottom, top = 250, 150, 28, 22, 20
    plot_w, plot_h = width - left - 8, height - top - bottom
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(_clamp(value) * bins))] += 1
    peak = max(counts) or 1
    bar_w = plot_w / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_t(title)}" font-family="sans-serif" font-size="11">',
        f'<text x="{width / 2:.0f}" y="13" text-anchor="middle" fill="{INK}" font-weight="bold">{_t(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="{MUTED}">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#0b5cad">'
            f"<title>{i / bins:.1f}–{(i + 1) / bins:.1f}: {count}</title></rect>"
        )
    for tick in (0, 0.5, 1):
        parts.append(
            f'<text x="{left + tick * plot_w:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">{tick:g}</text>'
        )
    if threshold is not None:
        tx = left + _clamp(threshold) * plot_w
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{top + plot_h}" stroke="{BAD}" stroke-width="1.5" '
            f'stroke-dasharray="3,2"><title>ngưỡng {threshold:g}</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def row_of(svgs: Sequence[str]) -> str:
    """Several small SVGs side by side (wrapping) in one figure."""
    return '<div style="display:flex;flex-wrap:wrap;gap:8px">' + "".join(svgs) + "</div>"
