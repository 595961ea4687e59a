"""The log file: what the application and its libraries report beyond the console's messages.

The command line (and so ``assistant serve``) calls :func:`log_to_file` once its settings are
known; nothing is configured on import. The file is ``<data folder>/logs/assistant.log``, rotated
at 1 MB with two old files kept. It receives the ``assistant`` loggers from INFO up, e.g. the
parsing libraries' messages about each PDF (:mod:`assistant.ingest.library_logs`). Secrets are
redacted from every line (:mod:`assistant.redaction`).
"""

from __future__ import annotations

import logging
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.redaction import configured_secrets, redact

if TYPE_CHECKING:
    from assistant.config import Settings

_lock = threading.Lock()
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """The log line format, with secrets redacted from every line (tracebacks included)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(FORMAT)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


_handler: RotatingFileHandler | None = None


def log_file(settings: Settings) -> Path:
    """Where :func:`log_to_file` writes for ``settings``."""
    return settings.data_dir / "logs" / "assistant.log"


def log_to_file(settings: Settings) -> Path:
    """Send the ``assistant`` loggers (INFO and above) to the data folder's log file; idempotent
    (a second call with another data folder moves the log there)."""
    global _handler
    path = log_file(settings)
    logger = logging.getLogger("assistant")
    with _lock:
        if _handler is not None and Path(_handler.baseFilename) == path.resolve():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8", delay=True)
        handler.setFormatter(RedactingFormatter(configured_secrets(settings)))
        if _handler is not None:
            logger.removeHandler(_handler)
            _handler.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        _handler = handler
    return path
