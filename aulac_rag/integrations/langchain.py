"""A LangChain ``BaseRetriever`` over a sandbox's hybrid retrieval."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from aulac_rag.sandbox import Sandbox


class AulacRetriever(BaseRetriever):
    """``AulacRetriever(sandbox="healthcare", k=5).invoke("câu hỏi")`` → LangChain Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sandbox: str
    k: int = 5
    home: str | None = None
    filters: dict[str, Any] | None = None
    _box: Sandbox | None = PrivateAttr(default=None)

    def _sandbox(self) -> Sandbox:
        if self._box is None:
            self._box = Sandbox(self.sandbox, self.home)
        return self._box

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        result = self._sandbox().retrieve(query, k=self.k, filters=self.filters)
        return [
            LCDocument(
                page_content=hit.text,
                metadata={"doc_id": hit.doc_id, "chunk_id": hit.chunk_id, "title": hit.title, "score": hit.score, "source": hit.source},
            )
            for hit in result.hits
        ]
