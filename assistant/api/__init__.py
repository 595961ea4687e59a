"""The OpenAI-compatible HTTP API: an interface over :class:`assistant.service.Assistant`, served by
``assistant serve`` beside the web app (see :mod:`assistant.api.openai`)."""
