"""A fake remote LLM server that fails the way a real one does when the key is wrong: HTTP 401 with an
OpenAI error body that echoes the key it was sent (the real API echoes part of it). It speaks the
OpenAI wire protocol, so the real ``langchain_openai`` client is what talks to it."""

from __future__ import annotations

import json

from _answer_helpers import FakeLLMServer


class EchoKeyUpstream(FakeLLMServer):
    """Every ``/chat/completions`` request is refused with a 401 whose message holds the bearer key."""

    def _openai(self, handler, body: dict) -> None:
        key = handler.headers.get("Authorization", "").partition(" ")[2]
        error = {
            "error": {
                "message": f"Incorrect API key provided: {key}. Header was 'Authorization: Bearer {key}'.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
        payload = json.dumps(error).encode()
        handler.send_response(401)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def models(self) -> list[str]:
        """The model names the server was asked for, in order."""
        return [r["body"].get("model", "") for r in self.requests]
