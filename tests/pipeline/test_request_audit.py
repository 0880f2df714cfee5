"""Every request is on record: a ``started`` row before the LLM sees it, then ``answer``, ``aborted`` or
``error``; an LLM that hangs, resets or talks garbage is audited; a locked audit log stops the answer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from aulac_rag.audit import AuditLog
from aulac_rag.config import GenerationConfig
from aulac_rag.errors import AuditError, GenerationError, LimitError, RequestError
from aulac_rag.pipeline import AnswerPipeline, Caller
from aulac_rag.retrieval.types import RetrievalResult
from tests.generation.fake_llm import FakeLLM, Reply
from tests.pipeline.conftest import RuleGuard, TinyRetriever

QUESTION = "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"
LONG = "Mức đóng bằng 4,5% tiền lương [1]. " * 40


def _pipeline(fake: FakeLLM, log: AuditLog, **config: object) -> AnswerPipeline:
    settings: dict = {"backend": "openai-compatible", "base_url": fake.base_url, "max_retries": 0, "timeout_s": 5}
    settings["fallback"] = "none"
    settings.update(config)
    return AnswerPipeline.from_config(
        GenerationConfig(**settings), TinyRetriever(), guard=RuleGuard(), audit=log, sandbox="hc"
    )


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    audit = AuditLog(tmp_path / "audit.sqlite", busy_timeout_s=0.3)
    yield audit
    audit.close()


def _events(log: AuditLog) -> list[tuple[str, int]]:
    return [(r["event"], r["ref_seq"]) for r in log.rows("hc")]


def test_finished_answer_has_started_and_answer_rows(fake_llm: FakeLLM, log: AuditLog) -> None:
    fake_llm.script(Reply("Mức đóng bằng 4,5% tiền lương [1]."))
    answer = _pipeline(fake_llm, log).run(QUESTION, caller=Caller(key_id="k1", role="user"))
    assert "4,5%" in answer.answer
    rows = log.rows("hc")
    assert _events(log) == [("started", 0), ("answer", 1)]
    assert rows[0]["answer"] == "" and rows[0]["question"] == QUESTION and rows[0]["retrieved"]
    assert rows[1]["answer"] == answer.answer and log.verify().ok


def test_client_that_stops_reading_leaves_an_aborted_row(fake_llm: FakeLLM, log: AuditLog) -> None:
    fake_llm.script(Reply(LONG, chunk_delay_s=0.01))
    stream = _pipeline(fake_llm, log).stream(QUESTION)
    deltas = iter(stream)
    first = next(deltas)
    deltas.close()  # what a dropped SSE connection does to the response's iterator
    rows = log.rows("hc")
    assert _events(log) == [("started", 0), ("aborted", 1)]
    assert rows[1]["answer"] == first and log.verify().ok
    with pytest.raises(GenerationError):
        stream.answer()


def test_close_before_reading_is_aborted_too(fake_llm: FakeLLM, log: AuditLog) -> None:
    fake_llm.script(Reply(LONG))
    stream = _pipeline(fake_llm, log).stream(QUESTION)
    stream.close()
    stream.close()  # once only
    assert _events(log) == [("started", 0), ("aborted", 1)]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(LONG, cut_after=3), id="connection-reset-mid-stream"),
        pytest.param(Reply(raw=b"\x00\xffnot json or sse at all{{{"), id="garbage"),
        pytest.param(Reply(delay_s=3), id="hangs-past-timeout"),
        pytest.param(Reply(status=500), id="http-500"),
    ],
)
def test_llm_faults_are_audited_as_errors(fake_llm: FakeLLM, log: AuditLog, reply: Reply) -> None:
    fake_llm.script(reply)
    pipeline = _pipeline(fake_llm, log, timeout_s=1)
    with pytest.raises(GenerationError):
        pipeline.run(QUESTION)
    events = _events(log)
    assert events == [("started", 0), ("error", 1)], events
    note = log.rows("hc")[1]["guardrails"][-1]
    assert note["rule"] == "request_error" and "GenerationError" in note["message"]
    assert log.verify().ok


def test_garbage_with_fallback_is_answered_extractively_and_says_so(fake_llm: FakeLLM, log: AuditLog) -> None:
    fake_llm.script(Reply(raw=b"<html>502 bad gateway</html>"))
    answer = _pipeline(fake_llm, log, fallback="extractive").run(QUESTION)
    assert answer.mode == "extractive" and any(g.rule == "llm_fallback" for g in answer.guardrails)
    assert _events(log) == [("started", 0), ("answer", 1)]


def test_request_errors_before_generation_are_audited(log: AuditLog) -> None:
    class BadFilters(TinyRetriever):
        def __call__(self, query: str, k: int | None = None, filters: dict | None = None) -> RetrievalResult:
            raise RequestError("filters.topic: a value must be text, a number or a list of them")

    pipeline = AnswerPipeline(BadFilters(), guard=RuleGuard(), audit=log, sandbox="hc")
    with pytest.raises(RequestError):
        pipeline.run(QUESTION, filters={"topic": {"$ne": 1}})
    with pytest.raises(LimitError):
        pipeline.run("x" * 50_000)
    rows = log.rows("hc")
    assert [r["event"] for r in rows] == ["error", "error"]
    assert "RequestError" in rows[0]["guardrails"][-1]["message"]
    assert len(rows[1]["question"]) < 4100  # an oversized question is kept in part only


def test_locked_audit_log_stops_the_answer_before_the_llm(fake_llm: FakeLLM, log: AuditLog) -> None:
    fake_llm.script(Reply("Mức đóng bằng 4,5% tiền lương [1]."))
    pipeline = _pipeline(fake_llm, log)
    pipeline.run(QUESTION)  # creates the file
    asked = len(fake_llm.requests)
    holder = sqlite3.connect(log.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        with pytest.raises(AuditError):
            pipeline.stream(QUESTION)
        with pytest.raises(AuditError):
            AnswerPipeline(TinyRetriever(), guard=RuleGuard(), audit=log, sandbox="hc").run(QUESTION)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(fake_llm.requests) == asked  # the LLM never saw the unrecorded question
    assert _events(log) == [("started", 0), ("answer", 1)] and log.verify().ok


def test_old_logs_gain_the_new_columns_and_still_verify(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    old = AuditLog(path)
    AnswerPipeline(TinyRetriever(), guard=RuleGuard(), audit=old, sandbox="hc").run("Làm giả giấy khám được không?")
    old.close()
    conn = sqlite3.connect(path)  # make it look like a log written before event/ref_seq existed
    conn.execute("ALTER TABLE audit DROP COLUMN event")
    conn.execute("ALTER TABLE audit DROP COLUMN ref_seq")
    conn.commit()
    conn.close()
    log = AuditLog(path)
    assert log.verify().ok and log.rows("hc")[0]["event"] == "answer"
    AnswerPipeline(TinyRetriever(), guard=RuleGuard(), audit=log, sandbox="hc").run(QUESTION)
    assert log.verify().ok and len(log.rows("hc")) == 3
    log.close()
