"""Reports: an evaluation run's report and the regulator's sandbox report (Markdown, HTML, JSON).

write_eval_report(run, folder)                         # report.md / report.html / report.json
write_sandbox_report(collect_facts(sandbox), folder)   # sandbox-report.md / .html / .json
"""

from aulac_rag.report.document import Document, render_html, render_markdown
from aulac_rag.report.eval_report import build_eval_document, write_eval_report
from aulac_rag.report.sandbox_report import build_sandbox_document, collect_facts, write_sandbox_report

__all__ = [
    "Document",
    "build_eval_document",
    "build_sandbox_document",
    "collect_facts",
    "render_html",
    "render_markdown",
    "write_eval_report",
    "write_sandbox_report",
]
