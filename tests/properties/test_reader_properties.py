"""Properties of the connectors' pure readers (bytes in, text or records out)."""

from __future__ import annotations

import codecs
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from aulac_rag.connectors.readers import Record, RecordError, read_html, read_jsonl, read_markdown, read_plain
from aulac_rag.errors import ConnectorError
from tests.properties.strategies import vi_text

_MARKUP = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<br>", "<b>", "</b>", "<!--", "-->", "<![CDATA[", "]]>",
                           "<script>", "</script>", "<title>", "</title>", "<h1>", "<td>", "<tr>", "<pre>", "&amp;",
                           "&#", "&#x", ";", "<", ">", "<!", "<?", "<meta charset='utf-16'>", "<a href='x'>", "\"",
                           "<table>", "<li>", "<![if !supportLists]>", "<!DOCTYPE html>", "<![", "<!["])  # fmt: skip
html_text = st.lists(st.one_of(vi_text, _MARKUP), max_size=30).map("".join)
raw_bytes = st.one_of(
    st.binary(max_size=300),
    vi_text.map(lambda t: t.encode("utf-8")),
    st.tuples(
        st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b""]), st.binary(max_size=100)
    ).map(b"".join),
    vi_text.map(lambda t: t.encode("utf-16")),
)
charsets = st.sampled_from([None, "utf-8", "windows-1258", "latin-1", "utf-16", "no-such-charset", " 'UTF-8' "])


@settings(max_examples=300)
@given(raw_bytes, charsets)
def test_plain_and_markdown_read_or_raise_connector_error(data: bytes, charset: str | None) -> None:
    for reader in (read_plain, read_markdown):
        try:
            out = reader(data, charset)
        except ConnectorError:
            continue
        assert isinstance(out.text, str) and "\x00" not in out.text
        assert isinstance(out.title, str) and "\n" not in out.title


@settings(max_examples=200)
@given(vi_text.filter(lambda t: "\x00" not in t and not t.startswith("\ufeff")))
def test_plain_utf8_round_trips(text: str) -> None:
    assert read_plain(text.encode("utf-8")).text == text
    assert read_plain(codecs.BOM_UTF8 + text.encode("utf-8")).text == text


@settings(max_examples=200)
@given(st.one_of(html_text.map(lambda t: t.encode("utf-8")), raw_bytes), charsets)
def test_html_reads_or_raises_connector_error(data: bytes, charset: str | None) -> None:
    try:
        out = read_html(data, charset)
    except ConnectorError:
        return
    assert "\ue000" not in out.text and "\ue001" not in out.text and "\ue002" not in out.text
    assert out.text == out.text.strip() and "\n\n\n" not in out.text
    assert "\n" not in out.title


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | vi_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(vi_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200)
@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(["id", "text", "title", "metadata", "x"]), _json_values),
                          _json_values), max_size=6),
       st.lists(vi_text.filter(lambda t: "\n" not in t), max_size=3))  # fmt: skip
def test_jsonl_yields_one_item_per_nonblank_line(values: list, junk: list[str]) -> None:
    lines = [json.dumps(v, ensure_ascii=False) for v in values] + junk
    data = "\n".join(lines).encode("utf-8")
    try:
        items = list(read_jsonl(data))
    except ConnectorError:
        assert b"\x00" in data
        return
    assert len(items) == sum(1 for line in lines if line.strip())
    for item in items:
        assert isinstance(item, Record | RecordError)
        if isinstance(item, Record):
            assert item.text.strip() and item.doc_id.strip() and isinstance(item.metadata, dict)


@settings(max_examples=100)
@given(st.lists(st.fixed_dictionaries({"id": st.one_of(st.integers(), vi_text.filter(str.strip)),
                                       "text": vi_text.filter(str.strip)},
                                      optional={"title": vi_text, "metadata": st.dictionaries(vi_text, vi_text)}),
                max_size=5))  # fmt: skip
def test_jsonl_round_trips_valid_records(records: list[dict]) -> None:
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode("utf-8")
    items = list(read_jsonl(data))
    assert [(i.doc_id, i.text, i.title) for i in items] == [
        (str(r["id"]), r["text"], r.get("title") or "") for r in records
    ]


def test_markup_html_parser_rejected_is_read_or_a_connector_error() -> None:
    try:  # html.parser raised bs4's ParserRejectedMarkup here; lxml reads it
        out = read_html(b"<p>a</p><![<![<![")
    except ConnectorError:
        return
    assert out.text.startswith("a")
