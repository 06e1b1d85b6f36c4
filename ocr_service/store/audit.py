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
write access who rewrites events and head together; for that the head is anchored outside the
database: ``anchor_heads`` writes each agency's head, when it moved, as an object under
COMPLIANCE retention in the records bucket (nobody, not even S3's root, can change or delete it
before retention ends), and ``verify_chain(anchors=...)`` checks that the chain still holds the
last anchored event with the anchored hash. A rewrite of events up to the last anchor is then
found; events after it are only as safe as the database until the next anchor (``sohoa serve``
writes one every ``SOHOA_AUDIT_ANCHOR_INTERVAL`` seconds, from its sweeper thread).

Details are stored as given, so do not put secrets or full personal ID numbers in them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

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
    """One break in an agency's chain. ``kind``: edited, missing, broken_link, head, anchor."""

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


def verify_chain(session: Session, agency_id: uuid.UUID | None = None, *,
                 anchors: AnchorStore | None = None) -> list[ChainProblem]:
    """Every break in the chain of ``agency_id`` (default: every agency's); empty when intact.
    With ``anchors`` (the object store), also every agency's last anchored head that the chain
    no longer holds (kind ``anchor``).

    Exact when no event is appended meanwhile; a concurrent append is recognised (the head is read
    before and after the events) and is not reported as a problem.
    """
    problems: list[ChainProblem] = []
    for agency in [agency_id] if agency_id else _agencies(session):
        if anchors is not None:
            problems += _check_anchor(session, agency, anchors)
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


# --- the head anchored outside the database --------------------------------------------------

ANCHOR_PREFIX = "audit-anchors/"


class AnchorStore(Protocol):
    """Where heads are anchored: ``store.objects.ObjectStore`` (the records bucket, locked)."""

    def put_anchor(self, key: str, data: bytes) -> None: ...

    def latest_anchor(self, prefix: str) -> bytes | None: ...


@dataclass(frozen=True)
class Anchor:
    """An agency's chain head as written outside the database at ``written_at``."""

    agency_id: uuid.UUID
    seq: int
    hash: str
    written_at: str

    def key(self) -> str:
        """Zero-padded ``seq``: the greatest key under the agency's prefix is its last anchor."""
        return f"{ANCHOR_PREFIX}{self.agency_id}/{self.seq:012d}.json"


def latest_anchor(store: AnchorStore, agency_id: uuid.UUID) -> Anchor | None:
    data = store.latest_anchor(f"{ANCHOR_PREFIX}{agency_id}/")
    if data is None:
        return None
    body = json.loads(data)
    return Anchor(uuid.UUID(body["agency_id"]), int(body["seq"]), body["hash"],
                  body["written_at"])


def anchor_heads(session: Session, store: AnchorStore, *,
                 now: datetime | None = None) -> list[Anchor]:
    """Anchor the head of every agency whose chain moved since its last anchor (those written
    are returned). Idempotent: a head anchored already is not written again."""
    written: list[Anchor] = []
    for agency in _agencies(session):
        seq, head = chain_head(session, agency)
        last = latest_anchor(store, agency)
        if seq == 0 or (last is not None and last.seq >= seq):
            continue
        anchor = Anchor(agency, seq, head, (now or utcnow()).astimezone(UTC).isoformat())
        body = {"agency_id": str(agency), "seq": seq, "hash": head,
                "written_at": anchor.written_at}
        store.put_anchor(anchor.key(), _json(body).encode("utf-8"))
        written.append(anchor)
    return written


def _check_anchor(session: Session, agency_id: uuid.UUID,
                  store: AnchorStore) -> list[ChainProblem]:
    anchor = latest_anchor(store, agency_id)
    if anchor is None:
        return []
    stored = session.scalars(select(AuditEvent.hash).where(
        AuditEvent.agency_id == agency_id, AuditEvent.seq == anchor.seq)).one_or_none()
    if stored == anchor.hash:
        return []
    what = "is missing" if stored is None else "has another hash"
    return [ChainProblem(agency_id, anchor.seq, "anchor",
                         f"event {anchor.seq}, anchored outside the database at "
                         f"{anchor.written_at}, {what} (the chain was rewritten or cut)")]
