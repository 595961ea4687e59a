"""Progress of a sync: phases with totals, steps and messages. The CLI and web app subclass it."""

from __future__ import annotations


class SyncProgress:
    """Receives progress from a sync; the CLI and web app subclass it. Does nothing itself."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def message(self, text: str) -> None: ...
