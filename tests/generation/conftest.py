from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.generation.fake_llm import FakeLLM


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.close()
