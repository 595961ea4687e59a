"""Secrets out of every message: the configured keys and passwords, and anything shaped like one.

An upstream LLM that fails may echo the key it was sent (``Incorrect API key provided: sk-…``); that
text must not reach an answer's notes, an error message, a log line or an evaluation report.
:func:`redact` replaces the secrets the settings hold (:func:`configured_secrets`: the OpenAI key,
the API's bearer key, the login passwords) and the usual shapes of credentials (``Bearer …``,
``sk-…``, ``api_key=…``, ``password: …``) with :data:`REDACTED`.

>>> redact("Incorrect API key provided: sk-abcdefghijklmnop1234")
'Incorrect API key provided: [redacted]'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Settings

REDACTED = "[redacted]"
MIN_SECRET = 4  # shorter configured values (say a one-letter test password) are too common to replace

_SHAPES = [
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\1\2{REDACTED}"),
    (re.compile(r"\b(?:sk|pk|rk|hf|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{10,}"), REDACTED),
    (
        re.compile(
            r"(?i)\b(api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|pwd)"
            r"(['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&}]{3,})"
        ),
        rf"\1\2{REDACTED}",
    ),
]


def _passwords(auth: str | None) -> list[str]:
    """The passwords of an ``ASSISTANT_AUTH`` value (``user:password`` or a file of such lines)."""
    if not auth:
        return []
    path = Path(auth).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [auth]
    except OSError:
        lines = [auth]
    return [line.partition(":")[2] for line in lines if ":" in line and not line.lstrip().startswith("#")]


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret ``settings`` holds or points at: ``openai_api_key`` (or ``OPENAI_API_KEY``),
    the API's bearer key and the login passwords; longest first, short values left out."""
    values = [
        settings.openai_api_key,
        os.environ.get("OPENAI_API_KEY"),
        settings.api_key.get_secret_value() if settings.api_key is not None else None,
        *_passwords(settings.auth),
    ]
    found = {v.strip() for v in values if v and len(v.strip()) >= MIN_SECRET}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` and every credential-shaped token replaced by :data:`REDACTED`."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def redact_for(settings: Settings, text: str) -> str:
    """:func:`redact` with the secrets of ``settings``."""
    return redact(text, configured_secrets(settings))
