"""A small document model rendered twice: Markdown and a self-contained HTML page.

Reports are built once as a :class:`Document` of sections and blocks; the two
renderers below are the only places that know either format. Figures are inline SVG
in HTML; Markdown shows their caption and points to the HTML file.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Para:
    text: str
    tone: str = ""  # "", "ok", "bad", "note", "law" (a legal basis): a coloured callout in HTML, a lead in Markdown


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class KeyValues:
    pairs: list[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    tones: list[str] | None = None  # per row: "", "ok", "bad"


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str


@dataclass(frozen=True)
class Quote:
    """A long piece of source text (answer, context), shown verbatim."""

    label: str
    text: str


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


Block = Para | Bullets | KeyValues | Table | Figure | Quote | Section


@dataclass
class Document:
    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    footer: str = ""
    lang: str = "vi"

    def section(self, title: str, level: int = 2) -> Section:
        section = Section(title, level=level)
        self.sections.append(section)
        return section


# --- Markdown ------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _md_block(block: Block, out: list[str], html_name: str) -> None:
    if isinstance(block, Section):
        out += [f"{'#' * min(block.level, 6)} {block.title}", ""]
        for inner in block.blocks:
            _md_block(inner, out, html_name)
    elif isinstance(block, Para):
        lead = {"ok": "✅ ", "bad": "❌ ", "note": "ℹ️ ", "law": "⚖️ "}.get(block.tone, "")
        out += [f"{lead}{block.text}", ""]
    elif isinstance(block, Bullets):
        out += [f"- {item}" for item in block.items] + [""]
    elif isinstance(block, KeyValues):
        out += [f"- **{key}:** {value}" for key, value in block.pairs] + [""]
    elif isinstance(block, Table):
        out.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
        out.append("|" + "|".join("---" for _ in block.headers) + "|")
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        out.append("")
    elif isinstance(block, Figure):
        where = f" (biểu đồ trong {html_name})" if html_name else ""
        out += [f"*Hình: {block.caption}{where}*", ""]
    elif isinstance(block, Quote):
        out.append(f"**{block.label}:**")
        out += ["> " + line if line.strip() else ">" for line in block.text.strip().splitlines()] or [">"]
        out.append("")


def render_markdown(doc: Document, html_name: str = "") -> str:
    """The document as Markdown; ``html_name`` is mentioned where a figure is left out."""
    out = [f"# {doc.title}", ""]
    if doc.subtitle:
        out += [doc.subtitle, ""]
    for section in doc.sections:
        _md_block(section, out, html_name)
    if doc.footer:
        out += ["---", "", doc.footer, ""]
    return "\n".join(out).rstrip() + "\n"


# --- HTML ----------------------------------------------------------------------
_CSS = """
:root { --ok: #1a7f37; --bad: #c62828; --note: #0b5cad; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.55 "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: var(--ink);
       max-width: 1040px; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { margin-top: 1.6rem; } .subtitle { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; } tr.ok td:last-child { color: var(--ok); font-weight: 600; }
tr.bad td:last-child { color: var(--bad); font-weight: 600; } tr.bad { background: #fff5f5; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .6rem 0 1rem; }
dl.kv dt { font-weight: 600; } dl.kv dd { margin: 0; word-break: break-word; }
.callout { padding: .6rem .8rem; border-left: 4px solid var(--note); background: #f0f6ff; margin: .8rem 0; }
.callout.ok { border-color: var(--ok); background: #effaf1; } .callout.bad { border-color: var(--bad); background: #fff1f1; }
.callout.law { border-color: #6e40c9; background: #f7f3ff; font-size: .88rem; color: #3b2a63; }
figure { margin: 1rem 0; } figcaption { color: var(--muted); font-size: .88rem; }
blockquote { margin: .3rem 0 .8rem; padding: .4rem .8rem; background: #f6f8fa; border-left: 3px solid var(--line);
             white-space: pre-wrap; font-size: .9rem; }
.qlabel { font-weight: 600; margin: .5rem 0 0; } footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem;
  border-top: 1px solid var(--line); padding-top: .6rem; }
code { background: #f6f8fa; padding: 0 .2rem; border-radius: 3px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
"""


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _html_block(block: Block, out: list[str]) -> None:
    if isinstance(block, Section):
        level = min(block.level, 6)
        out.append(f"<h{level}>{_esc(block.title)}</h{level}>")
        for inner in block.blocks:
            _html_block(inner, out)
    elif isinstance(block, Para):
        if block.tone:
            out.append(f'<div class="callout {_esc(block.tone)}">{_esc(block.text)}</div>')
        else:
            out.append(f"<p>{_esc(block.text)}</p>")
    elif isinstance(block, Bullets):
        out.append("<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in block.items) + "</ul>")
    elif isinstance(block, KeyValues):
        out.append(
            '<dl class="kv">' + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in block.pairs) + "</dl>"
        )
    elif isinstance(block, Table):
        head = "".join(f"<th>{_esc(h)}</th>" for h in block.headers)
        tones = block.tones or [""] * len(block.rows)
        body = "".join(
            f'<tr class="{_esc(tone)}">' + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>"
            for row, tone in zip(block.rows, tones, strict=False)
        )
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    elif isinstance(block, Figure):
        out.append(f"<figure>{block.svg}<figcaption>{_esc(block.caption)}</figcaption></figure>")
    elif isinstance(block, Quote):
        out.append(f'<p class="qlabel">{_esc(block.label)}</p><blockquote>{_esc(block.text.strip())}</blockquote>')


def render_html(doc: Document) -> str:
    """The document as one HTML page with inline CSS and SVG: no external file or script."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_esc(doc.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(doc.title)}</h1>",
    ]
    if doc.subtitle:
        out.append(f'<p class="subtitle">{_esc(doc.subtitle)}</p>')
    for section in doc.sections:
        _html_block(section, out)
    if doc.footer:
        out.append(f"<footer>{_esc(doc.footer)}</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
