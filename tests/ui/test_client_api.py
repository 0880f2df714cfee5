"""``ApiClient`` against the real API app: the same interface as ``LocalClient``, and the chat page over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aulac_rag.ui.client import ApiClient, ClientError
from tests.ui.conftest import APP, QUESTION


@pytest.fixture
def api(api_app) -> Iterator[ApiClient]:  # noqa: ANN001
    with TestClient(api_app) as http:
        yield ApiClient("http://testserver", http=http)


def test_access_follows_the_server(api: ApiClient, keys: dict[str, str]) -> None:
    assert api.access("") is None
    assert api.access("aulac_000000000000_notarealsecretnotarealsecret") is None
    regulator = api.access(keys["regulator"])
    assert regulator is not None and regulator.role == "regulator" and regulator.can("audit", "healthcare")
    user = api.access(keys["user"])
    assert user is not None and user.role == "user" and not user.can("audit", "healthcare")


def test_ask_streams_a_cited_answer(api: ApiClient, keys: dict[str, str]) -> None:
    user = api.access(keys["user"])
    stream = api.ask("healthcare", QUESTION, [], user)
    text = "".join(stream)
    answer = stream.answer()
    assert "[1]" in text and answer.citations and answer.citations[0].n == 1
    assert answer.mode == "extractive"


def test_ask_without_a_key_is_a_clear_error(api: ApiClient) -> None:
    with pytest.raises(ClientError, match="401"):
        "".join(api.ask("healthcare", QUESTION, [], None))


def test_audit_upload_and_unsupported(api: ApiClient, keys: dict[str, str], tmp_path: Path) -> None:
    user = api.access(keys["user"])
    "".join(api.ask("healthcare", QUESTION, [], user))
    regulator = api.access(keys["regulator"])
    assert api.audit_verify("healthcare", regulator)["ok"] is True
    assert [r["event"] for r in api.audit_rows("healthcare", regulator)] == ["answer", "started"]  # newest first
    note = tmp_path / "ghi-chu.md"
    note.write_text("# Ghi chú\n\nPhòng khám mở cửa từ 7 giờ sáng.\n", encoding="utf-8")
    with pytest.raises(ClientError, match="403"):
        api.ingest_file("healthcare", note, regulator)
    admin = api.access(keys["admin"])
    assert api.ingest_file("healthcare", note, admin).chunks >= 1
    assert api.add_feedback("healthcare", "q", "a", "up", "", user) >= 1  # the API stores feedback now
    listed = {d["doc_id"] for d in api.documents("healthcare", admin)}
    assert "ghi-chu.md" in listed and api.documents("healthcare", regulator)
    with pytest.raises(ClientError, match="403"):
        api.delete_document("healthcare", "ghi-chu.md", regulator)
    assert api.delete_document("healthcare", "ghi-chu.md", admin) is True
    assert "ghi-chu.md" not in {d["doc_id"] for d in api.documents("healthcare", admin)}
    actions = [r["guardrails"][0]["action"] for r in api.audit_rows("healthcare", regulator) if r["event"] == "document"]
    assert actions == ["delete", "ingest"]  # uploads and deletions are on record, newest first


def test_chat_page_through_the_api(served_api: str, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AULAC_API_URL", served_api)
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not any(served_api in c.value for c in at.sidebar.caption)  # where the server is: admins only
    at.sidebar.text_input(key="api_key").set_value(keys["admin"]).run()
    assert any(served_api in c.value for c in at.sidebar.caption)
    at.sidebar.text_input(key="api_key").set_value(keys["user"]).run()
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    assert any("[1]" in m.value for m in at.markdown)
    assert [e.label for e in at.expander][0].startswith("[1] ")
    # feedback goes through the API like in local mode
    at.feedback[0].set_value(1).run()
    [send] = [b for b in at.button if b.label == "Gửi đánh giá"]
    send.click().run()
    assert not at.warning and any("Đã ghi nhận đánh giá" in c.value for c in at.caption)


def test_console_and_knowledge_pages_through_the_api(
    served_api: str, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AULAC_API_URL", served_api)
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.sidebar.text_input(key="api_key").set_value(keys["regulator"]).run()
    at.switch_page("views/console.py").run()
    assert not at.exception, at.exception
    assert any("Chuỗi băm toàn vẹn" in s.value for s in at.success)
    infos = [i.value for i in at.info]
    assert not any("qua API" in i for i in infos), infos  # reports and settings come through the API now
    assert any(m.value == "healthcare" or "healthcare" in str(m.value) for m in at.metric), [m.value for m in at.metric]

    at.sidebar.text_input(key="api_key").set_value(keys["admin"]).run()
    at.switch_page("views/knowledge.py").run()
    assert not any("liệt kê tài liệu" in i.value for i in at.info)  # the API lists documents now
    note = "# Giờ làm việc\n\nPhòng khám mở cửa từ 7 giờ sáng.\n".encode()
    at.file_uploader(key="kb_files_0").set_value(("gio-lam-viec.md", note, "text/markdown")).run()
    at.button(key="kb_ingest").click().run()
    assert not at.exception, at.exception
    assert any("gio-lam-viec.md" in s.value for s in at.success), [e.value for e in at.error]
