"""Helpers for the answer tests: the contract checks and a local fake of remote LLM servers.

The fake speaks the real wire protocols (OpenAI ``/v1/chat/completions`` with and without
``stream: true`` server-sent events; Ollama ``/api/chat`` NDJSON), so the real LangChain
clients talk to it over HTTP. It returns canned model text: it stands in for the remote
service only.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = re.compile(r"\[(\d+)\]")


def check_contract(answer) -> None:
    """Every quote verbatim in its citation's text, markers and citations matching exactly."""
    markers = {int(n) for n in MARKER.findall(answer.text)}
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert markers == set(numbers), (answer.text, numbers)
    for c in answer.citations:
        assert c.quote and c.quote in c.text, (c.quote, c.text)
        assert c.end - c.start == len(c.text)
    assert answer.passages, "passages are always listed"
    if answer.abstained:
        assert not answer.citations


class FakeLLMServer:
    """A tiny threaded HTTP server answering chat requests with ``self.reply``."""

    def __init__(self, reply: str = "", delay: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "body": body})
                time.sleep(server.delay)
                if self.path.endswith("/chat/completions"):
                    server._openai(self, body)
                elif self.path == "/api/chat":
                    server._ollama(self, body)
                else:
                    self.send_error(404)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def pieces(self) -> list[str]:
        return re.findall(r"\S+\s*", self.reply) or [""]

    def _send(self, handler, content_type: str, payload: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _openai(self, handler, body: dict) -> None:
        base = {"id": "chatcmpl-1", "created": 0, "model": body.get("model", "fake")}
        if not body.get("stream"):
            message = {"role": "assistant", "content": self.reply}
            data = dict(
                base,
                object="chat.completion",
                choices=[{"index": 0, "message": message, "finish_reason": "stop"}],
                usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            )
            self._send(handler, "application/json", json.dumps(data).encode())
            return
        events = []
        for i, piece in enumerate(self.pieces()):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            events.append(
                dict(
                    base, object="chat.completion.chunk", choices=[{"index": 0, "delta": delta, "finish_reason": None}]
                )
            )
        events.append(
            dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
        )
        payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(handler, "text/event-stream", payload.encode())

    def _ollama(self, handler, body: dict) -> None:
        model = body.get("model", "fake")
        lines = [
            {
                "model": model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            for piece in self.pieces()
        ]
        lines.append(
            {
                "model": model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 1,
                "eval_count": 1,
                "prompt_eval_count": 1,
            }
        )
        if not body.get("stream", True):
            lines = [dict(lines[-1], message={"role": "assistant", "content": self.reply})]
        payload = "".join(json.dumps(line) + "\n" for line in lines)
        self._send(handler, "application/x-ndjson", payload.encode())
