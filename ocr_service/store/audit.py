"""The audit trail: append-only events, hash-chained per agency, and a check of the chains.

Each event's ``hash`` is ``sha256(prev_hash + canonical JSON of the event)``, where the canonical
JSON holds every column but the hashes (sorted keys, no spaces, UTF-8) and ``prev_hash`` is the
hash of the agency's previous event (64 zeros for its first). Changing any stored byte of an
event, deleting one, or swapping two (their ``seq``) breaks the chain at that point, and
``verify_chain`` says where.

One chain per agency, not one global chain: an agency's auditor verifies its own trail without
reading other agencies' events (the scoping rule of the whole index), and appends of different
agencies never wait for each other.

Appends are serialised per agency by a chain-head row (``audit_heads``: the last ``seq`` and
``hash``): ``append_event`` reads it with ``SELECT ... FOR UPDATE`` on PostgreSQL, so a concurrent
append waits, then sees the new head (READ COMMITTED re-reads a locked row after waiting); on
SQLite every transaction already holds the single write lock (``BEGIN IMMEDIATE``, see
``store.index``). A unique (agency, seq) constraint backs this up: a fork cannot be committed. The
head also catches a deleted tail, which a chain alone cannot show. It cannot catch someone with
write access who rewrites events and head together; for that, publish the head hash elsewhere
(e.g. in signed records or logs) from time to time and compare.

Details are stored as given, so do not put secrets or full personal ID numbers in them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .index import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=str)


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    """The chained hash of ``event`` following an event whose hash is ``prev_hash``."""
    body = {
        "id": str(event.id),
        "agency_id": str(event.agency_id),
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_key_id": str(event.actor_key_id) if event.actor_key_id else None,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
    }
    if event.actor_user_id is not None:  # only then: events from before people keep their hash
        body["actor_user_id"] = str(event.actor_user_id)
    return hashlib.sha256((prev_hash + _json(body)).encode("utf-8")).hexdigest()


def _locked_head(session: Session, agency_id: uuid.UUID) -> AuditHead:
    query = (select(AuditHead).where(AuditHead.agency_id == agency_id).with_for_update()
             .execution_options(populate_existing=True))
    head = session.scalars(query).one_or_none()
    if head is not None:
        return head
    try:  # the agency's first event; two first appends race on the primary key
        with session.begin_nested():
            head = AuditHead(agency_id=agency_id, seq=0, hash=GENESIS)
            session.add(head)
        return head
    except IntegrityError:
        return session.scalars(query).one()


def append_event(
    session: Session,
    agency_id: uuid.UUID,
    action: str,
    *,
    actor_key_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the agency's chain, in the caller's transaction.

    ``details`` must be JSON-like (UUIDs and datetimes become strings); it is normalised through
    JSON first, so that what is hashed is exactly what the database gives back.
    """
    head = _locked_head(session, agency_id)
    event = AuditEvent(
        id=uuid.uuid4(), agency_id=agency_id, seq=head.seq + 1, actor_key_id=actor_key_id,
        actor_user_id=actor_user_id,
        action=action, subject_type=subject_type,
        subject_id=str(subject_id) if subject_id is not None else None,
        details=json.loads(_json(details or {})),
        created_at=(now or utcnow()).astimezone(UTC), prev_hash=head.hash,
    )
    event.hash = event_hash(event, head.hash)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    """One break in an agency's chain. ``kind``: edited, missing, broken_link, head."""

    agency_id: uuid.UUID
    seq: int | None
    kind: str
    message: str


def _agencies(session: Session) -> list[uuid.UUID]:
    with_events = set(session.scalars(select(AuditEvent.agency_id).distinct()))
    return sorted(with_events | set(session.scalars(select(AuditHead.agency_id))), key=str)


def _read_head(session: Session, agency_id: uuid.UUID) -> tuple[int, str] | None:
    row = session.execute(select(AuditHead.seq, AuditHead.hash)
                          .where(AuditHead.agency_id == agency_id)).first()
    return (row[0], row[1]) if row else None


def _check_events(session: Session, agency_id: uuid.UUID) -> tuple[list[ChainProblem], int, str]:
    """Problems along the chain, and the seq and hash of its last event."""
    problems: list[ChainProblem] = []
    expected_seq, prev = 1, GENESIS
    events = session.scalars(select(AuditEvent).where(AuditEvent.agency_id == agency_id)
                             .order_by(AuditEvent.seq).execution_options(yield_per=500))
    for event in events:
        def problem(kind: str, message: str, seq: int = event.seq) -> None:
            problems.append(ChainProblem(agency_id, seq, kind, message))

        if event.seq != expected_seq:
            problem("missing", f"events {expected_seq}..{event.seq - 1} are missing", expected_seq)
        elif event.prev_hash != prev:
            problem("broken_link", f"event {event.seq} does not follow event {event.seq - 1} "
                                   "(reordered, inserted or its link edited)")
        if event_hash(event, event.prev_hash) != event.hash:
            problem("edited", f"event {event.seq} ({event.action}) was changed after writing")
        expected_seq, prev = event.seq + 1, event.hash
        session.expunge(event)  # a long chain must not pile up in the identity map
    return problems, expected_seq - 1, prev


def verify_chain(session: Session, agency_id: uuid.UUID | None = None) -> list[ChainProblem]:
    """Every break in the chain of ``agency_id`` (default: every agency's); empty when intact.

    Exact when no event is appended meanwhile; a concurrent append is recognised (the head is read
    before and after the events) and is not reported as a problem.
    """
    problems: list[ChainProblem] = []
    for agency in [agency_id] if agency_id else _agencies(session):
        before = _read_head(session, agency)
        found, last_seq, last_hash = _check_events(session, agency)
        problems += found
        after = _read_head(session, agency)
        if before is None or after is None:
            if last_seq:
                problems.append(ChainProblem(agency, None, "head", "the chain head row is missing"))
            continue
        if not before[0] <= last_seq <= after[0]:
            problems.append(ChainProblem(agency, last_seq, "head",
                                         f"the chain ends at event {last_seq} but its head says "
                                         f"{after[0]} (events cut off or added past the head)"))
        elif (last_seq, last_hash) not in (before, after) and last_seq in (before[0], after[0]):
            problems.append(ChainProblem(agency, last_seq, "head",
                                         f"event {last_seq} does not match the chain head"))
    return problems


def chain_head(session: Session, agency_id: uuid.UUID) -> tuple[int, str]:
    """The agency's last ``seq`` and ``hash`` (0 and the genesis hash before its first event):
    what an auditor writes down, or a copy kept outside the database is compared with."""
    return _read_head(session, agency_id) or (0, GENESIS)


def list_events(session: Session, agency_id: uuid.UUID, *, after_seq: int = 0,
                limit: int = 100) -> list[AuditEvent]:
    """A page of the agency's events in chain order, those after ``after_seq`` (keyset paging:
    a page stays the same however many events are appended meanwhile)."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.agency_id == agency_id, AuditEvent.seq > after_seq)
        .order_by(AuditEvent.seq).limit(limit)))
