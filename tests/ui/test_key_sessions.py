"""The chat app's memory of typed keys: the browser holds a random token, never the key."""

from __future__ import annotations

import time

from aulac_rag.ui.common import KeySessions, _cookie_script


def test_a_token_recalls_its_key_until_forgotten() -> None:
    sessions = KeySessions()
    token = sessions.remember("aulac_abc_secret")
    assert "secret" not in token and len(token) >= 40
    assert sessions.recall(token) == "aulac_abc_secret"
    assert sessions.recall("guessed") is None and sessions.recall(None) is None
    sessions.forget(token)
    assert sessions.recall(token) is None


def test_idle_tokens_expire() -> None:
    sessions = KeySessions(idle_s=0.05)
    token = sessions.remember("aulac_abc_secret")
    time.sleep(0.1)
    assert sessions.recall(token) is None


def test_cookie_is_a_session_cookie_and_is_deleted_with_max_age_zero() -> None:
    kept = _cookie_script("tok")
    assert "aulac_key_session=tok" in kept and "SameSite=Strict" in kept and "Max-Age" not in kept
    assert "expires" not in kept.lower()
    assert "Max-Age=0" in _cookie_script(None)
