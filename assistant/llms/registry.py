"""Chat-model registry: LangChain chat models by name, with plain types for the rest of the app.

Names are ``<prefix>:<model>`` and resolved through a registry keyed by prefix, like the
embedder registry; one module per backend builds the model:

- ``ollama:<model>``: :mod:`assistant.llms.ollama`;
- ``openai:<model>``: :mod:`assistant.llms.openai`, any OpenAI-compatible server;
- ``hf:<model id, folder or .gguf file>``: :mod:`assistant.llms.hf`, a local transformers model.

The rest of the application sees plain types only: :func:`generate` and :func:`stream_text`
take ``(role, text)`` pairs and return or yield strings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from assistant.config import Settings
from assistant.deadline import with_deadline
from assistant.errors import LLMError
from assistant.llms.hf import _hf
from assistant.llms.messages import Messages, _text_of, to_langchain
from assistant.llms.ollama import _ollama
from assistant.llms.openai import _openai
from assistant.redaction import redact_for

Factory = Callable[[str, Settings], Any]
_REGISTRY: dict[str, Factory] = {}


def register(prefix: str, factory: Factory) -> None:
    """Register a chat-model factory for names ``<prefix>:<model>``.

    Parameters
    ----------
    prefix : str
        The part of the name before the colon, e.g. ``"ollama"``.
    factory : callable
        ``factory(model, settings)`` returning a LangChain chat model.
    """
    _REGISTRY[prefix] = factory


def split_name(name: str) -> tuple[str, str]:
    """``"ollama:llama3"`` -> ``("ollama", "llama3")``; raises :class:`LLMError` when unknown."""
    prefix, _, model = name.partition(":")
    if prefix not in _REGISTRY or not model.strip():
        known = ", ".join(f"{p}:<model>" for p in sorted(_REGISTRY))
        raise LLMError(f"unknown LLM {name!r}: use extractive or one of {known}")
    return prefix, model.strip()


def check_name(name: str) -> str:
    """Validate an answerer name (``extractive`` or a registered LLM name) and return it."""
    if name != "extractive":
        split_name(name)
    return name


_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def chat_model(name: str, settings: Settings):
    """The LangChain chat model for ``name`` (built once per process and name).

    Raises
    ------
    LLMError
        For an unknown prefix or a model that cannot be loaded.
    """
    prefix, model = split_name(name)
    with _MODELS_LOCK:
        key = f"{name}|{settings.data_dir}|{settings.openai_base_url}|{settings.ollama_base_url}"
        if key not in _MODELS:
            try:
                _MODELS[key] = _REGISTRY[prefix](model, settings)
            except LLMError:
                raise
            except Exception as exc:
                raise LLMError(redact_for(settings, f"cannot load LLM {name!r}: {exc}")) from exc
        return _MODELS[key]


def generate(name: str, settings: Settings, messages: Messages) -> str:
    """The model's whole reply to ``messages``."""
    reply = chat_model(name, settings).invoke(to_langchain(messages))
    return _text_of(reply.content)


def stream_text(name: str, settings: Settings, messages: Messages, timeout: float | None = None) -> Iterator[str]:
    """Text deltas of the model's reply as they are produced.

    Raises ``TimeoutError`` once ``timeout`` seconds (default ``settings.llm_timeout``) have passed
    without the reply being complete, also while the model's stream is stuck between two tokens.
    """
    model = chat_model(name, settings)

    def deltas() -> Iterator[str]:
        for chunk in model.stream(to_langchain(messages)):
            text = _text_of(chunk.content)
            if text:
                yield text

    yield from with_deadline(deltas(), settings.llm_timeout if timeout is None else timeout)


register("ollama", _ollama)
register("openai", _openai)
register("hf", _hf)
