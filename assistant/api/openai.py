"""The OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions`` (plain and streamed
as server-sent events), for clients such as Open WebUI, LangChain's ``ChatOpenAI`` or the ``openai``
package.

A model id names a collection and an answerer: ``knowledge`` is the collection ``knowledge`` with
the extractive answerer, ``knowledge:hf:smollm2`` the same collection answered by ``hf:smollm2``.
Only indexed collections and the answerers the server offers (``Assistant.available_llms``) are
listed and accepted. The conversation's earlier messages are the history a follow-up is read
against, as in the web app's chat.

When login is configured (``ASSISTANT_AUTH``), or an API key is set, every request needs
``Authorization: Bearer <ASSISTANT_API_KEY>``; the key is never logged or echoed. Errors have
OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``) and status codes: 400 bad
request, 401 no or wrong key, 404 unknown model or route, 503 when ``concurrency_limit`` requests are
being answered and ``queue_size`` more are waiting (try again later; ``Retry-After`` says when).

>>> api = create_api(assistant, settings)            # doctest: +SKIP
>>> parent.mount("/v1", api)                         # doctest: +SKIP
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from assistant.answering.questions import QuestionError, check_question
from assistant.api.replies import completion, completion_events, error_object
from assistant.api.schemas import ChatRequest, RequestError, conversation
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.index.catalog import list_collections
from assistant.service import Assistant
from assistant.types import Answer

NO_KEY = (
    "this server has login enabled, so its API needs a key: set ASSISTANT_API_KEY on the server "
    "and send it as 'Authorization: Bearer <key>'"
)
BUSY = "the server is busy answering other questions: try again in a few seconds"
WRONG_KEY = "missing or wrong API key: send 'Authorization: Bearer <key>' with the server's ASSISTANT_API_KEY"


def key_required(settings: Settings) -> bool:
    """True when requests must carry the API key: login is configured, or a key is set."""
    return bool(settings.auth) or api_key(settings) is not None


def api_key(settings: Settings) -> str | None:
    """The configured bearer key (``ASSISTANT_API_KEY``), or None when unset or blank."""
    secret = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    return secret.strip() or None


def model_ids(assistant: Assistant) -> list[dict[str, Any]]:
    """One model per indexed collection and offered answerer (``name`` is the extractive one)."""
    models = []
    for row in list_collections(assistant.settings):
        if not row["chunks"]:
            continue
        created = int(datetime.fromisoformat(row["synced_at"]).timestamp()) if row["synced_at"] else 0
        for llm in assistant.available_llms():
            model = row["name"] if llm == "extractive" else f"{row['name']}:{llm}"
            models.append(
                {
                    "id": model,
                    "object": "model",
                    "created": created,
                    "owned_by": "assistant",
                    "collection": row["name"],
                    "answerer": llm,
                }
            )
    return models


def resolve_model(assistant: Assistant, model: str) -> tuple[str, str]:
    """``(collection, answerer)`` of an offered model id; :class:`RequestError` (404) otherwise."""
    for entry in model_ids(assistant):
        if entry["id"] == model:
            return entry["collection"], entry["answerer"]
    raise RequestError(
        f"the model {model!r} does not exist: GET /v1/models lists the models of this server",
        status=404,
        code="model_not_found",
        param="model",
    )


def _error(exc: RequestError) -> JSONResponse:
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    body = error_object(str(exc), exc.status, exc.code, exc.param)
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _install_error_handlers(api: FastAPI) -> None:
    async def request_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestError)
        return _error(exc)

    async def invalid_body(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request body"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return _error(RequestError(f"{where or 'body'}: {first.get('msg')}", param=where or None))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return _error(RequestError(str(exc.detail), status=exc.status_code, code=code))

    api.add_exception_handler(RequestError, request_error)
    api.add_exception_handler(RequestValidationError, invalid_body)
    api.add_exception_handler(HTTPException, http_error)


def _key_check(settings: Settings):
    key = api_key(settings)

    def check(request: Request) -> None:
        if not key_required(settings):
            return
        if key is None:
            raise RequestError(NO_KEY, status=401, code="invalid_api_key")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), key.encode()):
            raise RequestError(WRONG_KEY, status=401, code="invalid_api_key")

    return check


def create_api(assistant: Assistant, settings: Settings) -> FastAPI:
    """The API as an ASGI app, to be mounted at ``/v1`` beside the web app.

    Parameters
    ----------
    assistant : Assistant
        The service that answers (the one the web app uses).
    settings : Settings
        Its settings: login (``auth``), ``api_key``, ``max_question_chars``, ``concurrency_limit``.
    """
    api = FastAPI(
        title="Reading assistant (OpenAI-compatible)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(_key_check(settings))],
    )
    _install_error_handlers(api)
    answering = _Slots(max(1, settings.concurrency_limit), max(0, settings.queue_size))

    @api.get("/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": model_ids(assistant)}

    @api.get("/models/{model:path}")
    def model(model: str) -> dict[str, Any]:
        resolve_model(assistant, model)
        return next(entry for entry in model_ids(assistant) if entry["id"] == model)

    @api.post("/chat/completions")
    def chat_completions(body: ChatRequest):
        collection, llm = resolve_model(assistant, body.model)
        if body.n not in (None, 1):
            raise RequestError("only n=1 is supported", param="n")
        question, history = conversation(body.messages)
        try:
            question, note = check_question(question, settings.max_question_chars)
        except QuestionError as exc:
            raise RequestError(str(exc), param="messages") from None
        slot, streaming = answering.take(), False
        try:
            items = _answer_items(assistant, question, note, collection, llm, history)
            first = next(items)  # usage errors (an LLM that cannot load) still get a status code
            if not body.stream:
                return completion(_last(first, items), body.model)
            streaming = True
        finally:
            if not streaming:
                slot.release()
        events = slot.releasing(completion_events(_chain(first, items), body.model))
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            background=BackgroundTask(slot.release),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return api


def _answer_items(
    assistant: Assistant, question: str, note: str | None, collection: str, llm: str, history: list[tuple[str, str]]
) -> Iterator[str | Answer]:
    """``Assistant.stream`` with the clipping note on the final answer and user errors as 400."""
    try:
        for item in assistant.stream(question, collection=collection, llm=llm, history=history or None):
            if isinstance(item, Answer) and note:
                item.notes.insert(0, note)
            yield item
    except AssistantError as exc:
        raise RequestError(exc.message) from None


def _chain(first: str | Answer, rest: Iterator[str | Answer]) -> Iterator[str | Answer]:
    yield first
    yield from rest


def _last(first: str | Answer, rest: Iterator[str | Answer]) -> Answer:
    answer = first
    for item in rest:
        answer = item
    assert isinstance(answer, Answer)
    return answer


class _Slots:
    """``limit`` answering slots and at most ``queue`` requests waiting for one; a request beyond
    that is refused at once with 503 (``server_busy``, with ``Retry-After``), as Gradio's queue
    refuses past its ``max_size``, instead of piling up threads."""

    def __init__(self, limit: int, queue: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)
        self._capacity, self._admitted, self._lock = limit + queue, 0, threading.Lock()

    def take(self) -> _Slot:
        with self._lock:
            if self._admitted >= self._capacity:
                raise RequestError(BUSY, status=503, code="server_busy")
            self._admitted += 1
        self._semaphore.acquire()
        return _Slot(self._semaphore, self._leave)

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1


class _Slot:
    """One of the ``concurrency_limit`` answering slots, taken on creation and released once:
    when the answer is complete, the stream ends or the response is done (a client that goes
    away before the stream starts never runs the stream's ``finally``)."""

    def __init__(self, semaphore: threading.BoundedSemaphore, on_release: Callable[[], None]) -> None:
        self._semaphore, self._held, self._lock, self._on_release = semaphore, True, threading.Lock(), on_release

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self._semaphore.release()
                self._on_release()

    def releasing(self, events: Iterator[str]) -> Iterator[str]:
        try:
            yield from events
        finally:
            self.release()
