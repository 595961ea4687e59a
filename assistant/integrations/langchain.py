"""The public LangChain surface: the readings as a ``BaseRetriever`` and the embedder registry as
``Embeddings``. The rest of the package does not import LangChain (the chat models in
:mod:`assistant.llms` aside).

>>> from assistant.integrations.langchain import ReadingsRetriever
>>> retriever = ReadingsRetriever(collection="knowledge", k=4)           # doctest: +SKIP
>>> docs = retriever.invoke("Apa itu diplomasi siber?", k=2)              # doctest: +SKIP
>>> docs[0].metadata["source"], docs[0].metadata["location"]              # doctest: +SKIP

Each ``Document`` is one passage: ``page_content`` is its text and ``metadata`` has what a citation
needs (``chunk_id``, ``source``, ``title``, ``location``, ``start``, ``end``, ``rank``, ``score``,
``dense_score``, ``bm25_score``, ``rerank_score``) plus the reading's own metadata (``page``,
``section``, ``language``, ``author``, …). ``k`` given at invoke time wins over the one given at
construction. In an LCEL chain::

    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | model
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.config import Settings, load_settings
from assistant.index.embeddings import load_embedder
from assistant.types import Passage


class RegistryEmbeddings(Embeddings):
    """LangChain ``Embeddings`` backed by an embedder from :mod:`assistant.index.embeddings`."""

    def __init__(self, name: str = "e5-small-q4") -> None:
        self.embedder = load_embedder(name)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


def passage_document(passage: Passage) -> LCDocument:
    """A retrieved passage as a LangChain ``Document`` with its citation metadata."""
    fields = passage.to_json(scores=True)
    text = fields.pop("text")
    return LCDocument(page_content=text, metadata={**passage.chunk.metadata, **fields}, id=passage.chunk.id)


class ReadingsRetriever(BaseRetriever):
    """Hybrid search (dense + BM25, cross-lingual expansion, per-reading cap) over an indexed
    collection, as a LangChain retriever.

    Parameters
    ----------
    collection : str, optional
        The collection to search (default: the settings' default collection).
    k : int
        Passages returned; ``invoke(query, k=n)`` overrides it for one call.
    settings : Settings, optional
        Default: :func:`assistant.config.load_settings` (``ASSISTANT_*`` variables, ``assistant.toml``).
    assistant : Assistant, optional
        A service to share (its retrievers, reopened when a newer snapshot is published);
        default: one built from ``settings``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: str | None = None
    k: int = Field(5, ge=1)
    settings: Any = None
    assistant: Any = None
    _service: Any = PrivateAttr(default=None)

    def _search_service(self):
        if self._service is None:
            if self.assistant is not None:
                self._service = self.assistant
            else:
                from assistant.service import Assistant

                settings = self.settings if isinstance(self.settings, Settings) else load_settings()
                self._service = Assistant(settings)
        return self._service

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[LCDocument]:
        retriever = self._search_service().retriever(self.collection)
        return [passage_document(p) for p in retriever.search(query, k or self.k)]


HybridRetriever = ReadingsRetriever  # the earlier name
