"""Batches of postal operators in the index: dossier references, manifest rows, progress, and
the page count billed per contract (docs/architecture.md §5; ``api/routers/batches.py``).

As in ``store.repo``, every read takes the caller's ``agency_id``: another agency's batch is
like one that does not exist.

Pages are metered by *deriving* them at report time from the rows that are there anyway
(``batch_items`` → ``documents`` → ``records``) rather than by counters a worker bumps: nothing
can be counted twice or lost in a crash between two writes, and every counted page names its
manifest line, its document and its record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import VIETNAM_TIME as VIETNAM
from ..errors import InputError, SohoaError
from .audit import append_event
from .index import (
    Batch,
    BatchDossier,
    BatchItem,
    Document,
    DocumentStatus,
    Dossier,
    ReviewPolicy,
    utcnow,
)
from .repo import create_dossier

DONE = frozenset({DocumentStatus.ARCHIVED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED,
                  DocumentStatus.REJECTED})
"""Where the machine's work on a document ends (``needs_review`` waits for a person)."""
WAITING = frozenset({DocumentStatus.QUEUED, DocumentStatus.PROCESSING})


def create_batch(session: Session, agency_id: uuid.UUID, *, contract_code: str,
                 review: ReviewPolicy, operator: str, sha256: str,
                 actor_key_id: uuid.UUID | None, actor_user_id: uuid.UUID | None) -> Batch:
    batch = Batch(id=uuid.uuid4(), agency_id=agency_id, contract_code=contract_code,
                  review_policy=ReviewPolicy(review), operator=operator, sha256=sha256,
                  actor_key_id=actor_key_id, actor_user_id=actor_user_id)
    session.add(batch)
    session.flush()
    append_event(session, agency_id, "batch.created", actor_key_id=actor_key_id,
                 actor_user_id=actor_user_id, subject_type="batch", subject_id=batch.id,
                 details={"contract_code": contract_code, "sha256": sha256})
    return batch


def get_batch(session: Session, agency_id: uuid.UUID, batch_id: uuid.UUID) -> Batch | None:
    return session.scalars(select(Batch).where(Batch.id == batch_id,
                                               Batch.agency_id == agency_id)).one_or_none()


def dossier_for_ref(session: Session, agency_id: uuid.UUID, dossier_ref: str, *,
                    procedure_code: str, applicant_id_number: str, review: ReviewPolicy,
                    actor_key_id: uuid.UUID | None) -> uuid.UUID:
    """The agency's dossier named ``dossier_ref`` by operators, made on first use. A reference
    already used for another procedure or applicant is the row's error, not a new dossier."""
    find = select(BatchDossier.dossier_id).where(BatchDossier.agency_id == agency_id,
                                                 BatchDossier.dossier_ref == dossier_ref)
    dossier_id = session.scalars(find).one_or_none()
    if dossier_id is None:
        dossier = create_dossier(session, agency_id, procedure_code, applicant_id_number,
                                 review=review, actor_key_id=actor_key_id)
        try:
            with session.begin_nested():  # another batch may name it at the same time
                session.add(BatchDossier(id=uuid.uuid4(), agency_id=agency_id,
                                         dossier_ref=dossier_ref, dossier_id=dossier.id))
            return dossier.id
        except IntegrityError:
            dossier_id = session.scalars(find).one()
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    if (dossier.procedure_code, dossier.applicant_id_number) != (procedure_code,
                                                                 applicant_id_number):
        raise InputError(
            f"The dossier_ref “{dossier_ref}” already names a dossier of another procedure "
            "or applicant.",
            f"Mã tham chiếu hồ sơ “{dossier_ref}” đã dùng cho hồ sơ của thủ tục hoặc người nộp "
            "khác.", code="dossier_ref_conflict")
    return dossier_id


def add_item(session: Session, batch_id: uuid.UUID, line: int, filename: str,
             dossier_ref: str | None, *, document_id: uuid.UUID | None = None, pages: int = 0,
             error: SohoaError | None = None) -> BatchItem:
    """One manifest row's outcome. A document some earlier row (of any batch) already counts is
    a ``duplicate``: the same scan sent twice is one document, billed once."""
    duplicate = False
    if document_id is not None:
        earlier = select(BatchItem.id).where(BatchItem.document_id == document_id).limit(1)
        duplicate = session.scalars(earlier).first() is not None
    item = BatchItem(id=uuid.uuid4(), batch_id=batch_id, line=line, filename=filename[:1024],
                     dossier_ref=dossier_ref, document_id=document_id, duplicate=duplicate,
                     pages=pages if document_id is not None else 0,
                     error_code=error.code if error else None,
                     error_message=error.message if error else None,
                     error_message_vi=error.message_vi if error else None)
    session.add(item)
    session.flush()
    return item


def close_batch(session: Session, batch_id: uuid.UUID) -> Batch:
    """Count the batch's rows into its row (the upload's answer)."""
    batch = session.get(Batch, batch_id)
    assert batch is not None
    items = list(session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)))
    counted = [i for i in items if i.document_id is not None and not i.duplicate]
    batch.rows = len(items)
    batch.documents = len(counted)
    batch.pages = sum(i.pages for i in counted)
    batch.errors = sum(1 for i in items if i.error_code is not None)
    session.flush()
    return batch


def queued_batch_pages(session: Session, agency_id: uuid.UUID) -> int:
    """Pages of the agency's batch documents still waiting for (or in) the workers: what the
    per-agency cap (``max_batch_queued_pages``) holds back."""
    query = (select(func.coalesce(func.sum(BatchItem.pages), 0))
             .join(Batch, BatchItem.batch_id == Batch.id)
             .join(Document, BatchItem.document_id == Document.id)
             .where(Batch.agency_id == agency_id, BatchItem.duplicate.is_(False),
                    Document.status.in_([s.value for s in WAITING])))
    return int(session.execute(query).scalar_one())


# --- progress ----------------------------------------------------------------------------------


def _items_with_documents(session: Session, batch_id: uuid.UUID
                          ) -> list[tuple[BatchItem, Document | None]]:
    query = (select(BatchItem, Document).outerjoin(Document, BatchItem.document_id == Document.id)
             .where(BatchItem.batch_id == batch_id).order_by(BatchItem.line))
    return [(item, document) for item, document in session.execute(query)]


def progress(session: Session, batch: Batch, now: datetime | None = None) -> dict:
    """What ``GET /v1/batches/{id}`` answers: documents by status, pages total and done, pages
    per second since the batch arrived, the time still needed at that pace, and every failure
    with its reasons (rows refused at intake and documents that failed or were rejected).
    ``status`` is ``done`` once no document of it is queued or processing."""
    now = now or utcnow()
    rows = _items_with_documents(session, batch.id)
    counted = [(item, doc) for item, doc in rows if doc is not None and not item.duplicate]
    by_status = {status.value: 0 for status in DocumentStatus}
    for _, doc in counted:
        by_status[doc.status] += 1
    done = [(item, doc) for item, doc in counted if doc.status in DONE]
    pages_total = sum(item.pages for item, _ in counted)
    pages_done = sum(item.pages for item, _ in done)
    finished = not any(doc.status in WAITING for _, doc in counted)
    until = max((doc.updated_at for _, doc in done), default=now) if finished else now
    seconds = max((until - batch.created_at).total_seconds(), 1e-3)
    rate = pages_done / seconds if pages_done else 0.0
    eta = (pages_total - pages_done) / rate if rate > 0 else None
    failures = []
    for item, doc in rows:
        if item.error_code is not None:
            failures.append({"line": item.line, "file": item.filename, "document_id": None,
                             "error": {"code": item.error_code, "message": item.error_message,
                                       "message_vi": item.error_message_vi}})
        elif doc is not None and not item.duplicate and doc.status in (
                DocumentStatus.FAILED, DocumentStatus.REJECTED):
            failures.append({"line": item.line, "file": item.filename,
                             "document_id": str(doc.id), "status": doc.status,
                             "error": {"code": doc.error_code or doc.status,
                                       "message": doc.error_message or "",
                                       "message_vi": doc.error_message_vi or ""}})
    return {
        "id": str(batch.id), "status": "done" if finished else "processing",
        "contract_code": batch.contract_code, "review": batch.review_policy,
        "created_at": batch.created_at.isoformat(),
        "rows": len(rows), "documents": len(counted),
        "duplicates": sum(1 for item, _ in rows if item.duplicate),
        "errors": sum(1 for item, _ in rows if item.error_code is not None),
        "by_status": by_status, "pages_total": pages_total, "pages_done": pages_done,
        "pages_per_second": round(rate, 3),
        "eta_seconds": round(eta, 1) if eta is not None and not finished else (
            0.0 if finished else None),
        "failures": failures,
    }


# --- page metering -----------------------------------------------------------------------------

BILLABLE, REJECTED, DUPLICATE, PENDING = "billable", "rejected", "duplicate", "pending"
OUTCOME = {DocumentStatus.ARCHIVED: BILLABLE, DocumentStatus.FAILED: REJECTED,
           DocumentStatus.REJECTED: REJECTED}
"""A document's final outcome for billing; anything else (queued, processing, needs_review)
is still ``pending`` and counted once it ends."""


@dataclass(frozen=True)
class CountedPages:
    """The pages of one manifest row, as the page report counts them (one line of its detail)."""

    batch_id: str
    line: int
    document_id: str
    record_id: str | None
    outcome: str
    pages: int
    day: str
    """The Vietnamese calendar day the outcome was reached (YYYY-MM-DD)."""
    operator: str
    contract: str
    procedure: str


def pages_read(document: Document, planned: int) -> int:
    """Pages of a document as the worker read them (its draft lists each page), else as its
    headers said at intake (a file that never opened)."""
    pages = (document.extraction or {}).get("pages")
    return len(pages) if isinstance(pages, list) and pages else planned


def counted_pages(session: Session, agency_id: uuid.UUID, start: date | None = None,
                  end: date | None = None) -> list[CountedPages]:
    """Every batch row of the agency that became a document, with its outcome and pages, whose
    day lies in [start, end]. A duplicate row counts on the day its batch arrived; a document on
    the day it reached its outcome."""
    query = (select(BatchItem, Batch, Document, Dossier)
             .join(Batch, BatchItem.batch_id == Batch.id)
             .join(Document, BatchItem.document_id == Document.id)
             .join(Dossier, Document.dossier_id == Dossier.id)
             .where(Batch.agency_id == agency_id, Dossier.agency_id == agency_id)
             .order_by(Batch.created_at, BatchItem.line))
    counted = []
    for item, batch, document, dossier in session.execute(query):
        if item.duplicate:
            outcome, when = DUPLICATE, batch.created_at
        else:
            outcome, when = OUTCOME.get(DocumentStatus(document.status), PENDING), \
                document.updated_at
        day = when.astimezone(VIETNAM).date()
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        counted.append(CountedPages(
            batch_id=str(batch.id), line=item.line, document_id=str(document.id),
            record_id=str(document.record_id) if outcome == BILLABLE and document.record_id
            else None, outcome=outcome, pages=pages_read(document, item.pages),
            day=day.isoformat(), operator=batch.operator, contract=batch.contract_code,
            procedure=dossier.procedure_code))
    return counted
