"""Agency-scoped reads and writes of agencies, dossiers, documents, jobs and records.

The one rule: every function that returns a dossier, document, job or record takes the caller's
``agency_id`` and filters by it, so another agency's id behaves exactly like an id that does not
exist (``None``, empty list, ``NotFound``). Callers (API routers, Celery tasks) use these functions
rather than querying the models themselves, which keeps the rule in one reviewable place.

State changes append an audit event in the same transaction (``store.audit``), with the acting
key when there is one; reads of records are audited by the API, which knows who reads and why.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import VIETNAM_TIME
from ..errors import SohoaError
from ..procedures import due_date_for
from .audit import append_event
from .index import (
    Agency,
    BatchItem,
    Correction,
    Document,
    DocumentEvent,
    DocumentStatus,
    Dossier,
    DossierCounter,
    Job,
    JobState,
    Record,
    RecordState,
    ReviewPolicy,
    utcnow,
)


AGENCY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Mã đơn vị such as ``000.00.10.H29``: it becomes part of every mã hồ sơ, so no spaces."""


class NotFound(SohoaError):
    """No such object for this agency (it may exist for another one: that is not said)."""

    code = "not_found"

    def __init__(self, what: str, what_vi: str) -> None:
        super().__init__(f"No such {what}.", f"Không tìm thấy {what_vi}.")


# --- agencies ------------------------------------------------------------------------------------


def get_agency(session: Session, code: str) -> Agency | None:
    return session.scalars(select(Agency).where(Agency.code == code)).one_or_none()


def create_agency(session: Session, code: str, name: str | None = None, *,
                  webhook_url: str | None = None, webhook_secret: str | None = None) -> Agency:
    """A new agency; ``code`` is its mã đơn vị (letters, digits, '.', '-', '_'; up to 64)."""
    if not AGENCY_CODE.fullmatch(code):
        raise SohoaError(f"Invalid agency code {code!r}: letters, digits, '.', '-', '_' only.",
                         f"Mã đơn vị {code!r} không hợp lệ: chỉ chữ, số, '.', '-', '_'.",
                         code="bad_agency_code")
    agency = Agency(id=uuid.uuid4(), code=code, name=(name or code).strip() or code,
                    webhook_url=webhook_url, webhook_secret=webhook_secret)
    session.add(agency)
    session.flush()
    append_event(session, agency.id, "agency.created", subject_type="agency", subject_id=agency.id,
                 details={"code": code})
    return agency


def set_webhook(session: Session, code: str, url: str | None) -> tuple[Agency, str | None]:
    """Point the agency's webhook at ``url`` (None: no webhook) with a new signing secret, which
    is returned once: receivers check ``X-Sohoa-Signature`` with it."""
    agency = get_agency(session, code)
    if agency is None:
        raise NotFound(f"agency {code!r}", f"đơn vị {code!r}")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise SohoaError(f"The webhook URL must start with https:// or http://: {url!r}.",
                         f"Địa chỉ webhook phải bắt đầu bằng https:// hoặc http://: {url!r}.",
                         code="bad_webhook_url")
    secret = secrets.token_urlsafe(32) if url is not None else None
    agency.webhook_url, agency.webhook_secret = url, secret
    append_event(session, agency.id, "agency.webhook_set", subject_type="agency",
                 subject_id=agency.id, details={"url": url})
    return agency, secret


def ensure_agency(session: Session, code: str, name: str | None = None) -> Agency:
    """The agency with ``code``, created when there is none yet."""
    return get_agency(session, code) or create_agency(session, code, name)


# --- dossiers ------------------------------------------------------------------------------------


def _next_number(session: Session, agency_id: uuid.UUID, day: str) -> int:
    """Today's next sequence number: the counter row is updated in place, which locks it."""
    bump = (update(DossierCounter)
            .where(DossierCounter.agency_id == agency_id, DossierCounter.day == day)
            .values(last=DossierCounter.last + 1).returning(DossierCounter.last))
    number = session.execute(bump).scalar_one_or_none()
    if number is not None:
        return number
    try:  # the day's first dossier; two of them race on the primary key
        with session.begin_nested():
            session.add(DossierCounter(agency_id=agency_id, day=day, last=1))
        return 1
    except IntegrityError:
        return session.execute(bump).scalar_one()


def next_dossier_code(session: Session, agency: Agency, now: datetime | None = None) -> str:
    """The next mã hồ sơ: ``<mã đơn vị>-<yymmdd>-<số thứ tự>``, numbered from 0001 each day."""
    day = (now or utcnow()).astimezone(VIETNAM_TIME).strftime("%y%m%d")  # the Vietnamese day
    return f"{agency.code}-{day}-{_next_number(session, agency.id, day):04d}"


def create_dossier(session: Session, agency_id: uuid.UUID, procedure_code: str,
                   applicant_id_number: str, *, review: ReviewPolicy = ReviewPolicy.FLAGGED,
                   actor_key_id: uuid.UUID | None = None, now: datetime | None = None,
                   applicant_name: str | None = None) -> Dossier:
    """A new dossier, received ``now``: its mã hồ sơ, a random lookup code (the model's
    default) and, for a procedure of the catalogue, its due date; a code the catalogue does not
    list is kept (other systems send those) with no due date."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency", "đơn vị")
    received = now if now is not None else utcnow()
    name = unicodedata.normalize("NFC", applicant_name).strip() if applicant_name else None
    dossier = Dossier(id=uuid.uuid4(), agency_id=agency_id,
                      dossier_code=next_dossier_code(session, agency, now),
                      procedure_code=procedure_code, applicant_id_number=applicant_id_number,
                      review_policy=ReviewPolicy(review), created_at=received,
                      due_date=due_date_for(procedure_code, received),
                      applicant_name=name or None)
    session.add(dossier)
    session.flush()
    append_event(session, agency_id, "dossier.created", actor_key_id=actor_key_id,
                 subject_type="dossier", subject_id=dossier.id,
                 details={"dossier_code": dossier.dossier_code, "procedure_code": procedure_code,
                          "review": dossier.review_policy})
    return dossier


def get_dossier(session: Session, agency_id: uuid.UUID, dossier_id: uuid.UUID) -> Dossier | None:
    return session.scalars(select(Dossier).where(Dossier.id == dossier_id,
                                                 Dossier.agency_id == agency_id)).one_or_none()


# --- documents -----------------------------------------------------------------------------------


def _documents_of(agency_id: uuid.UUID) -> Select[Document]:
    """Documents belong to an agency through their dossier."""
    return select(Document).join(Dossier, Document.dossier_id == Dossier.id).where(
        Dossier.agency_id == agency_id)


def get_document(session: Session, agency_id: uuid.UUID,
                 document_id: uuid.UUID) -> Document | None:
    return session.scalars(_documents_of(agency_id).where(Document.id == document_id)).one_or_none()


def document_agency(session: Session, document_id: uuid.UUID) -> uuid.UUID | None:
    """The agency a document belongs to: for workers only, which receive nothing but the id of
    a document the API queued, and then make every other call scoped to this agency."""
    query = select(Dossier.agency_id).join(Document, Document.dossier_id == Dossier.id)
    return session.scalars(query.where(Document.id == document_id)).one_or_none()


def list_documents(session: Session, agency_id: uuid.UUID, dossier_id: uuid.UUID) -> list[Document]:
    """The dossier's documents in upload order (empty for another agency's dossier)."""
    query = _documents_of(agency_id).where(Document.dossier_id == dossier_id)
    return list(session.scalars(query.order_by(Document.created_at, Document.id)))


def documents_in_status(session: Session, agency_id: uuid.UUID, status: DocumentStatus, *,
                        limit: int = 100) -> list[tuple[Document, Dossier]]:
    """The agency's documents in ``status`` with their dossiers, oldest change first (the
    review queue: who has waited longest comes first)."""
    query = (select(Document, Dossier).join(Dossier, Document.dossier_id == Dossier.id)
             .where(Dossier.agency_id == agency_id, Document.status == status)
             .order_by(Document.updated_at, Document.id).limit(limit))
    return [(document, dossier) for document, dossier in session.execute(query)]


@dataclass(frozen=True)
class Stale:
    """A document the sweeper queues again, and whether it came in a postal batch (it goes back
    behind counter work, on the batch queue)."""

    document_id: uuid.UUID
    in_batch: bool


def stale_documents(session: Session, *, never_handed_over: datetime, handed_over: datetime,
                    processing: datetime) -> list[Stale]:
    """Documents, of every agency (for the sweeper only), left behind, oldest first: ``queued``
    and never handed to the broker since before ``never_handed_over``; ``queued`` and handed
    over before ``handed_over`` (the broker lost the message: a long batch queue waits less);
    ``processing`` with no change since ``processing``."""
    waiting = Document.status == DocumentStatus.QUEUED
    lost = or_(
        and_(waiting, Document.handed_over_at.is_(None), Document.updated_at < never_handed_over),
        and_(waiting, Document.handed_over_at < handed_over),
        and_(Document.status == DocumentStatus.PROCESSING, Document.updated_at < processing))
    in_batch = exists().where(BatchItem.document_id == Document.id)
    query = select(Document.id, in_batch).where(lost).order_by(Document.updated_at)
    return [Stale(document_id, bool(batch)) for document_id, batch in session.execute(query)]


def mark_handed_over(session: Session, document_ids: list[uuid.UUID], *,
                     now: datetime | None = None) -> None:
    """The documents were handed to the broker (``handed_over_at``)."""
    if document_ids:
        session.execute(update(Document).where(Document.id.in_(document_ids))
                        .values(handed_over_at=now or utcnow()))


def count_documents(session: Session, agency_id: uuid.UUID) -> dict[str, int]:
    """The agency's documents by status (every status, zeros included)."""
    query = (_documents_of(agency_id).with_only_columns(Document.status, func.count())
             .group_by(Document.status))
    counts = {status.value: 0 for status in DocumentStatus}
    counts.update({status: count for status, count in session.execute(query)})
    return counts


def add_document(session: Session, agency_id: uuid.UUID, dossier_id: uuid.UUID, *, sha256: str,
                 filename: str, media_type: str, size: int, raw_key: str,
                 component: str | None = None,
                 actor_key_id: uuid.UUID | None = None) -> tuple[Document, bool]:
    """The dossier's document with these bytes (by sha256): an existing one, or a new ``queued``
    one. The flag says whether it is new; the same upload twice is one document."""
    if get_dossier(session, agency_id, dossier_id) is None:
        raise NotFound("dossier", "hồ sơ")
    find = select(Document).where(Document.dossier_id == dossier_id, Document.sha256 == sha256)
    existing = session.scalars(find).one_or_none()
    if existing is not None:
        return existing, False
    document = Document(id=uuid.uuid4(), dossier_id=dossier_id, sha256=sha256, filename=filename,
                        media_type=media_type, size=size, raw_key=raw_key, component=component,
                        status=DocumentStatus.QUEUED, progress=0.0)
    try:
        with session.begin_nested():  # a concurrent upload of the same bytes may win
            session.add(document)
    except IntegrityError:
        return session.scalars(find).one(), False
    append_event(session, agency_id, "document.added", actor_key_id=actor_key_id,
                 subject_type="document", subject_id=document.id,
                 details={"dossier_id": dossier_id, "sha256": sha256, "size": size})
    _history(session, document, None)
    return document, True


def set_document_status(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID,
                        status: DocumentStatus, *, stage: str | None = None,
                        progress: float | None = None, form_type: str | None = None,
                        error: SohoaError | None = None,
                        actor_key_id: uuid.UUID | None = None, actor: dict | None = None,
                        note: str | None = None) -> Document:
    """Move a document on; a change of ``status`` (not of stage or progress) is audited and
    goes into the document's history, with ``actor`` (a person or key; None: the system)."""
    document = get_document(session, agency_id, document_id)
    if document is None:
        raise NotFound("document", "tài liệu")
    previous = document.status
    document.status = DocumentStatus(status)
    if stage is not None:
        document.stage = stage
    if progress is not None:
        document.progress = progress
    if form_type is not None:
        document.form_type = form_type
    if error is not None:
        document.error_code, document.error_message = error.code, error.message
        document.error_message_vi = error.message_vi
    session.flush()
    if previous != document.status:
        append_event(session, agency_id, "document.status", actor_key_id=actor_key_id,
                     subject_type="document", subject_id=document_id,
                     details={"from": previous, "to": document.status,
                              "error_code": document.error_code, "actor": actor})
        _history(session, document, actor, note)
    return document


def _history(session: Session, document: Document, actor: dict | None,
             note: str | None = None) -> None:
    session.add(DocumentEvent(id=uuid.uuid4(), document_id=document.id, status=document.status,
                              stage=document.stage, actor=actor, note=note))
    session.flush()


def document_history(session: Session, agency_id: uuid.UUID,
                     document_id: uuid.UUID) -> list[DocumentEvent]:
    """The document's status changes, oldest first (empty for another agency's document)."""
    if get_document(session, agency_id, document_id) is None:
        return []
    query = select(DocumentEvent).where(DocumentEvent.document_id == document_id)
    return list(session.scalars(query.order_by(DocumentEvent.created_at, DocumentEvent.id)))


# --- review --------------------------------------------------------------------------------------


class WrongStatus(SohoaError):
    """The document is not in a status that allows the request (HTTP 409)."""

    code = "wrong_status"

    def __init__(self, status: str, allowed: tuple[DocumentStatus, ...]) -> None:
        wanted = ", ".join(allowed)
        super().__init__(f"The document is {status}; this needs it to be: {wanted}.",
                         f"Tài liệu đang ở trạng thái {status}; thao tác này cần trạng thái: "
                         f"{wanted}.")


def document_for_change(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID,
                        *allowed: DocumentStatus) -> Document:
    """The document, row-locked for a change that its status must allow (404, 409 otherwise)."""
    query = _documents_of(agency_id).where(Document.id == document_id).with_for_update(
        of=Document)
    document = session.scalars(query).one_or_none()
    if document is None:
        raise NotFound("document", "tài liệu")
    if document.status not in allowed:
        raise WrongStatus(document.status, allowed)
    return document


def save_reading(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID, *,
                 reading_key: str, extraction: dict | None) -> None:
    """Where the document's cleaned pages are, and its draft extraction (kept when there is one
    already: a person may have corrected it)."""
    document = get_document(session, agency_id, document_id)
    if document is None:
        raise NotFound("document", "tài liệu")
    document.reading_key = reading_key
    if document.extraction is None and extraction is not None:
        document.extraction = extraction
    session.flush()


def correct_document(session: Session, agency_id: uuid.UUID, document: Document,
                     extraction: dict, changes: list[dict], actor: dict, *,
                     actor_key_id: uuid.UUID | None = None) -> list[Correction]:
    """Keep a person's corrected draft, one ``Correction`` per changed field, audited."""
    document.extraction = extraction
    made = [Correction(id=uuid.uuid4(), document_id=document.id,
                       generation=document.generation, field=change["field"],
                       old_value=change["old"], new_value=change["new"],
                       reading=change["reading"], actor=actor) for change in changes]
    session.add_all(made)
    session.flush()
    if made:
        append_event(session, agency_id, "document.corrected", actor_key_id=actor_key_id,
                     subject_type="document", subject_id=document.id,
                     details={"fields": [c.field for c in made], "actor": actor})
    return made


def corrections(session: Session, document_id: uuid.UUID,
                generation: int | None = None) -> list[Correction]:
    """The document's corrections, oldest first (of one run, when ``generation`` is given);
    the caller has checked that the document is the agency's."""
    query = select(Correction).where(Correction.document_id == document_id)
    if generation is not None:
        query = query.where(Correction.generation == generation)
    return list(session.scalars(query.order_by(Correction.created_at, Correction.id)))


def run_again(session: Session, agency_id: uuid.UUID, document: Document, *,
              status: DocumentStatus, stage: str | None, actor: dict,
              actor_key_id: uuid.UUID | None = None, note: str | None = None) -> Document:
    """Start a new run of the document (``generation`` + 1): its record will have a new id, and
    the error of an earlier run is cleared. The caller sets the draft and approval it needs."""
    document.generation += 1
    document.error_code = document.error_message = document.error_message_vi = None
    document.progress = 0.0
    return set_document_status(session, agency_id, document.id, status, stage=stage,
                               actor_key_id=actor_key_id, actor=actor, note=note)


# --- jobs ----------------------------------------------------------------------------------------


def start_job(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID, task: str, *,
              redelivered: bool = False) -> Job:
    """The document's job for ``task``, now ``running`` with one more attempt (a redelivered task
    finds the same row, so attempts count deliveries). A message the broker ``redelivered``
    while the job still shows ``running`` is a delivery that never ended (its worker died):
    counted ``lost``. A retry after a passing failure is a new message, never counted."""
    if get_document(session, agency_id, document_id) is None:
        raise NotFound("document", "tài liệu")
    job = job_row(session, document_id, task)
    if redelivered and job.state == JobState.RUNNING:
        job.lost += 1
    job.attempts += 1
    job.state = JobState.RUNNING
    session.flush()
    return job


def finish_job(session: Session, job: Job, state: JobState, error: str | None = None) -> Job:
    """Record how an attempt ended: ``succeeded``, ``failed`` (to be retried) or ``dead``."""
    job.state = JobState(state)
    job.last_error = error if error is not None else job.last_error
    session.flush()
    return job


def get_jobs(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID) -> list[Job]:
    if get_document(session, agency_id, document_id) is None:
        return []
    return list(session.scalars(select(Job).where(Job.document_id == document_id)
                                .order_by(Job.created_at)))


# --- records -------------------------------------------------------------------------------------


def create_record(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID, *,
                  owner_id_number: str, doc_type: str, pdf_key: str, manifest_key: str,
                  manifest_sha256: str, record_id: uuid.UUID | None = None,
                  pdf_sha256: str | None = None, pdf_version_id: str | None = None,
                  manifest_version_id: str | None = None,
                  actor_key_id: uuid.UUID | None = None) -> Record:
    """The e-record of a document, linked from it as its newest. Idempotent by ``record_id``
    (the workers derive it from the document and its run): a retried archive task gets the
    existing one back."""
    document = get_document(session, agency_id, document_id)
    if document is None:
        raise NotFound("document", "tài liệu")
    existing = session.get(Record, record_id) if record_id is not None else None
    if existing is not None:
        return existing
    record = Record(id=record_id or uuid.uuid4(), agency_id=agency_id, document_id=document_id,
                    owner_id_number=owner_id_number, doc_type=doc_type, pdf_key=pdf_key,
                    manifest_key=manifest_key, manifest_sha256=manifest_sha256,
                    pdf_sha256=pdf_sha256, pdf_version_id=pdf_version_id,
                    manifest_version_id=manifest_version_id, state=RecordState.VALID)
    session.add(record)
    session.flush()
    document.record_id = record.id
    append_event(session, agency_id, "record.created", actor_key_id=actor_key_id,
                 subject_type="record", subject_id=record.id,
                 details={"document_id": document_id, "doc_type": doc_type,
                          "manifest_sha256": manifest_sha256})
    return record


def supersede_record(session: Session, agency_id: uuid.UUID, old_id: uuid.UUID,
                     new_id: uuid.UUID) -> None:
    """Mark ``old_id`` replaced by the corrected record ``new_id`` (its objects are under legal
    hold already: the archive stage puts it before this)."""
    old = get_record(session, agency_id, old_id)
    if old is None or old.state == RecordState.SUPERSEDED:
        return
    old.state, old.superseded_by = RecordState.SUPERSEDED, new_id
    session.flush()
    append_event(session, agency_id, "record.superseded", subject_type="record",
                 subject_id=old_id, details={"superseded_by": str(new_id)})


def get_record(session: Session, agency_id: uuid.UUID, record_id: uuid.UUID) -> Record | None:
    return session.scalars(select(Record).where(Record.id == record_id,
                                                Record.agency_id == agency_id)).one_or_none()


def find_records(session: Session, agency_id: uuid.UUID, owner_id_number: str,
                 doc_type: str | None = None) -> list[Record]:
    """Reuse search: the owner's valid records (of one type, if given), newest first."""
    query = select(Record).where(Record.agency_id == agency_id,
                                 Record.owner_id_number == owner_id_number,
                                 Record.state == RecordState.VALID)
    if doc_type is not None:
        query = query.where(Record.doc_type == doc_type)
    return list(session.scalars(query.order_by(Record.created_at.desc(), Record.id)))


def revoke_record(session: Session, agency_id: uuid.UUID, record_id: uuid.UUID, *,
                  reason: str | None = None, actor_key_id: uuid.UUID | None = None) -> Record:
    """Mark a record revoked (the archive puts its objects under legal hold; nothing is deleted)."""
    record = get_record(session, agency_id, record_id)
    if record is None:
        raise NotFound("record", "hồ sơ điện tử")
    if record.state != RecordState.REVOKED:
        record.state, record.revoked_at = RecordState.REVOKED, utcnow()
        session.flush()
        append_event(session, agency_id, "record.revoked", actor_key_id=actor_key_id,
                     subject_type="record", subject_id=record_id, details={"reason": reason})
    return record


def find_archived_pdf(session: Session, pdf_sha256: str, *,
                      prefer_agency: uuid.UUID | None = None) -> Record | None:
    """The record, of any agency, whose signed PDF has this hash (any state), the preferred
    agency's first: ``POST /v1/verify`` must learn that a file sent to one agency was revoked
    by the agency that made it. Callers outside the record's agency may see its state only."""
    query = select(Record).where(Record.pdf_sha256 == pdf_sha256)
    if prefer_agency is not None:
        query = query.order_by((Record.agency_id != prefer_agency))
    return session.scalars(query.order_by(Record.created_at, Record.id)).first()


def find_record_any_agency(session: Session, record_id: uuid.UUID) -> tuple[Record, Agency] | None:
    """A record of any agency with its agency, for the public verification page (``GET
    /v/{record_id}``, no key): the id printed in a record's QR code is the only thing needed.
    Callers must show no personal data (owner, fields): the page is open to anyone."""
    record = session.get(Record, record_id)
    if record is None:
        return None
    return record, session.get(Agency, record.agency_id)


# --- webhooks owed (the workers' outbox) ----------------------------------------------------------

WEBHOOK_JOB = "webhook"
"""The ``jobs.task`` of a document's webhook: ``queued`` from the moment its final status is
committed (same transaction) until a worker picked the call up, so a call the broker never
received is found again by the sweeper."""


def owe_webhook(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID) -> Job | None:
    """Record, in the caller's transaction (the one that writes the document's final status),
    that the agency's system must be told: the document's ``webhook`` job, ``queued`` again.
    None when the agency has no webhook."""
    agency = session.get(Agency, agency_id)
    if agency is None or not agency.webhook_url:
        return None
    job = job_row(session, document_id, WEBHOOK_JOB)
    job.state, job.last_error = JobState.QUEUED, None
    job.updated_at = utcnow()  # the sweeper's clock starts now, also for a row queued before
    session.flush()
    return job


def webhooks_never_picked_up(session: Session,
                             queued_before: datetime) -> list[tuple[uuid.UUID, str]]:
    """Documents (of every agency: for the sweeper only) whose webhook has been ``queued`` since
    before ``queued_before`` while the document is still in a final status and its agency still
    has a webhook: (document id, status), oldest first. A call being retried is ``running`` or
    ``failed``, not ``queued``: its retries are the broker's, and are not doubled."""
    final = (DocumentStatus.ARCHIVED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED,
             DocumentStatus.REJECTED)
    query = (select(Document.id, Document.status).join(Job, Job.document_id == Document.id)
             .join(Dossier, Dossier.id == Document.dossier_id)
             .join(Agency, Agency.id == Dossier.agency_id)
             .where(Job.task == WEBHOOK_JOB, Job.state == JobState.QUEUED,
                    Job.updated_at < queued_before, Document.status.in_(final),
                    Agency.webhook_url.is_not(None))
             .order_by(Job.updated_at))
    return [(document_id, str(status)) for document_id, status in session.execute(query)]


def webhook_queued_again(session: Session, document_id: uuid.UUID, *,
                         now: datetime | None = None) -> None:
    """The sweeper handed the document's owed webhook to the broker again: its clock restarts,
    so a call still waiting in a long queue is sent again at most once a sweep period."""
    session.execute(update(Job).where(Job.document_id == document_id, Job.task == WEBHOOK_JOB,
                                      Job.state == JobState.QUEUED).values(updated_at=now or utcnow()))


def job_row(session: Session, document_id: uuid.UUID, task: str) -> Job:
    """The document's job row for ``task``, locked (``FOR UPDATE``), made when missing; two
    workers making it at once race on the unique (document, task) and both get the one row."""
    find = select(Job).where(Job.document_id == document_id, Job.task == task).with_for_update()
    job = session.scalars(find).one_or_none()
    if job is None:
        try:
            with session.begin_nested():
                job = Job(id=uuid.uuid4(), document_id=document_id, task=task, attempts=0)
                session.add(job)
        except IntegrityError:
            job = session.scalars(find).one()
    return job
