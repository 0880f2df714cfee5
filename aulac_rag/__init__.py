"""aulac-rag: Vietnamese-first sandbox RAG.

    >>> from aulac_rag import Sandbox
    >>> Sandbox("healthcare").retrieve("Mức hưởng bảo hiểm y tế khi khám đúng tuyến?").hits[0].title
"""

from aulac_rag.errors import AulacError
from aulac_rag.retrieval.types import Hit, RetrievalResult
from aulac_rag.sandbox import Sandbox, create_sandbox, list_sandboxes

__all__ = ["AulacError", "Hit", "RetrievalResult", "Sandbox", "create_sandbox", "list_sandboxes"]
__version__ = "0.1.0"
