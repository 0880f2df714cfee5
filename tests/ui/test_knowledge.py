"""The knowledge-base page: key checks, upload with per-file errors, document list, deletion."""

from __future__ import annotations

from pathlib import Path

NOTE = (
    "# Giờ làm việc phòng khám\n\nPhòng khám mở cửa từ 7 giờ sáng đến 5 giờ chiều, từ thứ Hai đến thứ Bảy.\n".encode()
)


def open_page(app, key: str | None = None):  # noqa: ANN001, ANN201
    if key is not None:
        app.sidebar.text_input(key="api_key").set_value(key).run()
    app.switch_page("views/knowledge.py").run()
    assert not app.exception, app.exception
    return app


def test_needs_a_key(app) -> None:  # noqa: ANN001
    open_page(app)
    assert any("cần khóa API" in w.value for w in app.warning)
    assert not app.file_uploader and not app.dataframe


def test_user_key_is_refused(app, keys) -> None:  # noqa: ANN001
    open_page(app, keys["user"])
    assert any("không được phép" in e.value for e in app.error)
    assert not app.dataframe


def test_wrong_key_is_reported(app) -> None:  # noqa: ANN001
    open_page(app, "aulac_000000000000_thisisnotarealsecretatall")
    assert any("không hợp lệ" in e.value for e in app.sidebar.error)


def test_regulator_sees_documents_but_cannot_upload(app, keys) -> None:  # noqa: ANN001
    open_page(app, keys["regulator"])
    assert not app.file_uploader
    assert any("quản trị (admin)" in i.value for i in app.info)
    table = app.dataframe[0].value
    assert "bhyt-muc-huong.md" in set(table["Mã tài liệu"])
    assert (table["Số đoạn"] > 0).all()


def sidebar_count(app) -> str:  # noqa: ANN001
    return next(c.value for c in app.sidebar.caption if "tài liệu ·" in c.value)


def test_uploader_speaks_vietnamese_with_the_sandbox_limit(app, keys) -> None:  # noqa: ANN001
    open_page(app, keys["admin"])
    [uploader] = app.get("file_uploader")
    label = uploader.proto.label
    assert label == "Chọn tệp PDF, DOCX, TXT hoặc MD (tối đa 50 MB mỗi tệp)"
    assert uploader.proto.max_upload_size_mb == 50
    assert not any(word in label.lower() for word in ("upload", "browse", "drag", "per file"))
    css = " ".join(h.proto.body for h in app.get("html"))
    assert "Kéo thả tệp vào đây · tối đa 50 MB mỗi tệp" in css and "Chọn tệp" in css
    assert [b.label for b in app.button if b.key == "kb_ingest"] == ["Nạp vào kho"]


def test_admin_uploads_one_good_and_one_broken_file(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    open_page(app, keys["admin"])
    before = len(app.dataframe[0].value)
    count_before = sidebar_count(app)
    app.file_uploader(key="kb_files_0").set_value(
        [
            ("hong.pdf", b"%PDF-1.4 this is not really a pdf", "application/pdf"),
            ("rong.txt", b"   \n", "text/plain"),
            ("gio-lam-viec.md", NOTE, "text/markdown"),
        ]
    ).run()
    app.button(key="kb_ingest").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    successes = [s.value for s in app.success]
    assert any("hong.pdf" in e and "không nạp được" in e for e in errors), errors
    assert any("rong.txt" in e and "tệp rỗng" in e for e in errors), errors
    assert not any("empty file" in e for e in errors), errors
    assert any("gio-lam-viec.md" in s and "đoạn" in s for s in successes), successes
    table = app.dataframe[0].value
    assert len(table) == before + 1 and "gio-lam-viec.md" in set(table["Mã tài liệu"])
    # the sidebar counts the new document at once, and the uploader is empty again
    assert sidebar_count(app) != count_before
    assert f"{before + 1} tài liệu" in sidebar_count(app), sidebar_count(app)
    assert app.file_uploader(key="kb_files_1")
    # the new document answers in the chat
    app.switch_page("views/chat.py").run()
    app.chat_input[0].set_value("Phòng khám mở cửa từ mấy giờ sáng?").run()
    assert not app.exception
    assert any(e.label.endswith("Giờ làm việc phòng khám") for e in app.expander), [e.label for e in app.expander]


def test_admin_deletes_a_document(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    open_page(app, keys["admin"])
    before = len(app.dataframe[0].value)
    app.selectbox(key="kb_delete_id").set_value("cap-cuu.md")
    [delete] = [b for b in app.button if b.label == "Xoá"]
    delete.click().run()  # not confirmed: nothing happens
    assert any("xác nhận" in w.value for w in app.warning)
    assert len(app.dataframe[0].value) == before
    app.checkbox(key="kb_delete_ok").check()
    [delete] = [b for b in app.button if b.label == "Xoá"]
    delete.click().run()
    assert not app.exception
    assert any("cap-cuu.md" in s.value for s in app.success)
    assert "cap-cuu.md" not in set(app.dataframe[0].value["Mã tài liệu"])
