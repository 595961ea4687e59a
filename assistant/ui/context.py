"""What every tab receives: the services and the shared controls above the tabs."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from assistant.config import Settings
from assistant.index.catalog import list_collections
from assistant.library.service import Library
from assistant.service import Assistant

ANSWER_QUEUE = "answer"  # one concurrency group for every event that answers


@dataclass
class UIContext:
    """What every tab builder receives: the services and the shared controls.

    ``collection`` is the shared collection selector: a tab that adds or removes collections
    (the Library tab after an upload) returns :meth:`collection_update` to it.
    """

    assistant: Assistant
    library: Library
    settings: Settings
    collection: gr.Dropdown
    llm: gr.Dropdown
    k: gr.Slider
    index_info: gr.Markdown

    def collection_names(self) -> list[str]:
        """Names of the collections in the data folder (the default one first)."""
        return collection_names(self.settings)

    def collection_update(self, selected: str | None = None) -> gr.Dropdown:
        """An update for :attr:`collection` with the current list of collections."""
        names = self.collection_names()
        value = (
            selected
            if selected in names
            else (self.settings.collection if self.settings.collection in names else (names[0] if names else None))
        )
        return gr.Dropdown(choices=names, value=value)


def collection_names(settings: Settings) -> list[str]:
    names = [row["name"] for row in list_collections(settings)]
    if settings.collection in names:
        names.remove(settings.collection)
        names.insert(0, settings.collection)
    return names
