"""The library service: what the web app's Library tab can do to collections, bound to settings.

The app receives a :class:`Library` the way it receives the :class:`~assistant.service.Assistant`
(built by ``assistant serve``); the CLI calls the same functions directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.index.progress import SyncProgress
from assistant.index.sync import SyncReport, sync_collection
from assistant.library.documents import AddReport, RemoveReport, add_documents, list_documents, remove_documents


class Library:
    """Documents of the collections: list, add (checked), remove, re-sync."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def documents(self, collection: str | None = None) -> list[dict[str, Any]]:
        """The documents of a collection (default: the settings'), see :func:`list_documents`."""
        return list_documents(self.settings, collection or self.settings.collection)

    def add(
        self,
        files: Sequence[Path],
        collection: str | None = None,
        labels: Sequence[str] | None = None,
        progress: SyncProgress | None = None,
    ) -> AddReport:
        """Add files to a collection (created under the data folder if needed) and sync it."""
        return add_documents(self.settings, files, collection, None, labels, progress)

    def remove(
        self, docs: Sequence[str], collection: str | None = None, progress: SyncProgress | None = None
    ) -> RemoveReport:
        """Delete documents (by file or title) from a collection's folder and index."""
        return remove_documents(self.settings, docs, collection, progress)

    def sync(self, collection: str | None = None, progress: SyncProgress | None = None) -> SyncReport:
        """Sync a collection's index with its folder."""
        return sync_collection(self.settings, collection, progress=progress)
