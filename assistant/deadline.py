"""Deadlines for work that may block for good in a call we cannot interrupt (a stuck network stream, a
client that sends its first requests with no time limit): the work runs in a daemon worker thread and
the caller gives up with ``TimeoutError`` when the deadline passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from queue import Empty, Queue
from typing import Any, TypeVar

_T = TypeVar("_T")

_END = object()


def with_deadline(items: Iterator[Any], seconds: float) -> Iterator[Any]:
    """Pass ``items`` through; raise ``TimeoutError`` when they are not all there after ``seconds``.

    The items are produced in a worker thread, so the deadline fires even while the producer is
    blocked (a stuck network stream, a model that stopped producing). The worker stops at its next
    item once the consumer has given up; it cannot be interrupted inside a blocking call.
    """
    queue: Queue = Queue()  # unbounded: a producer never blocks on a consumer that gave up
    stopped = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stopped.is_set():
                    break
                queue.put((item, None))
        except BaseException as exc:  # re-raised in the consumer's thread
            queue.put((_END, exc))
            return
        queue.put((_END, None))

    threading.Thread(target=produce, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                item, error = queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise TimeoutError(f"no complete reply within {seconds:g} s") from None
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stopped.set()


def call_within(make: Callable[[], _T], seconds: float) -> _T:
    """``make()``'s result, made in a worker thread by :func:`with_deadline`; ``TimeoutError`` when it has
    not returned within ``seconds`` (the worker is left to finish or hang; as a daemon it does not keep the
    process alive). An exception of ``make`` is raised here."""
    return next(with_deadline((make() for _ in (0,)), seconds))
