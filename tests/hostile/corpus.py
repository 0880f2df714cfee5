"""Hostile files, generated at test time (nothing binary is committed), and two valid Vietnamese texts."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.connectors.conftest import build_pdf

MiB = 1024 * 1024
BOMB_DECLARED = 300 * MiB  # word/document.xml of bomb.docx unpacks to this; the file itself is ~0.3 MB
VALID = {
    "luat-giao-thong.txt": "Luật Giao thông đường bộ quy định người điều khiển xe mô tô phải đội mũ bảo hiểm.",
    "bao-hiem-y-te.txt": "Người tham gia bảo hiểm y tế khám đúng tuyến được quỹ chi trả tám mươi phần trăm chi phí.",
}
VIETNAMESE = "Tiếng Việt có dấu: điều khoản, nghị định, bảo hiểm.\n"
LATIN1 = "Bà già, cà phê, trà, ông bà, mì.\n"  # only letters latin-1 has


def bomb_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w") as member:
            block = b"<" * MiB
            for _ in range(BOMB_DECLARED // MiB):
                member.write(block)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(build_pdf(["Secret report"]))))
    writer.encrypt(user_password="mat-khau", owner_password="chu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hostile_files() -> dict[str, bytes]:
    """File name → content; each must give exactly one error when ingested."""
    depth = 100_000
    return {
        "bomb.docx": bomb_docx(),
        "truncated.pdf": build_pdf(["Báo cáo quý"])[:40],
        "encrypted.pdf": encrypted_pdf(),
        "no-text.pdf": build_pdf([""]),
        "nested.jsonl": ("[" * depth + "]" * depth + "\n").encode(),
        "cp1258.txt": "Vi\u00ea\u0323t Nam, Ha\u0300 N\u00f4\u0323i".encode("cp1258"),
        "utf16-no-bom.txt": VIETNAMESE.encode("utf-16-le"),
        "latin1.txt": LATIN1.encode("latin-1"),
        "nul-filled.txt": b"\x00" * 4096,
        "one-line-20mb.txt": b"x" * (20 * MiB),
        "empty.txt": b"",
        "really-a-pdf.docx": build_pdf(["Not Word"]),
        "nested-divs.html": ("<html><body>" + "<div>" * depth + "chào" + "</div>" * depth + "</body></html>").encode(),
    }


def write_corpus(folder: Path) -> dict[str, bytes]:
    """Write the hostile files and the valid ones into ``folder``; returns the hostile ones."""
    folder.mkdir(parents=True, exist_ok=True)
    hostile = hostile_files()
    for name, data in hostile.items():
        (folder / name).write_bytes(data)
    for name, text in VALID.items():
        (folder / name).write_text(text, encoding="utf-8")
    return hostile
