"""``openai:<model>``: any OpenAI-compatible server (``settings.openai_base_url`` and
``settings.openai_api_key``: vLLM, llama.cpp server, LM Studio, hosted APIs)."""

from __future__ import annotations

import os

from assistant.config import Settings


def _openai(model: str, settings: Settings):
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = settings.openai_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
    return ChatOpenAI(
        model=model,
        base_url=settings.openai_base_url,
        api_key=SecretStr(key),
        temperature=0.0,
        max_completion_tokens=settings.llm_max_new_tokens,  # the field max_tokens, by its alias
        timeout=settings.llm_timeout,
        max_retries=0,
    )
