"""``/v1/chat/completions`` driven by the official openai client against a real uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import openai
import pytest
import uvicorn

from aulac_rag.server import ServerSettings, create_app
from tests.server.conftest import FakeCatalog, Keys

QUESTION = "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"


@pytest.fixture
def base_url(catalog: FakeCatalog, keys: Keys) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServerSettings(rate_per_minute=0), catalog=catalog, keys=keys.store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(5)


def test_chat_completion(base_url: str, keys: Keys) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=keys.hc_user, max_retries=0)
    completion = client.chat.completions.create(model="hc", messages=[{"role": "user", "content": QUESTION}])
    assert completion.choices[0].message.content.startswith(
        "Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương [1]."
    )
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra["aulac"]
    assert extra["citations"][0]["doc_id"] == "bhyt-muc-dong.md" and extra["mode"] == "extractive"


def test_chat_completion_stream_with_history(base_url: str, keys: Keys) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=keys.hc_user, max_retries=0)
    messages = [
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "4,5% [1]."},
        {"role": "user", "content": "Còn trẻ em thì sao?"},
    ]
    stream = client.chat.completions.create(model="hc", messages=messages, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Trẻ em dưới 6 tuổi") and chunks[-1].choices[0].finish_reason == "stop"


def test_models_and_errors(base_url: str, keys: Keys) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=keys.hc_user, max_retries=0)
    assert [m.id for m in client.models.list()] == ["hc"]
    with pytest.raises(openai.PermissionDeniedError, match="for sandbox 'hc', not 'edu'"):
        client.chat.completions.create(model="edu", messages=[{"role": "user", "content": QUESTION}])
    bad = openai.OpenAI(base_url=base_url, api_key="aulac_000000000000_" + "x" * 43, max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="invalid or revoked API key"):
        bad.chat.completions.create(model="hc", messages=[{"role": "user", "content": QUESTION}])
    admin = openai.OpenAI(base_url=base_url, api_key=keys.global_admin, max_retries=0)
    with pytest.raises(openai.NotFoundError, match="no sandbox named 'nope'"):
        admin.chat.completions.create(model="nope", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.UnprocessableEntityError, match="must end with a non-empty user message"):
        admin.chat.completions.create(model="hc", messages=[{"role": "assistant", "content": "hi"}])
