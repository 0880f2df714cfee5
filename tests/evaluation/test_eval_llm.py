"""``aulac eval`` with an LLM: answers and ragas' judge through one local OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aulac_rag.cli.main import app
from tests.evaluation.conftest import EVAL_ITEMS, write_tiny_sandbox
from tests.evaluation.fake_llm import FakeOpenAIServer
from tests.helpers import make_user_sandbox

JUDGE = ("faithfulness", "response_relevancy", "llm_context_precision_with_reference", "llm_context_recall")


def test_eval_with_llm_answers_and_llm_judge(aulac_home: Path, socket_guard: list) -> None:
    answer = "Người đang hưởng lương hưu được chi trả 95% chi phí [1]."
    with FakeOpenAIServer(answer_text=answer, question_for_relevancy=EVAL_ITEMS[0]["question"]) as server:
        generation = {
            "backend": "openai-compatible",
            "base_url": server.base_url,
            "model": "aulac-llm",
            "timeout_s": 10,
            "max_retries": 0,
            "fallback": "none",  # an unreachable LLM must fail the run, not be hidden by extractive answers
        }
        folder = make_user_sandbox(aulac_home, "llmbox", generation=generation)
        write_tiny_sandbox(folder)
        runner = CliRunner()
        assert runner.invoke(app, ["ingest", "llmbox", str(folder / "corpus"), "--json"]).exit_code == 0
        result = runner.invoke(app, ["eval", "llmbox", "--limit", "2", "--json"])
        assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["modes"] == {"llm": 2}
    for name in JUDGE:
        assert name in out["metrics"] and name in out["thresholds"]
    # the scripted judge (see fake_llm): 1 of 2 statements holds where a context has "80%"
    assert out["metrics"]["llm_context_recall"] == 0.5
    assert 0.0 <= out["metrics"]["faithfulness"] <= 0.5
    assert out["metrics"]["response_relevancy"] > 0.3
    assert "llm_judge" not in out["skipped"]
    streamed = [r for r in server.requests if r.get("stream")]
    judged = [r for r in server.requests if not r.get("stream")]
    assert len(streamed) == 2  # one answer per item, streamed like `aulac ask`
    assert len(judged) >= 2 * 4  # every judge metric asked the sandbox's own LLM
    assert all(r["model"] == "aulac-llm" for r in server.requests)
    run = json.loads(Path(out["json"]).read_text(encoding="utf-8"))
    assert run["items"][0]["answer"].startswith("Người đang hưởng lương hưu")
    assert run["settings"]["judge"] is True and run["settings"]["backend"] == "openai-compatible"
    assert socket_guard == []
