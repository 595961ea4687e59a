"""``ollama:<model>``: an Ollama server (``settings.ollama_base_url``, default localhost:11434)."""

from __future__ import annotations

from assistant.config import Settings


def _ollama(model: str, settings: Settings):
    from langchain_ollama import ChatOllama

    timeout = {"timeout": settings.llm_timeout}
    return ChatOllama(
        model=model,
        base_url=settings.ollama_base_url,
        temperature=0.0,
        num_predict=settings.llm_max_new_tokens,
        client_kwargs=timeout,
    )
