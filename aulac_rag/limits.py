"""The caps on what one request may carry, in one place: the API, the CLI, the chat app and the
pipeline all go through :func:`check_request` (in :meth:`AnswerPipeline.stream`).

Beyond a cap the request is refused at once with :class:`LimitError` (HTTP 413), in Vietnamese
for the person who typed it, before any embedding or LLM work is spent on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.errors import LimitError


class RequestLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_question_chars: int = Field(4000, ge=1)
    max_history_turns: int = Field(50, ge=0)
    max_history_chars: int = Field(40_000, ge=0)
    max_k: int = Field(100, ge=1)
    max_messages: int = Field(200, ge=1)  # OpenAI-style message lists (system, user and assistant)
    max_request_bytes: int = Field(1 << 20, ge=1024)  # a JSON request body
    max_upload_bytes: int = Field(50 << 20, ge=1024)  # one upload request, all files together
    max_upload_files: int = Field(100, ge=1)


DEFAULT_LIMITS = RequestLimits()


def check_request(
    question: str, history: Sequence[tuple[str, str]] = (), k: int | None = None, limits: RequestLimits = DEFAULT_LIMITS
) -> None:
    """Raise LimitError when ``question``, ``history`` or ``k`` is over its cap, or the question is empty."""
    if not question or not question.strip():
        raise LimitError("Câu hỏi đang trống. Hãy nhập câu hỏi của bạn. (empty question)")
    if len(question) > limits.max_question_chars:
        raise LimitError(
            f"Câu hỏi quá dài ({len(question)} ký tự; tối đa {limits.max_question_chars}). Hãy rút gọn câu hỏi. "
            f"(question over {limits.max_question_chars} characters)"
        )
    if len(history) > limits.max_history_turns:
        raise LimitError(f"Hội thoại quá dài ({len(history)} lượt; tối đa {limits.max_history_turns}). Hãy bắt đầu hội thoại mới.")
    size = sum(len(q) + len(a) for q, a in history)
    if size > limits.max_history_chars:
        raise LimitError(f"Lịch sử hội thoại quá dài ({size} ký tự; tối đa {limits.max_history_chars}). Hãy bắt đầu hội thoại mới.")
    if k is not None and not 1 <= k <= limits.max_k:
        raise LimitError(f"k must be between 1 and {limits.max_k}, got {k}")


class SourceLimits(BaseModel):
    """The caps on what one source (file, archive member, download, record) may cost to read.

    The connectors (``aulac_rag.connectors``) read them from here; beyond a cap the one source is
    refused with a ConnectorError that says which cap and what to do, and the others go on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_bytes: int = Field(50 * 1024 * 1024, ge=1)  # one file or download (sandbox.yaml max_file_mb: 50)
    max_unzipped_bytes: int = Field(200 * 1024 * 1024, ge=1)  # all members of one .docx together, unpacked
    max_zip_ratio: float = Field(100.0, gt=1)  # unpacked / packed size of one member over 1 MiB
    max_zip_members: int = Field(10_000, ge=1)
    max_redirects: int = Field(5, ge=0)
    max_url_bytes: int = Field(50 * 1024 * 1024, ge=1)  # one response body, after gzip/deflate/zstd decoding
    max_json_depth: int = Field(64, ge=1)  # nesting of one JSON Lines record
    max_html_depth: int = Field(1024, ge=1)  # nesting of HTML elements in one page
    # hosts a URL may reach even when they resolve to loopback or private addresses (an intranet's
    # document server); empty: public addresses only (sandbox.yaml url_allow_hosts)
    url_allow_hosts: tuple[str, ...] = ()


DEFAULT_SOURCE_LIMITS = SourceLimits()
