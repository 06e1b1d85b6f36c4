"""``Idempotency-Key`` on every POST: the same key and request again → the stored answer; the
same key with another request → 409.

What is compared is a hash of the method, the path and the *parsed* request (JSON fields; an
upload's sha256, name and component), not the raw body: two sends of the same file carry
different multipart boundaries, and must still count as the same request.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import SohoaError
from ..store import idempotency as stored
from ..store.index import IdempotencyKey, Index
from .auth import AnyKey
from .deps import HubDep

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
"""Visible ASCII, as the IETF draft and every client library send (UUIDs, mostly)."""


class IdempotencyConflict(SohoaError):
    code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__(
            f"This {HEADER} was already used for a different request; use a new key for a new "
            "request.",
            f"{HEADER} này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới cho yêu cầu mới.")


class BadIdempotencyKey(SohoaError):
    code = "bad_idempotency_key"

    def __init__(self) -> None:
        super().__init__(
            f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID, for example).",
            f"{HEADER} phải gồm 1 đến 255 ký tự ASCII nhìn thấy được (ví dụ một UUID).")


@dataclass(frozen=True)
class Idempotency:
    """The request's key (None: the client sent none, and nothing is stored)."""

    key: str | None
    agency_id: uuid.UUID
    index: Index
    method: str
    path: str

    def fingerprint(self, payload: dict[str, Any]) -> str:
        request = {"method": self.method, "path": self.path, "payload": payload}
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def replay(self, fingerprint: str) -> JSONResponse | None:
        """The stored answer to this key, or None when there is none yet."""
        if self.key is None:
            return None
        with self.index.session() as session:
            row = stored.find(session, self.agency_id, self.key)
            return _answer(row, fingerprint) if row is not None else None

    def create(self, fingerprint: str, status: int,
               work: Callable[[Session], dict[str, Any]]) -> JSONResponse:
        """Run ``work`` and store its answer in one transaction: two requests racing with the
        same key commit one result, and the loser answers with the winner's."""
        if (replayed := self.replay(fingerprint)) is not None:
            return replayed
        try:
            with self.index.session() as session:
                body = work(session)
                if self.key is not None:
                    stored.save(session, self.agency_id, self.key, fingerprint, status, body,
                                nested=False)
        except IntegrityError:
            if (replayed := self.replay(fingerprint)) is None:
                raise
            return replayed
        return JSONResponse(body, status)

    def remember(self, fingerprint: str, status: int, body: dict[str, Any]) -> JSONResponse:
        """Store the answer of work done already, itself idempotent (an upload): if the request
        dies before this, its retry does the work again harmlessly and stores the answer then."""
        if self.key is not None:
            with self.index.session() as session:
                row, mine = stored.save(session, self.agency_id, self.key, fingerprint, status,
                                        body)
                if not mine:
                    return _answer(row, fingerprint)
        return JSONResponse(body, status)


def _answer(row: IdempotencyKey, fingerprint: str) -> JSONResponse:
    if row.request_hash != fingerprint:
        raise IdempotencyConflict()
    return JSONResponse(row.response_body, row.response_status, headers={REPLAYED: "true"})


def idempotency(
    request: Request, principal: AnyKey, hub: HubDep,
    key: Annotated[str | None, Header(
        alias=HEADER, description="Any unique string (a UUID): a retry with the same key and "
                                  "request gets the first answer back, not a second result.",
        examples=["6f1c7f1e-3c1a-4b8e-9a53-0c2d1f6a9e21"])] = None,
) -> Idempotency:
    if key is not None and not _KEY.fullmatch(key):
        raise BadIdempotencyKey()
    return Idempotency(key, principal.agency_id, hub.index, request.method, request.url.path)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
