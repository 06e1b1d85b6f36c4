"""The document pipeline as three Celery tasks: ``ocr`` → ``record`` → ``archive``, then a webhook.

Each task is a thin adapter: it reads its input from S3 and the index, calls the pure pipeline
(``ocr_service.pipeline.process``: ``read``, then ``make_record``), writes its result back, and
enqueues the next stage. Between the two steps a person may review: the ``ocr`` stage keeps the
draft extraction in the index and, when the dossier's review policy asks for it, stops the
document at ``needs_review`` before anything is signed. Approval (the API) queues the ``record``
stage, which signs the fields as approved.

What makes a document end ``archived`` exactly once, whatever crashes and redeliveries happen:

* Every stage first checks the document: one ``archived``, ``needs_review``, ``failed`` or
  ``rejected`` is not processed (a late duplicate of a task is dropped).
* Every result is idempotent. OCR output is cached in S3 under the upload's sha256 and the
  engine's fingerprint; the signed record is staged under its record id, which is derived from
  the document id and its run (``record_id_for``), so a stage that runs again finds its result
  and reuses it; ``put_record`` writes nothing when the same bytes are archived already, and the
  index keeps one record per id (``repo.create_record``).
* The next stage is enqueued only after the index says this one finished; a worker that dies in
  between has not acknowledged its message, so the stage runs again (quickly: its result is
  cached) and enqueues the next one then.

Failures: a passing one (S3 or the database unreachable) is retried with exponential backoff and
jitter, each attempt counted in the document's ``jobs`` row; bad input (``InputError``) and other
``SohoaError`` fail the document at once, with the error's code and both messages; after the last
retry the job is ``dead`` (the dead-letter state the API shows) and the document ``failed``.
"""

from __future__ import annotations

import errno
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from celery import Task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError as DatabaseError
from sqlalchemy.orm import Session

from ocr_service.config import get_settings
from ocr_service.domain import Upload
from ocr_service.domain import Extraction, PageText, Reading
from ocr_service.errors import (
    ModelError, ObjectNotFound, RecordConflict, SohoaError, StorageUnavailable)
from ocr_service.services import Services
from ocr_service.store import repo
from ocr_service.store.index import Agency, DocumentStatus, Index, JobState, database_url
from ocr_service.store.objects import ObjectStore

from .app import celery_app
from .results import (
    SignedRecord,
    engine_fingerprint,
    manifest_bytes,
    ocr_key,
    pack_record,
    record_work_key,
    unpack_record,
)
from .webhooks import WebhookFailed, WebhookRefused, deliver

log = logging.getLogger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    StorageUnavailable, ModelError, DatabaseError, InterfaceError, BrokerError)
"""Errors that pass: the task is retried. ``ModelError`` too: an operator can restore the
weights, or another worker has them."""

FINAL = frozenset({DocumentStatus.ARCHIVED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED,
                   DocumentStatus.REJECTED})
"""Statuses no task moves a document out of: a person (review) or the API (reprocess) does."""
SUBMIT_RETRY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
RECORD_NAMESPACE = uuid.UUID("6f0c8a52-3d1e-5b7a-9c4e-2a9d3f1b7e60")


def record_id_for(document_id: uuid.UUID | str, generation: int = 0) -> uuid.UUID:
    """The record id of a document's e-record: the same on every delivery of its tasks, so a
    retried stage writes (and S3 compares) the same keys instead of archiving a second record;
    another for each run of the document (``generation``: reprocessed, or superseded)."""
    name = str(document_id) if generation == 0 else f"{document_id}/{generation}"
    return uuid.uuid5(RECORD_NAMESPACE, name)


# --- per-process resources (each prefork child opens its own, after the fork) ----------------


@lru_cache(maxsize=1)
def services() -> Services:
    """The index and S3 of this process. Unlike the API's ``open_services`` this does not
    create buckets (the API did before any upload existed), so a worker starts, and its tasks
    retry, while S3 is down."""
    settings = get_settings()
    return Services(settings, Index.open(database_url(settings)),
                    ObjectStore.from_settings(settings))


@lru_cache(maxsize=1)
def _signing() -> Any:
    from ocr_service.signers import record_signing

    return record_signing(get_settings())


def _engine() -> Any:
    from ocr_service.pipeline.ocr import get_engine

    return get_engine()


@lru_cache(maxsize=1)
def _batcher() -> Any:
    """The worker's shared OCR batcher (``SOHOA_OCR_BATCH_DOCUMENTS`` > 0; workers/batching.py)."""
    from .batching import OcrBatcher

    settings = get_settings()
    return OcrBatcher(_engine(), settings.ocr_batch_documents, settings.ocr_batch_wait_ms)


def warm_up(*, ocr: bool) -> None:
    """Open the index and S3 (and load the OCR models when ``ocr``) before the first task, so
    that the first document is not slower than the others and a bad set-up shows at start."""
    try:
        services()
    except TRANSIENT as exc:  # the index is down: tasks will retry until it is back
        log.warning("index not reachable at start (%s); tasks will retry", type(exc).__name__)
    if ocr:
        try:
            _engine()
        except ModelError as exc:  # OCR tasks retry, then fail with this code, until fixed
            log.error("OCR models not loaded: %s", exc.message)


# --- what a stage works on and what it ends with ---------------------------------------------


@dataclass(frozen=True)
class Stage:
    name: str
    start: float
    end: float
    """Progress shown while the stage runs, and once it finished."""


OCR = Stage("ocr", 0.05, 0.4)
RECORD = Stage("record", 0.45, 0.8)
ARCHIVE = Stage("archive", 0.85, 1.0)
WEBHOOK = Stage(repo.WEBHOOK_JOB, 1.0, 1.0)
"""Not a pipeline stage: the name of a document's webhook job (``repo.WEBHOOK_JOB``)."""
_ORDER = {stage.name: position for position, stage in enumerate((OCR, RECORD, ARCHIVE))}


def _moved_past(current: str | None, stage: Stage) -> bool:
    """True when the document already shows a later stage: a redelivered earlier task then
    runs (to make sure the next stage is queued) without moving its stage and progress back."""
    return _ORDER.get(current or "", -1) > _ORDER[stage.name]


@dataclass(frozen=True)
class Context:
    """A document and its dossier as the index had them when the stage began."""

    services: Services
    agency_id: uuid.UUID
    document_id: uuid.UUID
    dossier_id: uuid.UUID
    sha256: str
    filename: str
    media_type: str
    size: int
    raw_key: str
    component: str | None
    dossier_code: str
    procedure_code: str
    applicant_id_number: str
    review_policy: str
    generation: int
    draft: dict[str, Any] | None
    """The extraction a person reviews (with their corrections); None before the first read."""
    approval: dict[str, Any] | None
    supersedes_id: uuid.UUID | None


@dataclass(frozen=True)
class Outcome:
    """How a stage ended: what the index records (in one transaction with the job's success),
    and what to enqueue once that is committed."""

    status: DocumentStatus = DocumentStatus.PROCESSING
    form_type: str | None = None
    write: Callable[[Session], None] | None = None
    then: Callable[[], None] | None = None


class StageTask(Task):
    """Base of the pipeline tasks: late acknowledgement is set app-wide (workers/app.py)."""

    ignore_result = True

    @property
    def max_retries(self) -> int:  # type: ignore[override]
        """``SOHOA_TASK_MAX_RETRIES``, read when a task retries, not when this module is
        imported (settings read at import would freeze whatever the importer had)."""
        return get_settings().task_max_retries


def _begin(svc: Services, document_id: uuid.UUID, stage: Stage, *,
           redelivered: bool = False) -> Context | None:
    """Check the document and mark the stage begun; None when there is nothing to do."""
    with svc.index.session() as session:
        agency_id = repo.document_agency(session, document_id)
        if agency_id is None:
            log.warning("%s: document %s is not in the index; task dropped", stage.name,
                        document_id)
            return None
        document = repo.get_document(session, agency_id, document_id)
        assert document is not None
        if document.status in FINAL:
            log.info("%s: document %s is already %s; nothing to do", stage.name, document_id,
                     document.status)
            return None
        dossier = repo.get_dossier(session, agency_id, document.dossier_id)
        assert dossier is not None
        if not _moved_past(document.stage, stage):
            repo.set_document_status(session, agency_id, document_id,
                                     DocumentStatus.PROCESSING, stage=stage.name,
                                     progress=stage.start)
        job = repo.start_job(session, agency_id, document_id, stage.name,
                             redelivered=redelivered)
        if job.lost < get_settings().task_max_lost:
            return Context(
                services=svc, agency_id=agency_id, document_id=document_id,
                dossier_id=dossier.id, sha256=document.sha256, filename=document.filename,
                media_type=document.media_type, size=document.size, raw_key=document.raw_key,
                component=document.component, dossier_code=dossier.dossier_code,
                procedure_code=dossier.procedure_code,
                applicant_id_number=dossier.applicant_id_number,
                review_policy=dossier.review_policy, generation=document.generation,
                draft=document.extraction, approval=document.approval,
                supersedes_id=document.supersedes_id)
        lost = WorkerLost(stage.name, job.lost)  # dead-letter: the job is kept for inspection
        repo.set_document_status(session, agency_id, document_id, DocumentStatus.FAILED,
                                 stage=stage.name, error=lost)
        repo.finish_job(session, job, JobState.DEAD,
                        json.dumps(lost.as_dict(), ensure_ascii=False))
        repo.owe_webhook(session, agency_id, document_id)
    log.error("%s of document %s dead-lettered: %d deliveries never ended", stage.name,
              document_id, lost.lost)
    _queue_webhook(document_id, DocumentStatus.FAILED)
    return None


class WorkerLost(SohoaError):
    """A stage whose deliveries keep ending without finishing: the upload probably crashes the
    worker (memory, a library fault). It is set aside, not run again forever."""

    code = "worker_lost"

    def __init__(self, stage: str, lost: int) -> None:
        self.lost = lost
        super().__init__(
            f"Processing ({stage}) stopped its worker {lost} times without finishing; the "
            "document was set aside. Check the scan (size, pages) and reprocess it or upload "
            "another scan.",
            f"Bước xử lý ({stage}) làm dừng tiến trình xử lý {lost} lần mà không hoàn tất; tài "
            "liệu đã được tạm gác lại. Hãy kiểm tra bản quét (kích thước, số trang) rồi xử lý "
            "lại hoặc tải lên bản quét khác.")


class DiskFull(SohoaError):
    """The worker's temporary directory (``TMPDIR``: page spools, downloaded results, the PDF/A
    being written) ran out of space. It passes, like S3 down: an operator frees space, or the
    other stages' files go away, so the stage is retried with backoff, not failed at once."""

    code = "disk_full"
    NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})

    def __init__(self) -> None:
        super().__init__(
            "The worker's temporary disk (TMPDIR) is full. Processing is retried while space is "
            "freed; if it stays full, free space there and reprocess the document.",
            "Đĩa tạm của tiến trình xử lý (TMPDIR) đã đầy. Hệ thống sẽ thử lại trong khi chờ giải "
            "phóng dung lượng; nếu đĩa vẫn đầy, hãy giải phóng dung lượng rồi xử lý lại tài liệu.")

    @classmethod
    def behind(cls, exc: BaseException) -> DiskFull | None:
        """A ``DiskFull`` when ``exc``, or what it was raised from, is "no space left"."""
        seen: BaseException | None = exc
        while seen is not None:
            if isinstance(seen, OSError) and seen.errno in cls.NO_SPACE:
                return cls()
            seen = seen.__cause__ or seen.__context__
        return None


class TookTooLong(SohoaError):
    """A stage that ran past ``SOHOA_TASK_TIME_LIMIT`` (Celery's soft time limit). Failed, not
    retried: the same document would take as long again, and a task must end before the
    broker's visibility timeout hands it to a second worker."""

    code = "took_too_long"

    def __init__(self, stage: str, limit: int) -> None:
        super().__init__(
            f"Processing ({stage}) took longer than the {limit} s allowed and was stopped. Split "
            "the scan into smaller documents, or ask the operator to raise SOHOA_TASK_TIME_LIMIT.",
            f"Bước xử lý ({stage}) chạy quá thời gian cho phép ({limit} giây) nên đã bị dừng. Hãy "
            "tách bản quét thành các tài liệu nhỏ hơn, hoặc đề nghị người vận hành tăng "
            "SOHOA_TASK_TIME_LIMIT.")


def _finish(ctx: Context, stage: Stage, outcome: Outcome) -> None:
    with ctx.services.index.session() as session:
        document = repo.get_document(session, ctx.agency_id, ctx.document_id)
        if document is None or document.status in FINAL:
            return  # a duplicate of this task, run at the same time, finished it first
        if outcome.write is not None:
            outcome.write(session)
        if outcome.status in FINAL or not _moved_past(document.stage, stage):
            repo.set_document_status(session, ctx.agency_id, ctx.document_id, outcome.status,
                                     stage=stage.name, progress=stage.end,
                                     form_type=outcome.form_type)
        _end_job(session, ctx.agency_id, ctx.document_id, stage, JobState.SUCCEEDED)
        if outcome.status in FINAL:
            repo.owe_webhook(session, ctx.agency_id, ctx.document_id)
    if outcome.status in FINAL:
        log.info("document %s %s", ctx.document_id, outcome.status)
        _queue_webhook(ctx.document_id, outcome.status)


def _queue_webhook(document_id: uuid.UUID, status: DocumentStatus) -> None:
    """Hand the webhook of a document that reached ``status`` to the broker. The call is owed
    already (its ``webhook`` job, ``queued`` in the transaction that wrote the status), so a
    broker that fails now (after the publish retries) loses nothing: the sweeper queues it again
    after ``SOHOA_SWEEP_QUEUED_AFTER``. The stage is done either way, and is not retried for it."""
    try:
        webhook.delay(str(document_id), str(status))
    except BrokerError as exc:
        log.warning("webhook of document %s not queued (%s); the sweeper will send it",
                    document_id, type(exc).__name__)


def _end_job(session: Session, agency_id: uuid.UUID, document_id: uuid.UUID, stage: Stage,
             state: JobState, error: SohoaError | None = None) -> None:
    job = next((j for j in repo.get_jobs(session, agency_id, document_id)
                if j.task == stage.name), None)
    if job is not None:
        last_error = json.dumps(error.as_dict(), ensure_ascii=False) if error else None
        repo.finish_job(session, job, state, last_error)


def _fail(svc: Services | None, document_id: uuid.UUID, stage: Stage,
          error: SohoaError) -> None:
    """The document is ``failed`` with the error; its job ``dead``; the agency is told."""
    if svc is None:  # the worker could not even open the index: nothing can be recorded
        log.error("%s of document %s failed and cannot be recorded: %s", stage.name,
                  document_id, error.code)
        return
    with svc.index.session() as session:
        agency_id = repo.document_agency(session, document_id)
        document = repo.get_document(session, agency_id, document_id) if agency_id else None
        if document is None or document.status in FINAL:
            return  # never turn a done document into a failed one (a late duplicate's error)
        repo.set_document_status(session, agency_id, document_id, DocumentStatus.FAILED,
                                 stage=stage.name, error=error)
        _end_job(session, agency_id, document_id, stage, JobState.DEAD, error)
        repo.owe_webhook(session, agency_id, document_id)
    log.warning("document %s failed at %s: %s", document_id, stage.name, error.code)
    _queue_webhook(document_id, DocumentStatus.FAILED)


def _as_error(exc: BaseException) -> SohoaError:
    """A user-facing error for ``exc``; database and broker messages may quote SQL parameters
    (ID numbers), so only their type is kept."""
    if isinstance(exc, SohoaError):
        return exc
    if isinstance(exc, DatabaseError | InterfaceError):
        return SohoaError(f"index database unavailable ({type(exc).__name__})",
                          "không truy cập được cơ sở dữ liệu chỉ mục",
                          code="index_unavailable")
    if isinstance(exc, BrokerError):
        return SohoaError(f"task broker unavailable ({type(exc).__name__})",
                          "không truy cập được hàng đợi tác vụ", code="broker_unavailable")
    return SohoaError(f"processing failed unexpectedly ({type(exc).__name__})",
                      "xử lý thất bại do lỗi không mong đợi", code="internal_error")


def _backoff(task: Task) -> int:
    settings = get_settings()
    return get_exponential_backoff_interval(factor=1, retries=task.request.retries,
                                            maximum=settings.task_retry_backoff_max,
                                            full_jitter=True)


def _retry_or_fail(task: Task, svc: Services | None, document_id: uuid.UUID, stage: Stage,
                   exc: BaseException) -> None:
    error = _as_error(exc)
    if task.request.retries >= task.max_retries:
        _fail(svc, document_id, stage, error)
        return
    countdown = _backoff(task)
    log.warning("%s of document %s: %s; retry %d in %d s", stage.name, document_id, error.code,
                task.request.retries + 1, countdown)
    try:
        if svc is not None:
            with svc.index.session() as session:
                agency_id = repo.document_agency(session, document_id)
                if agency_id is not None:
                    _end_job(session, agency_id, document_id, stage, JobState.FAILED, error)
    except TRANSIENT:
        pass  # the database itself is what failed: the retry will count the attempt
    raise task.retry(exc=exc, countdown=countdown)


def run_stage(task: Task, document_id: str, stage: Stage,
              work: Callable[[Context], Outcome]) -> None:
    """Begin, work, finish: the error handling every stage shares."""
    doc_id = uuid.UUID(document_id)
    svc: Services | None = None
    try:
        svc = services()
        redelivered = bool((task.request.delivery_info or {}).get("redelivered"))
        ctx = _begin(svc, doc_id, stage, redelivered=redelivered)
        if ctx is None:
            return
        outcome = work(ctx)
        _finish(ctx, stage, outcome)
    except Retry:
        raise
    except SoftTimeLimitExceeded:
        limit = get_settings().task_time_limit
        log.error("%s of document %s stopped after %d s", stage.name, document_id, limit)
        _fail(svc, doc_id, stage, TookTooLong(stage.name, limit))
        return
    except TRANSIENT as exc:
        _retry_or_fail(task, svc, doc_id, stage, exc)
        return
    except SohoaError as exc:
        _fail(svc, doc_id, stage, exc)
        return
    except Exception as exc:
        if (full := DiskFull.behind(exc)) is not None:
            _retry_or_fail(task, svc, doc_id, stage, full)
            return
        log.exception("%s of document %s failed unexpectedly", stage.name, document_id)
        _fail(svc, doc_id, stage, _as_error(exc))
        return
    if outcome.then is not None:
        try:
            outcome.then()
        except BrokerError as exc:  # the broker went away after its publish retries
            raise task.retry(exc=exc, countdown=_backoff(task)) from exc


# --- the stages ------------------------------------------------------------------------------


def _read(ctx: Context) -> Outcome:
    """Intake, clean-up, OCR and extraction (``process.read``), unless this upload was read by
    this engine already; the draft goes into the index, and the document stops there for a
    person when its dossier's policy says so."""
    from ocr_service.pipeline.pages import PackedReading
    from ocr_service.pipeline.process import extract_reading, read
    from ocr_service.pipeline.review import needs_review

    settings, store = get_settings(), ctx.services.store
    engine = _engine()
    key = ocr_key(ctx.sha256, engine_fingerprint(engine, settings))
    exported: dict[str, Any] | None = None  # a new draft, when the document has none yet
    with ExitStack() as opened:
        found = opened.enter_context(store.open_work(key)) if ctx.draft is None else None
        if found is None and (ctx.draft is None or not store.has_work(key)):
            batched = _batcher().read if settings.ocr_batch_documents > 0 else None
            reading = read(store.get_raw(ctx.raw_key), ctx.filename, engine, settings,
                           pages_reader=batched)
            assert reading.packed is not None  # process.read spools what it reads
            opened.callback(reading.packed.close)
            store.put_work(key, reading.packed.file)
            exported = draft_of(reading.extraction, reading.texts)
        elif found is not None:  # read by this engine before, for another document or run
            cached = opened.enter_context(closing(PackedReading(found)))
            exported = draft_of(extract_reading(cached.pages, cached.texts, settings),
                                cached.texts)
    # A draft kept in the index (a person's corrections) wins over a new reading.
    extraction = Extraction.from_export(ctx.draft or exported or {"form_type": "unknown"})

    def write(session: Session) -> None:
        repo.save_reading(session, ctx.agency_id, ctx.document_id, reading_key=key,
                          extraction=exported)

    document_id = str(ctx.document_id)
    if ctx.approval is None and needs_review(ctx.review_policy, extraction):
        return Outcome(status=DocumentStatus.NEEDS_REVIEW, form_type=extraction.form_type,
                       write=write)
    return Outcome(form_type=extraction.form_type, write=write,
                   then=lambda: record.delay(document_id, key))


def draft_of(extraction: Extraction, texts: Sequence[PageText]) -> dict[str, Any]:
    """The draft a person reviews, as the index keeps it: the extraction's contract JSON and
    each page's size (the coordinates of the field boxes on the page images)."""
    return {**extraction.export(),
            "pages": [{"page": t.page, "width": t.width, "height": t.height} for t in texts]}


def signing_for(approval: dict[str, Any] | None) -> Any:
    """The signing set-up of a record: the service's; when a person approved it, the digitizer's
    visible text names them, and their own certificate signs where their account has one
    (``personal_signers``)."""
    from ocr_service.personal_signers import digitizer_for

    signing = _signing()
    person = (approval or {}).get("approved_by") or {}
    if person.get("kind") != "user":
        return signing
    own = digitizer_for(get_settings(), uuid.UUID(person["id"]), index=services().index)
    return replace(signing, digitizer=own or signing.digitizer,
                   digitizer_person=person.get("name") or None)


def _make_record(ctx: Context, pages_key: str) -> Outcome:
    """The record of the draft as read, or as a person approved it (``process.make_record``):
    PDF/A, signatures and manifest, staged for the archive stage."""
    from ocr_service.pipeline.pages import PackedReading
    from ocr_service.pipeline.process import make_record, record_info
    from ocr_service.pipeline.review import Review

    settings, store = get_settings(), ctx.services.store
    document_id = str(ctx.document_id)
    record_id = str(record_id_for(ctx.document_id, ctx.generation))
    staged = store.get_work(record_work_key(record_id))
    if staged is not None:
        form_type = unpack_record(staged).read_manifest().document_type
        return Outcome(form_type=form_type, then=lambda: archive.delay(document_id))
    with store.open_work(pages_key) as found:
        if found is None or ctx.draft is None:  # the cached OCR is gone: read the pages again
            log.warning("record: OCR result of document %s missing; reading it again",
                        document_id)
            return Outcome(then=lambda: ocr.delay(document_id))
        cached = PackedReading(found)
        extraction = Extraction.from_export(ctx.draft)
        upload = Upload(ctx.filename, ctx.media_type, ctx.sha256, ctx.size, cached.pages)
        reading = Reading(upload, cached.pages, cached.texts, extraction, cached.models, cached)
        review = Review(extraction, ctx.approval) if ctx.approval is not None else None
        info = record_info(ctx.dossier_code, procedure_code=ctx.procedure_code,
                           applicant_id_number=ctx.applicant_id_number, component=ctx.component,
                           filename=ctx.filename)
        made = make_record(reading, review, info, signing_for(ctx.approval), settings,
                           record_id=record_id, source=store.get_raw(ctx.raw_key))
    signed = SignedRecord(made.pdf, manifest_bytes(made.manifest))
    if not store.has_work(record_work_key(record_id)):  # a concurrent duplicate may have won
        store.put_work(record_work_key(record_id), pack_record(signed))
    return Outcome(form_type=extraction.form_type, then=lambda: archive.delay(document_id))


def _archived_copy(ctx: Context, record_id: str) -> SignedRecord | None:
    """The record as the archive holds it, when both its objects are there."""
    store = ctx.services.store
    try:
        return SignedRecord(store.get_record_pdf(record_id), store.get_record_manifest(record_id))
    except ObjectNotFound:
        return None


def _archive(ctx: Context) -> Outcome:
    """Lock the record in the archive and index it; the document is then done. A corrected
    record puts the one it replaces under legal hold, and marks it superseded."""
    store = ctx.services.store
    document_id = str(ctx.document_id)
    record_id = str(record_id_for(ctx.document_id, ctx.generation))
    staged = store.get_work(record_work_key(record_id))
    signed = unpack_record(staged) if staged is not None else _archived_copy(ctx, record_id)
    if signed is None:
        log.warning("archive: staged record of document %s missing; starting over", document_id)
        return Outcome(then=lambda: ocr.delay(document_id))
    try:
        stored = store.put_record(record_id, signed.pdf, signed.manifest)
    except RecordConflict:
        # A duplicate run archived its own signing of this record first: keep that one.
        archived = _archived_copy(ctx, record_id)
        if archived is None:
            raise
        signed, stored = archived, store.put_record(record_id, archived.pdf, archived.manifest)
    if ctx.supersedes_id is not None:
        store.revoke(str(ctx.supersedes_id))  # legal hold: kept past retention, like a revoked
    manifest = signed.read_manifest()

    def write(session: Session) -> None:
        repo.create_record(
            session, ctx.agency_id, ctx.document_id,
            owner_id_number=manifest.owner_id_number, doc_type=manifest.document_type,
            pdf_key=stored.pdf.key, manifest_key=stored.manifest.key,
            manifest_sha256=stored.manifest.sha256, record_id=uuid.UUID(record_id),
            pdf_sha256=stored.pdf.sha256, pdf_version_id=stored.pdf.version_id,
            manifest_version_id=stored.manifest.version_id)
        if ctx.supersedes_id is not None:
            repo.supersede_record(session, ctx.agency_id, ctx.supersedes_id,
                                  uuid.UUID(record_id))

    return Outcome(status=DocumentStatus.ARCHIVED, form_type=manifest.document_type,
                   write=write)


# --- the tasks -------------------------------------------------------------------------------


@celery_app.task(name="sohoa.ocr", bind=True, base=StageTask)
def ocr(self: Task, document_id: str) -> None:
    run_stage(self, document_id, OCR, _read)


@celery_app.task(name="sohoa.record", bind=True, base=StageTask)
def record(self: Task, document_id: str, pages_key: str) -> None:
    run_stage(self, document_id, RECORD, lambda ctx: _make_record(ctx, pages_key))


@celery_app.task(name="sohoa.archive", bind=True, base=StageTask)
def archive(self: Task, document_id: str) -> None:
    run_stage(self, document_id, ARCHIVE, _archive)


@celery_app.task(name="sohoa.webhook", bind=True, base=StageTask)
def webhook(self: Task, document_id: str, status: str) -> None:
    """Tell the agency's system that a document is done or failed (when it has a webhook).

    Its ``webhook`` job (``repo.owe_webhook``) turns ``running`` when picked up, so the sweeper
    leaves it to this task and its retries; ``succeeded`` once delivered, ``dead`` when the
    receiver refused it or the retries ran out."""
    svc, doc_id = services(), uuid.UUID(document_id)
    with svc.index.session() as session:
        agency_id = repo.document_agency(session, doc_id)
        agency = session.get(Agency, agency_id) if agency_id else None
        if agency is None or not agency.webhook_url:
            return
        document = repo.get_document(session, agency.id, doc_id)
        assert document is not None
        url, secret = agency.webhook_url, agency.webhook_secret
        payload = {"event": f"document.{status}", "document_id": document_id,
                   "dossier_id": str(document.dossier_id), "status": status,
                   "record_id": str(document.record_id) if document.record_id else None}
        repo.start_job(session, agency.id, doc_id, WEBHOOK.name)

    def end(state: JobState, error: SohoaError | None = None) -> None:
        with svc.index.session() as session:
            _end_job(session, agency.id, doc_id, WEBHOOK, state, error)

    try:
        deliver(url, payload, secret, get_settings().webhook_timeout)
    except WebhookRefused as exc:
        log.warning("webhook of document %s refused: %s", document_id, exc.message)
        end(JobState.DEAD, exc)
    except WebhookFailed as exc:
        if self.request.retries >= self.max_retries:
            log.warning("webhook of document %s given up: %s", document_id, exc.message)
            end(JobState.DEAD, exc)
            return
        end(JobState.FAILED, exc)
        raise self.retry(exc=exc, countdown=_backoff(self)) from exc
    else:
        end(JobState.SUCCEEDED)


def submit_document(document_id: str) -> None:
    """Queue a stored, ``queued`` document for processing (the API calls this after its 202).

    Safe to call twice: the stages check the document's status and reuse their results.
    Fails within about two seconds when the broker is down (the API then answers 503 and the
    client sends the upload again), instead of the workers' longer publish retries."""
    ocr.apply_async((str(document_id),), retry_policy=SUBMIT_RETRY)


def submit_batch_document(document_id: str) -> None:
    """Queue a document of a postal batch: its OCR stage, the long one, waits on the
    ``ocr_batch`` queue, which workers take only when ``ocr`` (counter work) is empty
    (workers/app.py), so a clerk's upload never waits behind a batch."""
    ocr.apply_async((str(document_id),), queue="ocr_batch", routing_key="ocr_batch",
                    retry_policy=SUBMIT_RETRY)
