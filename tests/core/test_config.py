from pathlib import Path

import pytest

from aulac_rag.config import load_sandbox_config
from aulac_rag.errors import ConfigError, SandboxNotFound
from aulac_rag.sandbox import BUNDLED, Sandbox, bundled_dir, create_sandbox, list_sandboxes
from tests.helpers import make_user_sandbox


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_configs_validate(name: str) -> None:
    config = load_sandbox_config(bundled_dir() / name / "sandbox.yaml")
    assert config.name == name and config.domain == name
    assert config.description


def test_invalid_field_is_named(aulac_home: Path) -> None:
    make_user_sandbox(aulac_home, "broken", retrieval={"fusion": "magic", "k": 0})
    with pytest.raises(ConfigError) as info:
        Sandbox("broken")
    message = str(info.value)
    assert "retrieval.fusion" in message and "retrieval.k" in message and "sandbox.yaml" in message


def test_unknown_top_level_key_rejected(aulac_home: Path) -> None:
    make_user_sandbox(aulac_home, "extra", retreival={"k": 3})
    with pytest.raises(ConfigError, match="retreival"):
        Sandbox("extra")


def test_server_engine_needs_url(aulac_home: Path) -> None:
    make_user_sandbox(aulac_home, "srv", index={"engine": "qdrant"})
    with pytest.raises(ConfigError, match="index"):
        Sandbox("srv")


def test_create_from_template_copies_policy_not_corpus(aulac_home: Path) -> None:
    folder = create_sandbox("phongkham", "healthcare", description="Phòng khám thử nghiệm")
    box = Sandbox("phongkham")
    assert box.config.domain == "healthcare" and box.config.description == "Phòng khám thử nghiệm"
    assert not (folder / "corpus").exists()
    assert box.stats() == {"documents": 0, "chunks": 0}
    names = [row["name"] for row in list_sandboxes()]
    assert names[:3] == list(BUNDLED) and "phongkham" in names
    with pytest.raises(ConfigError, match="already exists"):
        create_sandbox("phongkham", "general")
    with pytest.raises(ConfigError, match="template"):
        create_sandbox("x1", "banking")
    with pytest.raises(SandboxNotFound):
        Sandbox("nope")
