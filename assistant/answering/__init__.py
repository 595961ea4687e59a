"""Answering: sentence scoring, abstention signals, extractive and LLM answers, citations, prompts, follow-ups."""
