from pathlib import Path

import pytest

from aulac_rag.errors import ConfigError
from aulac_rag.feedback import FeedbackStore


def test_feedback_counts_per_sandbox(tmp_path: Path) -> None:
    store = FeedbackStore.for_home(tmp_path)
    store.add("healthcare", "Hỏi?", "Đáp [1]", "up")
    store.add("healthcare", "Hỏi 2?", "Đáp", "down", comment="thiếu nguồn")
    store.add("finance", "Hỏi?", "Đáp", "up")
    assert store.counts("healthcare") == {"up": 1, "down": 1}
    assert store.entries("healthcare")[0].comment == "thiếu nguồn"
    with pytest.raises(ConfigError, match="rating"):
        store.add("healthcare", "q", "a", "meh")
    store.close()
    assert FeedbackStore.for_home(tmp_path).counts("finance") == {"up": 1, "down": 0}


def test_feedback_is_masked_whoever_writes_it(tmp_path: Path) -> None:
    from aulac_rag.feedback import FeedbackStore

    store = FeedbackStore.for_home(tmp_path)
    store.add("finance", "STK Vietcombank 0011 0023 45678 bị trừ tiền", "Gọi 0912345678", "down", "CCCD của tôi 001095012345")
    entry = store.entries("finance")[0]
    assert "45678" not in entry.question and "0912345678" not in entry.answer and "001095012345" not in entry.comment
    assert "[STK]" in entry.question and "[CCCD]" in entry.comment
    store.close()
