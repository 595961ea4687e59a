"""Failed logins are throttled: after ``max_failures`` wrong passwords (the web app's ``POST /login``)
or wrong API keys (a 401 from ``/v1``) a client is refused with HTTP 429 for ``lockout`` seconds,
doubling with each further failure (up to :data:`MAX_LOCKOUT`); a successful login clears its count.

The client is the connecting address (``scope["client"]``): behind a reverse proxy every student
shares the proxy's address, so set the limits with that in mind (or let the proxy throttle).

>>> app.add_middleware(LoginThrottle, max_failures=5, lockout=30.0)   # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

MAX_LOCKOUT = 900.0
LOGIN_PATHS = ("/login", "/login/")
API_PREFIX = "/v1"


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """ASGI middleware counting failed logins per client address (see the module docstring)."""

    def __init__(self, app: Any, max_failures: int = 5, lockout: float = 30.0) -> None:
        self.app, self.max_failures, self.lockout = app, max(1, max_failures), max(0.0, lockout)
        self._clients: dict[str, _Record] = {}

    def _kind(self, scope: dict) -> str | None:
        path = scope.get("path", "")
        if scope.get("method") == "POST" and path in LOGIN_PATHS:
            return "login"
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return "api"
        return None

    def failed(self, client: str, now: float) -> None:
        """Count one failure of ``client``; from ``max_failures`` on it is locked out."""
        record = self._clients.setdefault(client, _Record())
        record.failures += 1
        beyond = record.failures - self.max_failures
        if beyond >= 0:
            record.locked_until = now + min(MAX_LOCKOUT, self.lockout * 2 ** min(beyond, 20))

    def wait(self, client: str, now: float) -> float:
        """Seconds ``client`` must still wait (0 when it may try)."""
        record = self._clients.get(client)
        return max(0.0, record.locked_until - now) if record else 0.0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        kind = self._kind(scope) if scope.get("type") == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.wait(client, time.monotonic())
        if wait > 0:
            await _refuse(send, kind, math.ceil(wait))
            return

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if (kind == "login" and status == 400) or (kind == "api" and status == 401):
                    self.failed(client, time.monotonic())
                elif (kind == "login" and status == 200) or (kind == "api" and 200 <= status < 300):
                    self._clients.pop(client, None)
            await send(message)

        await self.app(scope, receive, watch)


async def _refuse(send: Any, kind: str, seconds: int) -> None:
    message = f"too many failed logins from this address: try again in {seconds} s"
    if kind == "api":
        body: dict[str, Any] = {
            "error": {"message": message, "type": "invalid_request_error", "param": None, "code": "rate_limit_exceeded"}
        }
    else:
        body = {"detail": message}
    await _send_json(send, 429, body, [(b"retry-after", str(seconds).encode())])


async def _send_json(send: Any, status: int, body: dict[str, Any], headers: list | None = None) -> None:
    """Send one JSON response of ``status`` (with extra ``headers``) on an ASGI ``send``."""
    payload = json.dumps(body).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": payload})


# What the Gradio app serves without a login: the page (the login form until logged in), the login
# itself and the static files the form needs. Every other route needs the session cookie, also the
# ones Gradio leaves open (the session heartbeat, run history, streams, reset, cancel, startup events).
PUBLIC_PATHS = frozenset(
    {
        "/",
        "/login",
        "/logout",
        "/gradio_api/login_check",
        "/gradio_api/user",
        "/gradio_api/token",
        "/gradio_api/app_id",
        "/gradio_api/runs",
        "/gradio_api/theme.css",
        "/theme.css",
        "/favicon.ico",
        "/robots.txt",
        "/manifest.json",
    }
)
PUBLIC_PREFIXES = ("/static/", "/assets/", "/svelte/", "/pwa_icon")


def is_public(path: str) -> bool:
    """Whether the Gradio app serves ``path`` without a login."""
    return (path.rstrip("/") or "/") in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class GradioLogin:
    """ASGI middleware for the mounted Gradio app: when Gradio's login is on, every request but the
    :func:`is_public` ones needs the session cookie Gradio's login sets (401 otherwise)."""

    def __init__(self, app: Any, gradio_app: Any) -> None:
        self.app, self.gradio_app = app, gradio_app

    def _logged_in(self, scope: dict) -> bool:
        from starlette.requests import Request

        cookies = Request(scope).cookies
        cookie_id = self.gradio_app.cookie_id
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return self.gradio_app.tokens.get(token) is not None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        checked = (
            scope.get("type") in ("http", "websocket")
            and self.gradio_app.auth is not None
            and not is_public(scope.get("path", ""))
        )
        if checked and not self._logged_in(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _send_json(send, 401, {"detail": {"error": "Not authenticated"}})
            return
        await self.app(scope, receive, send)


def guard_gradio(app: Any) -> Any:
    """Add :class:`GradioLogin` to the Gradio app mounted in ``app`` (a FastAPI app from
    ``gradio.mount_gradio_app``, not started yet); returns ``app``."""
    from gradio.routes import App

    mounted = [route.app for route in app.routes if isinstance(getattr(route, "app", None), App)]
    if not mounted:
        raise RuntimeError("no Gradio app is mounted here: call guard_gradio after gradio.mount_gradio_app")
    mounted[0].add_middleware(GradioLogin, gradio_app=mounted[0])
    return app
