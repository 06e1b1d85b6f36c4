"""Stored answers of POST requests sent with an ``Idempotency-Key``, per agency.

A client that lost the answer to a POST (timeout, dropped connection) sends it again with the same
key and gets the first answer back, instead of a second dossier. The rows are the agency's own:
a key of one agency never finds another agency's answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .index import IdempotencyKey


def find(session: Session, agency_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    return session.scalars(select(IdempotencyKey).where(
        IdempotencyKey.agency_id == agency_id, IdempotencyKey.key == key)).one_or_none()


def save(session: Session, agency_id: uuid.UUID, key: str, request_hash: str, status: int,
         body: dict[str, Any], *, nested: bool = True) -> tuple[IdempotencyKey, bool]:
    """Store the answer under ``key``; return the row that holds it and whether it is this one
    (not one a concurrent request with the same key stored first). ``nested``: within a
    savepoint, so the caller's transaction survives that race; without it the IntegrityError
    reaches the caller, whose whole transaction must then roll back."""
    row = IdempotencyKey(id=uuid.uuid4(), agency_id=agency_id, key=key,
                         request_hash=request_hash, response_status=status, response_body=body)
    if not nested:
        session.add(row)
        session.flush()
        return row, True
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = find(session, agency_id, key)
        if existing is None:
            raise
        return existing, False
    return row, True
