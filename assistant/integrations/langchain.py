"""LangChain adapters over the plain core: an ``Embeddings`` over the embedder registry and a
``BaseRetriever`` over hybrid search. The rest of the package does not import LangChain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.index.embeddings import load_embedder


class RegistryEmbeddings(Embeddings):
    """LangChain ``Embeddings`` backed by an embedder from :mod:`assistant.index.embeddings`."""

    def __init__(self, name: str = "e5-small-q4") -> None:
        self.embedder = load_embedder(name)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


class HybridRetriever(BaseRetriever):
    """LangChain retriever over :class:`assistant.retrieval.retriever.Retriever` (hybrid search)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        documents = []
        for passage in self.retriever.search(query, self.k):
            fields = passage.to_json(scores=True)
            text = fields.pop("text")
            documents.append(LCDocument(page_content=text, metadata={**passage.chunk.metadata, **fields}))
        return documents
