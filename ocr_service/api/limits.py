"""Request bodies: the caller is checked before a byte of the body is read, and the body's size
is bounded per route while it streams in.

Why a middleware: FastAPI parses a route's body (a multipart upload is spooled to temporary
disk, JSON is read into memory) *before* it resolves the route's dependencies, the key check
among them. Without this, anyone could make the API write 1.5 GB to its temporary disk or hold
300 MB of JSON in memory and only then be told 401; and an upload's size limit was checked
only once the whole body had arrived.

What it does, for every HTTP request that may carry a body (POST, PUT, PATCH, DELETE):

1. unless the path takes bodies without a key (``OPEN_WITH_BODY``: the staff sign-in), a caller
   that no ``caller_checks`` function accepts gets 401 at once, without the body being read;
2. a declared ``Content-Length`` above the route's limit gets 413 at once;
3. otherwise the body is counted as it streams through ``receive``; the first chunk that goes
   past the limit stops the request, and the caller gets 413 (whatever the route was doing
   with the body is abandoned: FastAPI's "error parsing the body" answer is replaced).

So an unauthenticated request costs the server at most what the ASGI server buffers before the
application asks for the body (uvicorn: one read of at most 64 KiB), and an authenticated one at
most its route's limit.

``caller_checks`` is a list on ``app.state``: a live API key, or a live staff session cookie (the
route itself still checks the CSRF token and the roles); another way of signing in adds its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import IntakeLimits
from ..store import keys
from .auth import Unauthorized
from .deps import ServiceHub
from .errors import error_body

log = logging.getLogger(__name__)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_WITH_BODY = frozenset({"/v1/session"})
"""Paths whose body is read without an API key: signing in is how a person gets a session."""
MULTIPART_SLACK = 1 << 20
"""Room for multipart boundaries, part headers and small fields beside an upload's file."""

CallerCheck = Callable[[Headers], bool]
"""True when the request's headers name a live caller (a valid API key, a live session).
Called in a worker thread: it may query the database."""


@dataclass(frozen=True)
class BodyLimit:
    """The largest body a route takes, and the error code that says why it was refused."""

    size: int
    code: str
    what: str
    what_vi: str


def route_limits(settings: IntakeLimits) -> list[tuple[re.Pattern[str], BodyLimit]]:
    """The body limit of each route that takes more than a small JSON body (first match wins);
    every other route takes at most ``max_request_bytes``."""
    upload = BodyLimit(settings.max_upload_bytes + MULTIPART_SLACK, "file_too_large",
                       "upload", "tệp tải lên")
    return [
        (re.compile(r"/v1/extract"), upload),
        (re.compile(r"/v1/dossiers/[^/]+/documents"), upload),
        (re.compile(r"/v1/verify"), BodyLimit(
            settings.max_upload_bytes + settings.max_request_bytes + MULTIPART_SLACK,
            "file_too_large", "e-record and manifest", "hồ sơ điện tử và bản kê")),
        (re.compile(r"/v1/batches"), BodyLimit(settings.max_batch_bytes + MULTIPART_SLACK,
                                               "file_too_large", "batch", "lô hồ sơ")),
    ]


def limit_for(path: str, table: list[tuple[re.Pattern[str], BodyLimit]],
              default: BodyLimit) -> BodyLimit:
    return next((limit for pattern, limit in table if pattern.fullmatch(path)), default)


def api_key_check(hub: ServiceHub) -> CallerCheck:
    """The first caller check: ``Authorization: Bearer`` holding a live API key."""

    def check(headers: Headers) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        with hub.index.session() as session:
            return keys.authenticate(session, token.strip()) is not None

    return check


def session_check(hub: ServiceHub) -> CallerCheck:
    """A staff session cookie (``POST /v1/session``) that is still live."""

    def check(headers: Headers) -> bool:
        from ..store import users  # staff accounts: loaded only when a cookie comes
        from .auth import SESSION_COOKIE

        token = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        if not token:
            return False
        with hub.index.session() as session:
            return users.session_user(session, token, hub.settings) is not None

    return check


class BodyTooLarge(Exception):
    """Raised from ``receive`` once the body passes its route's limit (never reaches a client:
    the middleware answers 413 instead of whatever the route made of it)."""


def _too_large(limit: BodyLimit) -> JSONResponse:
    mib = limit.size / (1 << 20)
    return JSONResponse(error_body(
        limit.code,
        f"The request body ({limit.what}) is larger than the {mib:.0f} MiB this route takes.",
        f"Nội dung yêu cầu ({limit.what_vi}) lớn hơn giới hạn {mib:.0f} MiB của địa chỉ này."),
        413, headers={"Connection": "close"})


def _unauthorized() -> JSONResponse:
    error = Unauthorized()
    return JSONResponse(error_body(error.code, error.message, error.message_vi), 401,
                        headers={**error.headers, "Connection": "close"})


class BodyLimits:
    """Pure ASGI (no ``BaseHTTPMiddleware``): it must see ``receive`` itself to count chunks."""

    def __init__(self, app: ASGIApp, settings: IntakeLimits, caller_checks: list[CallerCheck]) -> None:
        self.app = app
        self.table = route_limits(settings)
        self.default = BodyLimit(settings.max_request_bytes, "body_too_large", "JSON",
                                 "JSON")
        self.caller_checks = caller_checks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path, headers = scope["path"], Headers(scope=scope)
        if path not in OPEN_WITH_BODY and not await self._known(headers):
            await _unauthorized()(scope, _no_body, send)
            return
        limit = limit_for(path, self.table, self.default)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit.size:
            await _too_large(limit)(scope, _no_body, send)
            return
        await self._bounded(scope, receive, send, limit)

    async def _known(self, headers: Headers) -> bool:
        for check in self.caller_checks:
            if await run_in_threadpool(check, headers):
                return True
        return False

    async def _bounded(self, scope: Scope, receive: Receive, send: Send,
                       limit: BodyLimit) -> None:
        received, exceeded, started = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the route's own answer to the broken body is replaced below
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        if exceeded and not started:
            log.info("refused a body over %d bytes on %s", limit.size, scope["path"])
            await _too_large(limit)(scope, _no_body, send)


async def _no_body() -> Message:
    """What a refusal's response sees as ``receive``: nothing more of the body is read."""
    return {"type": "http.disconnect"}
