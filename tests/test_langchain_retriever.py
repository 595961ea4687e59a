"""``ReadingsRetriever`` as LangChain users know it: LangChain's own standard retriever suite
(``langchain-tests``, written by LangChain, not by us), and the retriever inside an LCEL chain."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.integrations.langchain import ReadingsRetriever

QUESTION = "Apa definisi cyber diplomacy?"


class TestReadingsRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard integration tests, on the real index of ``knowledge/``."""

    settings = None

    @pytest.fixture(autouse=True)
    def _indexed(self, indexed_settings):
        type(self).settings = indexed_settings

    @property
    def retriever_constructor(self) -> type[ReadingsRetriever]:
        return ReadingsRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"settings": self.settings}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION


def test_documents_carry_the_citation_metadata(indexed_settings):
    docs = ReadingsRetriever(settings=indexed_settings, k=3).invoke(QUESTION)
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3]
    first = docs[0]
    assert first.metadata["source"] == "diplomasi-siber-dan-liberalisme.md"
    assert first.id == first.metadata["chunk_id"]
    assert {"title", "location", "start", "end", "score", "dense_score", "bm25_score"} <= set(first.metadata)
    text = (indexed_settings.knowledge_dir / first.metadata["source"]).read_text(encoding="utf-8")
    assert first.page_content.split("\n")[0][:60] in text  # the passage is the reading's text


def test_retriever_in_an_lcel_chain_honours_k_at_invoke_time(indexed_settings):
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    def numbered(docs) -> str:
        return "\n\n".join(f"[{i}] ({d.metadata['title']}) {d.page_content}" for i, d in enumerate(docs, 1))

    retriever = ReadingsRetriever(settings=indexed_settings, k=5)
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the passages only.\n\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever.bind(k=2) | numbered, "question": RunnablePassthrough()} | prompt
    messages = chain.invoke(QUESTION).to_messages()
    system, human = messages[0].content, messages[1].content
    assert human == QUESTION
    assert "[1] (" in system and "[2] (" in system and "[3] (" not in system
    best = retriever.invoke(QUESTION, k=1)[0]
    assert best.page_content in system
