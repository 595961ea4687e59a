"""Messages of the parsing libraries go to the log, not to the user's console.

pypdf reports every robustness fix it applies to a non-compliant PDF ("Invalid parent xref.,
rebuild xref", "Object 172 0 not defined.", font-encoding notes) as a logging warning; with no
logging configured, Python prints those on the console, one line per fix, in the middle of a
progress bar. While a file is parsed inside :func:`library_messages`, the records of those
libraries are re-logged under ``assistant.ingest`` at INFO level with the file's name (kept in the
log file the command line writes, see :func:`assistant.logs.log_to_file`) and not printed.
The caller gets the messages too, e.g. to count them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LIBRARY_LOGGERS = ("pypdf", "fontTools")
LOG = logging.getLogger("assistant.ingest")

_lock = threading.Lock()
_depth = 0
_saved: dict[str, bool] = {}
_current = threading.local()  # the messages list of the file this thread is parsing


class _Forward(logging.Handler):
    """Re-logs a library's record under :data:`LOG` (INFO) with the file being parsed."""

    def emit(self, record: logging.LogRecord) -> None:
        messages = getattr(_current, "messages", None)
        if messages is None:  # another thread's parse, outside library_messages: log it plainly
            LOG.info("%s: %s", record.name, record.getMessage())
            return
        message = f"{record.name}: {record.getMessage()}"
        messages.append(message)
        LOG.info("%s: %s", _current.source, message)


_HANDLER = _Forward(level=logging.DEBUG)


@contextmanager
def library_messages(source: str) -> Iterator[list[str]]:
    """Collect (and log, not print) what the parsing libraries report while ``source`` is read.

    Yields the list the messages are appended to. Safe to use from several threads at once: the
    libraries' loggers stop propagating while any parse is running and each thread's messages go
    to its own list.
    """
    global _depth
    with _lock:
        if _depth == 0:
            for name in LIBRARY_LOGGERS:
                logger = logging.getLogger(name)
                _saved[name] = logger.propagate
                logger.propagate = False
                logger.addHandler(_HANDLER)
        _depth += 1
    previous = getattr(_current, "messages", None), getattr(_current, "source", None)
    messages: list[str] = []
    _current.messages, _current.source = messages, source
    try:
        yield messages
    finally:
        _current.messages, _current.source = previous
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name in LIBRARY_LOGGERS:
                    logger = logging.getLogger(name)
                    logger.removeHandler(_HANDLER)
                    logger.propagate = _saved.pop(name, True)
