"""Parallel preparation gives exactly what the serial path gives; the bulk sparse ids match the plain definition."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Document
from aulac_rag.errors import AulacError
from aulac_rag.ingest import prepare
from aulac_rag.ingest.prepare import Outcome, PrepareSettings, _Worker, prepare_parallel, worker_count
from aulac_rag.sandbox import Sandbox
from aulac_rag.sparse.bm25 import SPARSE_EXACT, SPARSE_FOLDED, BM25SparseEncoder, SparseVector, token_id
from aulac_rag.text.tokenize import fold_token
from tests.helpers import SHARED_DATA, make_user_sandbox

LEGAL = "Điều 1. Phạm vi\n1. Luật này quy định về bảo hiểm y tế.\n2. Người bệnh được hoà giải.\nĐiều 2. Đối tượng\nCông dân Việt Nam."
PLAIN = "# Kháng sinh\n\nThuốc kháng sinh là thuốc kê đơn. Không tự ý dùng!\n\nThuỷ đậu và sởi lây qua đường hô hấp; tiêm vắc-xin 2 mũi."


def _documents() -> list[Document]:
    docs = [Document(f"plain-{i}", f"Bản {i}.\n{PLAIN}\n\n" + "Câu thêm về quyền lợi. " * (i % 40), "Bệnh", "plain.md") for i in range(60)]
    docs += [Document(f"legal-{i}", f"{LEGAL}\nĐiều 3. Hiệu lực {i}\nLuật có hiệu lực.", "Luật", "luat.txt") for i in range(30)]
    docs.append(Document("empty", "   ", "", "empty.md"))  # an error, in its place
    docs.append(Document("tcvn3", "ViÖt Nam lµ mét n\u00absíc n»m ë §«ng Nam ¸, cã nhiÒu tØnh thµnh vµ d©n téc " * 5, "", "old.txt"))
    laws = SHARED_DATA / "laws"
    if laws.is_dir():
        docs += [Document(p.name, p.read_text(encoding="utf-8"), p.stem, str(p)) for p in sorted(laws.glob("healthcare/*.txt"))]
    return docs


def _comparable(outcome: Outcome) -> object:
    return (type(outcome).__name__, str(outcome)) if isinstance(outcome, AulacError) else outcome


@pytest.mark.parametrize("tokenizer", ["syllable_bigram", "syllable"])
def test_parallel_preparation_equals_serial(tokenizer: str) -> None:
    settings = PrepareSettings(ChunkingConfig(max_tokens=60), tokenizer, 1.2, 0.75, 97.5)
    jobs: list[tuple[Document, str | None]] = [(d, None) for d in _documents()]
    serial = [_Worker(settings).run(raw, committed) for raw, committed in jobs]
    parallel = list(prepare_parallel(jobs, settings, workers=2))
    assert len(parallel) == len(serial)
    assert [_comparable(o) for o in parallel] == [_comparable(o) for o in serial]  # chunks, texts, sparse vectors, point ids
    assert sum(isinstance(o, AulacError) for o in serial) == 2
    assert sum(len(o.chunks) for o in serial if not isinstance(o, AulacError)) > 150


def test_unchanged_documents_are_not_chunked() -> None:
    settings = PrepareSettings(ChunkingConfig(), "syllable_bigram", 1.2, 0.75, 100.0)
    worker = _Worker(settings)
    first = worker.run(Document("a", PLAIN, "t", "a.md"), None)
    assert not isinstance(first, AulacError) and first.chunks
    again = worker.run(Document("a", PLAIN, "t", "a.md"), first.doc_hash)
    assert not isinstance(again, AulacError) and again.unchanged and again.chunks == []


def test_workers_only_when_the_text_pays() -> None:
    small = [Document("a", "x" * 1000, "", "")]
    assert worker_count(4, small) == 1
    big = [Document(str(i), "x" * 100_000, "", "") for i in range(30)]
    assert worker_count(4, big) == 4
    assert worker_count(1, big) == 1
    with pytest.raises(ValueError, match="average length"):
        _Worker(PrepareSettings(ChunkingConfig(), "syllable", 1.2, 0.75, None))


def _reference(encoder: BM25SparseEncoder, text: str) -> dict[str, SparseVector]:
    """The plain definition: count token strings, id them, merge ids, BM25 weights."""
    tokens = encoder.tokenize(text, normalized=True)
    out = {}
    for name, ident in ((SPARSE_EXACT, token_id), (SPARSE_FOLDED, lambda t: token_id(fold_token(t)))):
        counts: Counter[int] = Counter()
        for token, n in Counter(tokens).items():
            counts[ident(token)] += n
        indices = sorted(counts)
        tf = np.array([counts[i] for i in indices], dtype=np.float64)
        norm = encoder.k1 * (1 - encoder.b + encoder.b * len(tokens) / encoder.avg_len)
        out[name] = SparseVector(indices, (tf * (encoder.k1 + 1) / (tf + norm)).tolist())
    return out


@pytest.mark.parametrize("tokenizer", ["syllable_bigram", "syllable"])
def test_bulk_sparse_ids_match_the_definition(tokenizer: str) -> None:
    encoder = BM25SparseEncoder(tokenizer, avg_len=80.0)
    texts = [LEGAL, PLAIN, "", "  ,;  ", "a_b c a b_c", "Một", "Hoà hòa HOÀ hoa Đường duong đường 2024 2024"]
    texts += [d.text[:3000] for d in _documents()[-4:]]
    for text in texts:
        assert encoder.passage(text, normalized=True) == _reference(encoder, text), text


def test_ingestion_with_workers_indexes_the_same_points(aulac_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "PARALLEL_MIN_CHARS", 0)
    docs = [Document(f"d{i}", f"Tài liệu {i}. {PLAIN}", f"Tiêu đề {i}", f"d{i}.md") for i in range(6)]
    found = {}
    for workers in (1, 2):
        make_user_sandbox(aulac_home, f"w{workers}", ingest={"workers": workers}, retrieval={"chunking": {"max_tokens": 40}})
        box = Sandbox(f"w{workers}")
        summary = box.ingest_documents(docs, progress=False)
        assert summary.documents == 6 and not summary.errors
        payloads = box.index.scroll_payloads(["chunk_id", "doc_hash", "text"])
        hits = box.retrieve("thuỷ đậu lây qua đường nào", k=3).hits
        found[workers] = (sorted((p["chunk_id"], p["doc_hash"], p["text"]) for p in payloads), [(h.chunk_id, h.score) for h in hits])
        assert box.ingest_documents(docs, progress=False).skipped == 6
        box.close()
    assert found[1] == found[2]


def test_prepared_documents_travel_compactly_and_unchanged() -> None:
    """A worker's result is pickled with its sparse vectors as arrays and unpickles to the same thing."""
    import pickle

    settings = PrepareSettings(ChunkingConfig(max_tokens=60), "syllable_bigram", 1.2, 0.75, 97.5)
    worker = _Worker(settings)
    outcomes = [worker.run(d, None) for d in _documents()[:5]]
    first = worker.run(Document("a", PLAIN, "t", "a.md"), None)
    assert not isinstance(first, AulacError)
    outcomes.append(worker.run(Document("a", PLAIN, "t", "a.md"), first.doc_hash))  # unchanged
    for outcome in outcomes:
        assert not isinstance(outcome, AulacError)
        outcome.sparse  # noqa: B018 (unpacked before pickling: not sent)
        back = pickle.loads(pickle.dumps(outcome))
        assert back == outcome and back.sparse == outcome.sparse and "sparse" not in back.__getstate__()
        assert [{n: (list(v.indices), list(v.values)) for n, v in s.items()} for s in back.index_sparse] == [
            {n: (v.indices, v.values) for n, v in s.items()} for s in outcome.sparse
        ]
        assert back.hashes == [c.content_hash for c in back.chunks]


class _FakeEmbedder:
    """Deterministic vectors, a record of the calls (thread, time), and a failure on call ``fail_at``."""

    model_id = "fake-embedder"
    dim = 8

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[tuple[str, float, list[str]]] = []
        self.fail_at = fail_at

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import threading
        import time
        import zlib

        from aulac_rag.errors import EmbeddingError

        self.calls.append((threading.current_thread().name, time.perf_counter(), list(texts)))
        if self.fail_at is not None and len(self.calls) >= self.fail_at:
            raise EmbeddingError("the embedding server is down (test)")
        vectors = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _small_groups_box(home: Path, monkeypatch: pytest.MonkeyPatch, embedder: _FakeEmbedder) -> Sandbox:
    from aulac_rag.ingest.pipeline import Ingestor

    monkeypatch.setattr(Ingestor, "FIRST_GROUP", 1)
    make_user_sandbox(home, "groups", retrieval={"embedder": {"batch_size": 1, "concurrency": 1}, "chunking": {"max_tokens": 40}})
    box = Sandbox("groups")
    box.__dict__["embedder"] = embedder
    return box


def test_embedding_runs_ahead_of_writing(aulac_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next group's vectors are computed (in a thread) while the previous group is written."""
    import time

    from aulac_rag.ingest.pipeline import Group, Ingestor

    embedder = _FakeEmbedder()
    box = _small_groups_box(aulac_home, monkeypatch, embedder)
    writes: list[tuple[list[str], float]] = []  # each group's texts, when its write ended
    written = Ingestor._written

    def slow_write(self: Ingestor, group: Group, dense: np.ndarray) -> None:
        time.sleep(0.2)
        written(self, group, dense)
        writes.append(([text for doc, _ in group for text in doc.texts], time.perf_counter()))

    monkeypatch.setattr(Ingestor, "_written", slow_write)
    docs = [Document(f"d{i}", f"Tài liệu {i}. {PLAIN}", f"Tiêu đề {i}", f"d{i}.md") for i in range(8)]
    summary = box.ingest_documents(docs, progress=False)
    assert summary.documents == 8 and not summary.errors and box.index.count() == summary.chunks
    assert {name for name, _, _ in embedder.calls} == {"aulac-ingest-embed_0"}
    assert len(writes) >= 3
    started = {tuple(texts): at for _, at, texts in embedder.calls}
    # the vectors of each group but the first were started before the previous group's write ended
    assert all(started[tuple(texts)] < ended for (_, ended), (texts, _) in zip(writes, writes[1:], strict=False))
    box.close()


def test_an_embedding_failure_stops_the_run_and_leaves_nothing_pending(aulac_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aulac_rag.errors import EmbeddingError

    box = _small_groups_box(aulac_home, monkeypatch, _FakeEmbedder(fail_at=3))
    docs = [Document(f"d{i}", f"Tài liệu {i}. {PLAIN}", f"Tiêu đề {i}", f"d{i}.md") for i in range(8)]
    with pytest.raises(EmbeddingError, match="down"):
        box.ingest_documents(docs, progress=False)
    records = box.manifest.all()
    assert records and not box.manifest.pending()  # the groups before the failure are committed, no other is begun
    assert box.index.count() == sum(r.chunks for r in records)
    box.__dict__["embedder"] = _FakeEmbedder()
    summary = box.ingest_documents(docs, progress=False)
    assert summary.skipped == len(records) and summary.documents == 8 - len(records) and not summary.errors
    box.close()
