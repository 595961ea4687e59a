"""The errors the application raises for problems a user can fix.

Every one is an :class:`AssistantError` whose message says what went wrong and what to do, so an
interface (the CLI, the web app) shows it as it is: ``str(error)`` or :attr:`AssistantError.message`.
"""

from __future__ import annotations


class AssistantError(Exception):
    """A problem the user can fix; the message says what to do."""

    @property
    def message(self) -> str:
        """The user-facing message."""
        return str(self)


class StoreError(AssistantError):
    """A problem with a collection or the store; the message says what to do."""


class IngestError(AssistantError):
    """A file that cannot be indexed; the message says why and what to do."""


class EmbedderError(AssistantError):
    """An embedder name that cannot be resolved or loaded; the message says what to fix."""


class LLMError(AssistantError):
    """An LLM name that cannot be resolved or loaded; the message says what to fix."""


class SetError(AssistantError, ValueError):
    """A question set that cannot be read or breaks the format (message names file and line)."""


class LibraryError(StoreError):
    """A library operation that cannot be done; the message says what to do instead."""


class UploadError(LibraryError):
    """A file refused before it reaches a collection folder; the message says why."""
