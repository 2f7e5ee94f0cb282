"""The outer ASGI layer of the service: request ids, API-key auth, body size limit, catch-all, access log.

It is plain ASGI (not a Starlette ``BaseHTTPMiddleware``) so that it sees every request first, including
unknown paths and the OpenAPI pages, and can refuse an oversized body before the application buffers it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from judgeforge.serve.config import KeyChecker

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("judgeforge.serve.access")
error_log = logging.getLogger("judgeforge.serve")

PUBLIC_PATHS = frozenset({"/healthz"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Authorization schemes named back in a 401; any other first word might be a key sent without "Bearer ".
_KNOWN_SCHEMES = frozenset(
    {"basic", "digest", "token", "negotiate", "ntlm", "apikey", "api-key", "key", "oauth", "dpop", "hawk"}
)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def error_body(
    code: str, message: str, request_id: str | None, problems: Sequence[Mapping[str, str]] | None = None
) -> bytes:
    """The JSON of :class:`~judgeforge.serve.models.ErrorResponse`; ``problems``: ``{field, message}`` each."""
    detail = {"code": code, "message": message, "problems": [dict(problem) for problem in problems or ()]}
    return json.dumps({"error": detail, "request_id": request_id}).encode()


class _BodyTooLarge(Exception):
    pass


class Guard:
    """Wraps the application; ``keys=None`` disables authentication (the operator asked for it)."""

    def __init__(
        self, app: ASGIApp, *, keys: KeyChecker | None, max_body_bytes: int, public_docs: bool = False
    ) -> None:
        self.app = app
        self.keys = keys
        self.max_body_bytes = max_body_bytes
        self.public = PUBLIC_PATHS | (DOCS_PATHS if public_docs else frozenset())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self._handle(scope, receive, send_with_id, request_id)
        except Exception:
            # The traceback goes to the server log only; the client gets the request id to quote.
            error_log.exception("unhandled error (request_id=%s)", request_id)
            if status["code"] == 0:
                body = error_body("internal_error", "internal server error", request_id)
                await _respond(send_with_id, 500, body)
        finally:
            _log_access(scope, status["code"], started, request_id)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        keys = None if scope["path"] in self.public else self.keys
        if keys is not None:
            key, malformed = presented_key(scope)
            if not keys.check(key):
                message = malformed or ("missing API key" if key is None else "invalid API key")
                headers = [(b"www-authenticate", b'Bearer realm="judgeforge"')]
                await _respond(send, 401, error_body("unauthorized", message, request_id), headers)
                return
        if scope["method"] in _BODY_METHODS:
            declared = _content_length(scope)
            try:
                if declared is not None and declared > self.max_body_bytes:
                    raise _BodyTooLarge
                body = await _read_body(receive, self.max_body_bytes)
            except _BodyTooLarge:
                message = f"request body larger than {self.max_body_bytes} bytes"
                await _respond(send, 413, error_body("body_too_large", message, request_id))
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id")
    if given is not None and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def presented_key(scope: Scope) -> tuple[str | None, str | None]:
    """(the key presented, what is wrong with the Authorization header if anything).

    ``Authorization: Bearer <key>`` is read first; ``X-API-Key: <key>`` otherwise (also when the
    Authorization header is malformed: the reason is kept for the 401 in case that key fails too). The
    reason never quotes the header's value, only a well-known scheme name (``Basic``, ``Token`` ...).
    """
    authorization = _header(scope, b"authorization")
    malformed = None
    if authorization is not None:
        token, malformed = _bearer_token(authorization)
        if token is not None:
            return token, None
    key = _header(scope, b"x-api-key")
    return (key.strip() if key and key.strip() else None), malformed


def _bearer_token(authorization: str) -> tuple[str | None, str | None]:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        if token.strip():
            return token.strip(), None
        return None, "malformed Authorization header: 'Bearer' is not followed by an API key"
    if not token.strip():
        return None, (
            "malformed Authorization header: no 'Bearer ' before the key "
            "(send 'Authorization: Bearer <API key>' or 'X-API-Key: <API key>')"
        )
    name = f" '{scheme}'" if scheme.lower() in _KNOWN_SCHEMES else ""
    return None, (
        f"unsupported Authorization scheme{name}: send 'Authorization: Bearer <API key>' "
        "or 'X-API-Key: <API key>'"
    )


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _respond(send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    base = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*base, *headers]})
    await send({"type": "http.response.body", "body": body})


def _log_access(scope: Scope, status: int, started: float, request_id: str) -> None:
    client = scope.get("client")
    access_log.info(
        json.dumps(
            {
                "event": "access",
                "request_id": request_id,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status or 500,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": client[0] if client else None,
            }
        )
    )
