"""``aulac tune``: cross-validated search of retrieval settings on a tiny ingested sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from aulac_rag.config import ChunkingConfig, RetrievalConfig
from aulac_rag.errors import EvaluationError
from aulac_rag.evaluation.tune import TuneSetting, TuneSpace, tune_sandbox
from aulac_rag.sandbox import Sandbox
from tests.helpers import run_cli


def _assert_retrieval_keys(patch: dict) -> None:
    assert set(patch) <= {"retrieval"}
    changed = patch.get("retrieval", {})
    assert set(changed) <= set(RetrievalConfig.model_fields)
    assert set(changed.get("chunking", {})) <= set(ChunkingConfig.model_fields)
    RetrievalConfig.model_validate(changed)  # the values are valid too


def test_tune_scores_every_setting_and_cross_validates(tiny_sandbox: str, aulac_home: Path) -> None:
    yaml_path = aulac_home / "sandboxes" / tiny_sandbox / "sandbox.yaml"
    before = yaml_path.read_bytes()
    box = Sandbox(tiny_sandbox)
    try:
        space = TuneSpace(dense_weights=[0.3, 0.6], bm25_k1s=[0.9], bm25_bs=[0.4])
        result = tune_sandbox(box, space, folds=3)
    finally:
        box.close()
    # (2 linear + 2 rrf + 1 dbsf + the current linear 0.4) × (k1, b) in (0.9, 0.4), (0.9, 0.75), (1.2, 0.4), (1.2, 0.75)
    # × document aggregation 0 and 0.1
    assert result.settings_tried == 6 * 4 * 2
    assert (result.questions, result.folds, len(result.fold_results)) == (3, 3, 3)
    assert sum(f.questions for f in result.fold_results) == 3
    assert 0.0 <= result.cv_mrr <= result.best.mrr <= 1.0
    assert result.best.mrr >= result.current.mrr
    assert result.current.setting == TuneSetting.of(RetrievalConfig())
    _assert_retrieval_keys(result.patch)
    assert yaml_path.read_bytes() == before
    assert not list((aulac_home / "index").glob("tune_*"))  # temporary indexes live outside the home


def test_tune_cli_writes_patch_and_report_and_changes_nothing(
    tiny_sandbox: str, aulac_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml_path = aulac_home / "sandboxes" / tiny_sandbox / "sandbox.yaml"
    before = yaml_path.read_bytes()
    code, out, err = run_cli(["tune", tiny_sandbox, "--folds", "3", "--json"], capsys, monkeypatch)
    assert code == 0, err
    data = json.loads(out)
    assert {"cv_mrr", "cv_hit_at_k", "best", "current", "patch", "fold_results"} <= set(data)
    assert isinstance(data["cv_mrr"], float) and isinstance(data["best"]["mrr"], float)
    folder = Path(data["report_dir"])
    assert folder.parent == aulac_home / "reports" / tiny_sandbox and folder.name.startswith("tune-")
    patch = yaml.safe_load((folder / "patch.yaml").read_text(encoding="utf-8"))
    assert patch == data["patch"]
    _assert_retrieval_keys(patch)
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "cross-validated" in report and "in-sample" in report
    assert yaml_path.read_bytes() == before

    code, out, err = run_cli(["tune", tiny_sandbox, "--folds", "3"], capsys, monkeypatch)
    assert code == 0, err
    assert "best (in-sample)" in out and "cross-validated" in out
    assert "to apply" in out or "nothing to apply" in out
    assert yaml_path.read_bytes() == before


def test_tune_chunk_sizes_reingest_into_a_temporary_index(tiny_sandbox: str, aulac_home: Path) -> None:
    box = Sandbox(tiny_sandbox)
    try:
        space = TuneSpace(
            fusions=["linear"], dense_weights=[0.4], bm25_k1s=[1.2], bm25_bs=[0.75], chunk_sizes=[40], doc_aggregation_weights=[0.0]
        )
        result = tune_sandbox(box, space, folds=3)
        chunks = box.stats()["chunks"]
    finally:
        box.close()
    assert {s.setting.chunk_max_tokens for s in result.top} == {40, ChunkingConfig().max_tokens}
    assert result.settings_tried == 2
    _assert_retrieval_keys(result.patch)
    again = Sandbox(tiny_sandbox)
    try:
        assert again.stats()["chunks"] == chunks  # the sandbox's own index is untouched
    finally:
        again.close()


def test_tune_needs_enough_labelled_questions(tiny_sandbox: str) -> None:
    box = Sandbox(tiny_sandbox)
    try:
        with pytest.raises(EvaluationError, match="cannot fill 5 folds"):
            tune_sandbox(box, folds=5)
    finally:
        box.close()


def test_patch_holds_only_changed_keys_that_matter() -> None:
    config = RetrievalConfig()
    same = TuneSetting.of(config)
    assert same.patch(config) == {}
    dbsf = same.model_copy(update={"fusion": "dbsf", "dense_weight": 0.9, "chunk_max_tokens": 300, "doc_aggregation_weight": 0.1})
    assert dbsf.patch(config) == {"fusion": "dbsf", "doc_aggregation_weight": 0.1, "chunking": {"max_tokens": 300}}


@pytest.mark.parametrize("options", [{}, {"doc_aggregation_weight": 0.1}], ids=["plain", "aggregation"])
def test_current_score_matches_the_sandbox_retrieval(tiny_sandbox: str, options: dict) -> None:
    from aulac_rag.evaluation.retrieval_metrics import reciprocal_rank

    box = Sandbox(tiny_sandbox)
    try:
        for key, value in options.items():
            setattr(box.config.retrieval, key, value)
        space = TuneSpace(fusions=["linear"], dense_weights=[0.4], bm25_k1s=[1.2], bm25_bs=[0.75], doc_aggregation_weights=[])
        result = tune_sandbox(box, space, folds=3)
        items = [json.loads(line) for line in (box.folder / "eval.jsonl").read_text(encoding="utf-8").splitlines()]
        expected = [
            reciprocal_rank([h.doc_id for h in box.retrieve(i["question"], k=30).hits], i["reference_doc_ids"], 10) for i in items
        ]
    finally:
        box.close()
    assert result.settings_tried == 1
    assert result.current.mrr == pytest.approx(sum(expected) / len(expected), abs=1e-4)


def test_the_patch_also_names_what_differs_from_the_index() -> None:
    # sandbox.yaml already says k1 1.6, but the index was weighted with 1.2: choosing 1.6 still needs the key (and a rebuild)
    config = RetrievalConfig(bm25_k1=1.6)
    best = TuneSetting.of(config)
    assert best.patch(config) == {}
    assert best.patch(config, TuneSetting.of(config, (1.2, 0.75), 220)) == {
        "bm25_k1": 1.6, "chunking": {"max_tokens": ChunkingConfig().max_tokens}
    }
