"""Reading assistant: answers questions about a set of readings, with cited passages."""

__version__ = "0.1.0"
