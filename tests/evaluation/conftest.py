"""Fixtures for the evaluation tests: a socket guard, a tiny sandbox, a fake embedder."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import make_user_sandbox, write_jsonl

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _host(address: Any) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # AF_UNIX paths and the like are local


@pytest.fixture
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail any connection to a non-loopback address; returns the refused addresses."""
    refused: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create = socket.create_connection

    def check(address: Any) -> None:
        host = _host(address)
        if host is not None and host not in LOOPBACK and not host.startswith("127."):
            refused.append(address)
            raise OSError(f"socket guard: connection to {address!r} refused (tests must stay offline)")

    def connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        check(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return refused


DOCS = {
    "muc-huong.md": (
        "# Mức hưởng bảo hiểm y tế\n\n"
        "Học sinh, sinh viên và người lao động được quỹ bảo hiểm y tế chi trả 80% chi phí khám chữa bệnh. "
        "Người đang hưởng lương hưu được chi trả 95% chi phí. Trẻ em dưới 6 tuổi được chi trả 100% chi phí.\n"
    ),
    "chuyen-tuyen.md": (
        "# Chuyển tuyến điều trị\n\n"
        "Khi bệnh viện tuyến dưới không đủ khả năng điều trị, bác sĩ lập giấy chuyển tuyến cho người bệnh. "
        "Giấy chuyển tuyến có giá trị sử dụng trong 10 ngày làm việc kể từ ngày ký.\n"
    ),
    "hoc-phi.md": (
        "# Học phí đại học\n\n"
        "Học phí đại học công lập được thu theo số tín chỉ đăng ký trong học kỳ. "
        "Sinh viên thuộc hộ nghèo được miễn học phí theo quy định.\n"
    ),
}

EVAL_ITEMS = [
    {
        "id": "t-1",
        "question": "Người nghỉ hưu được bảo hiểm y tế chi trả bao nhiêu phần trăm?",
        "reference": "Người đang hưởng lương hưu được chi trả 95% chi phí.",
        "reference_doc_ids": ["muc-huong.md"],
        "reference_contexts": ["Người đang hưởng lương hưu được chi trả 95% chi phí."],
    },
    {
        "id": "t-2",
        "question": "Giấy chuyển tuyến có giá trị trong bao lâu?",
        "reference": "Giấy chuyển tuyến có giá trị sử dụng trong 10 ngày làm việc kể từ ngày ký.",
        "reference_doc_ids": ["chuyen-tuyen.md"],
        "reference_contexts": ["Giấy chuyển tuyến có giá trị sử dụng trong 10 ngày làm việc kể từ ngày ký."],
    },
    {
        "id": "t-3",
        "question": "Sinh viên hộ nghèo có phải đóng học phí không?",
        "reference": "Sinh viên thuộc hộ nghèo được miễn học phí.",
        "reference_doc_ids": ["hoc-phi.md"],
        "reference_contexts": ["Sinh viên thuộc hộ nghèo được miễn học phí theo quy định."],
    },
]


def write_tiny_sandbox(folder: Path, **overrides: Any) -> Path:
    """A sandbox folder with a 3-document corpus and a 3-item eval set (folder must hold sandbox.yaml)."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    write_jsonl(folder / "eval.jsonl", EVAL_ITEMS)
    return folder


@pytest.fixture
def tiny_sandbox(aulac_home: Path) -> str:
    """A user sandbox ``tiny`` (general domain, extractive), its corpus ingested."""
    from aulac_rag.sandbox import Sandbox

    folder = make_user_sandbox(aulac_home, "tiny")
    write_tiny_sandbox(folder)
    box = Sandbox("tiny")
    try:
        box.ingest([str(folder / "corpus")], progress=False)
    finally:
        box.close()
    return "tiny"


class HashEmbedder:
    """A deterministic bag-of-words embedder (for ragas' ResponseRelevancy in unit tests)."""

    model_id = "hash-bow-16"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(word.encode()) % 16] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    embed_passages = embed_queries


def read_json(text: str) -> Any:
    return json.loads(text)
