"""A period's audit rows with a signed checkpoint, as one ZIP file a regulator can keep.

    bundle = export_period(AuditLog.for_home(), "healthcare", since=date(2026, 11, 1), fmt="jsonl")
    Path(bundle.file_name).write_bytes(bundle.zip_bytes())

The ZIP holds the rows (``rows.jsonl`` or ``rows.csv``, with their hashes), ``checkpoint.json`` (the
whole chain's head signed with the key named by ``AULAC_AUDIT_KEY``, as ``aulac audit checkpoint``
writes it), ``manifest.json`` (the period, the rows' seq range and the rows file's sha256) and
``HUONG_DAN.txt`` (how to verify, in Vietnamese). Nothing is exported from a broken chain, and
nothing without a key: a signed export is the point (fail closed).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from aulac_rag.audit.chain import GENESIS
from aulac_rag.audit.checkpoint import KEY_ENV, load_key, make_checkpoint
from aulac_rag.audit.export import FORMATS, write_rows
from aulac_rag.errors import AuditError

#: Said in the console and the report when no signing key is configured.
NO_KEY_MESSAGE = (
    f"Chưa cấu hình khóa ký nhật ký kiểm toán: không thể xuất bản có chữ ký. Tạo khóa (ngoài AULAC_HOME) bằng "
    f"`aulac audit keygen --out /duong-dan/audit-key.pem`, rồi đặt biến môi trường {KEY_ENV}=/duong-dan/audit-key.pem "
    "trước khi khởi động ứng dụng."
)


def signing_configured() -> bool:
    return bool(os.environ.get(KEY_ENV, "").strip())


@dataclass(frozen=True)
class AuditExport:
    sandbox: str
    since: date | None
    until: date | None
    fmt: str
    rows: int
    data: bytes  # the rows file
    checkpoint: dict[str, Any]
    manifest: dict[str, Any]

    @property
    def file_name(self) -> str:
        span = f"{self.since or 'dau'}_{self.until or 'nay'}"
        return f"audit-{self.sandbox}-{span}.zip"

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(f"rows.{self.fmt}", self.data)
            bundle.writestr("checkpoint.json", json.dumps(self.checkpoint, ensure_ascii=False, indent=1) + "\n")
            bundle.writestr("manifest.json", json.dumps(self.manifest, ensure_ascii=False, indent=1) + "\n")
            bundle.writestr("HUONG_DAN.txt", _guide(self))
        return buffer.getvalue()


def _guide(export: AuditExport) -> str:
    return (
        f"Bản xuất nhật ký kiểm toán của sandbox {export.sandbox}, {export.rows} dòng "
        f"(seq {export.manifest['first_seq']}–{export.manifest['last_seq']}), kỳ {export.since or 'từ đầu'} → "
        f"{export.until or 'nay'} (UTC).\n\n"
        f"- rows.{export.fmt}: các dòng kèm prev_hash và row_hash; sha256 của tệp ghi trong manifest.json.\n"
        f"- checkpoint.json: đầu chuỗi của toàn bộ nhật ký (size {export.checkpoint['size']}) ký bằng Ed25519, "
        f"khóa {export.checkpoint['key_id']}.\n\n"
        "Kiểm tra: lưu checkpoint.json; về sau chạy `aulac audit verify --checkpoint checkpoint.json` trên nhật ký "
        "của đơn vị vận hành: lệnh báo lỗi nếu có dòng nào đến seq trên bị sửa, xoá hoặc băm lại. Mỗi dòng trong "
        "rows có row_hash = sha256(prev_hash + nội dung), nối tiếp dòng trước; so sánh với nhật ký gốc.\n"
    )


def export_period(
    log: Any, sandbox: str, *, since: date | None = None, until: date | None = None, fmt: str = "jsonl"
) -> AuditExport:
    """The rows of ``sandbox`` whose time falls in ``since``..``until`` (UTC days, inclusive), signed."""
    if fmt not in FORMATS:
        raise AuditError(f"unknown export format {fmt!r}; use jsonl or csv")
    if since is not None and until is not None and until < since:
        raise AuditError(f"the period ends ({until}) before it starts ({since})")
    key = load_key()  # AuditError (one line) without a key
    report = log.verify(sandbox)
    if not report.ok:
        raise AuditError(f"refusing to sign a broken chain: {report.problems[0]}")
    start = datetime.combine(since, time.min, tzinfo=timezone.utc) if since else None
    stop = datetime.combine(until + timedelta(days=1), time.min, tzinfo=timezone.utc) if until else None
    rows = [r for r in log.rows(sandbox) if _inside(r.get("ts"), start, stop)]
    buffer = io.StringIO()
    write_rows(rows, buffer, fmt)
    data = buffer.getvalue().encode("utf-8")
    head = report.heads.get(sandbox) or {"seq": 0, "row_hash": GENESIS}
    checkpoint = make_checkpoint(sandbox, head, key).model_dump()
    manifest = {
        "sandbox": sandbox,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "format": fmt,
        "rows": len(rows),
        "first_seq": rows[0]["seq"] if rows else None,
        "last_seq": rows[-1]["seq"] if rows else None,
        "rows_sha256": hashlib.sha256(data).hexdigest(),
        "checkpoint": {"size": checkpoint["size"], "head": checkpoint["head"], "key_id": checkpoint["key_id"]},
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return AuditExport(sandbox, since, until, fmt, len(rows), data, checkpoint, manifest)


def _inside(ts: Any, start: datetime | None, stop: datetime | None) -> bool:
    try:
        moment = datetime.fromisoformat(str(ts))
    except ValueError:
        return start is None and stop is None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (start is None or moment >= start) and (stop is None or moment < stop)
