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
