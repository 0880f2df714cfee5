"""The tamper-evident audit log: one hash-chained SQLite row per answered or refused question.

log = AuditLog.for_home()          # AULAC_HOME/audit.sqlite
log.append(AuditEntry(...))
report = log.verify("healthcare")  # report.ok, report.problems
"""

from aulac_rag.audit.chain import GENESIS, Problem, VerifyReport, canonical_json, row_hash, verify_chain
from aulac_rag.audit.export import FORMATS, verify_jsonl, write_rows
from aulac_rag.audit.log import AUDIT_FILE, COLUMNS, AuditEntry, AuditLog

__all__ = [
    "AUDIT_FILE",
    "COLUMNS",
    "FORMATS",
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "Problem",
    "VerifyReport",
    "canonical_json",
    "row_hash",
    "verify_chain",
    "verify_jsonl",
    "write_rows",
]
