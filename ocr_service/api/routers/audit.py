"""The agency's audit trail: ``GET /v1/audit`` pages through it, ``GET /v1/audit/verify`` checks
its hash chain (``store.audit.verify_chain``) and gives its head to write down.

Auditors (and admins) of the agency only, and only their agency's chain: chains are per agency
so that one agency's auditor never reads another's events. Details hold no secrets and no full
ID numbers (``store.audit`` says so to every writer), so events are shown as stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ...store import audit
from ...store.index import AuditEvent
from ..auth import AuditKey
from ..deps import HubDep
from ..schemas import error_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class EventOut(BaseModel):
    seq: int
    created_at: str
    action: str = Field(examples=["record.revoked"])
    actor_key_id: str | None
    actor_user_id: str | None
    subject_type: str | None
    subject_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class EventPage(BaseModel):
    items: list[EventOut]
    next_after: int | None = Field(description="Pass as ``after`` for the next page; null at "
                                               "the end of the chain")


class ProblemOut(BaseModel):
    seq: int | None
    kind: str = Field(description="edited, missing, broken_link or head")
    message: str


class ChainCheck(BaseModel):
    intact: bool
    events: int = Field(description="The chain's length (its head's seq)")
    head: str = Field(description="The hash of the last event: write it down, compare later")
    problems: list[ProblemOut]


def _event_out(event: AuditEvent) -> EventOut:
    user = getattr(event, "actor_user_id", None)
    return EventOut(
        seq=event.seq, created_at=event.created_at.isoformat(), action=event.action,
        actor_key_id=str(event.actor_key_id) if event.actor_key_id else None,
        actor_user_id=str(user) if user else None, subject_type=event.subject_type,
        subject_id=event.subject_id, details=event.details, prev_hash=event.prev_hash,
        hash=event.hash)


@router.get("", response_model=EventPage, responses=error_responses(401, 403, 422),
            summary="The agency's audit events in chain order, a page at a time")
def list_events(
    principal: AuditKey, hub: HubDep,
    after: Annotated[int, Query(ge=0, description="Events after this seq (0: from the first)")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    with hub.index.session() as session:
        events = audit.list_events(session, principal.agency_id, after_seq=after, limit=limit)
        items = [_event_out(e) for e in events]
    return EventPage(items=items, next_after=items[-1].seq if len(items) == limit else None)


@router.get("/verify", response_model=ChainCheck, responses=error_responses(401, 403),
            summary="Check the agency's audit chain end to end")
def verify_chain(principal: AuditKey, hub: HubDep) -> ChainCheck:
    """Reads every event of the agency (a long chain takes a while); changes nothing. The
    chain must also still hold the head last anchored outside the database (kind ``anchor``)."""
    with hub.index.session() as session:
        problems = audit.verify_chain(session, principal.agency_id, anchors=hub.store)
        seq, head = audit.chain_head(session, principal.agency_id)
    return ChainCheck(intact=not problems, events=seq, head=head, problems=[
        ProblemOut(seq=p.seq, kind=p.kind, message=p.message) for p in problems])
