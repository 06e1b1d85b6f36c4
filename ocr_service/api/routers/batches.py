"""Batches: a postal operator's ZIP of scans with its ``manifest.csv`` (issue 16).

``POST /v1/batches`` takes the ZIP as a multipart file that Starlette spools to a temporary
file while it streams in (bounded by ``max_batch_bytes`` in ``api.limits``; deleted when the
request ends), so a 2 GiB batch never sits in memory: the ZIP's directory is checked first
(``batch_intake``: bombs, traversal, links), then each row's scan is read alone and goes the way
of a clerk's upload (``dossiers.store_document``: raw bucket, then the index), its manifest row
recorded with it in one transaction. Rows that fail are reported by line; the others go on.

Batch documents are queued behind counter work (``submit_batch``: the ``ocr_batch`` queue), and
an agency whose batches already hold ``max_batch_queued_pages`` pages in the queue is answered
429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ...batch_intake import (
    Row, open_zip, parse_manifest, planned_pages, read_entry, read_manifest)
from ...digest import sha256_hex
from ...errors import SohoaError
from ...pipeline.intake import check_size, detect_type
from ...store import batches as stored_batches
from ...store.index import DocumentStatus, ReviewPolicy, Role
from ..auth import ApiKeyPrincipal, BatchKey, require
from ...handover import Submit
from ..deps import HubDep, SettingsDep, hand_over
from ..idempotency import IdempotencyDep
from ..schemas import ErrorResponse, error_responses
from ..uploads import CHUNK, Upload, clean_filename
from .dossiers import store_document

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/batches", tags=["batches"])

EVENT_INTERVAL = 1.0
"""Seconds between two looks at a batch's progress for its event stream."""
RETRY_AFTER = 60
"""What a batch refused for a full queue is told to wait, in seconds."""
BatchReadKey = Annotated[ApiKeyPrincipal, Depends(require(Role.OPERATOR, Role.AUDITOR))]
"""Who follows a batch: its operators, and the agency's auditors (and admins)."""


class BatchAccepted(BaseModel):
    id: str
    documents: int
    """Documents of the batch (each distinct scan once)."""
    pages: int
    """Their pages, as the files' headers say."""
    duplicates: int
    errors: list[dict[str, Any]]
    """Rows refused: ``{line, file, error: {code, message, message_vi}}``."""


class BatchQueueFull(SohoaError):
    code = "batch_queue_full"

    def __init__(self, queued: int, cap: int) -> None:
        super().__init__(
            f"This agency's batches already have {queued} pages waiting (the cap is {cap}); "
            f"send the batch again in {RETRY_AFTER} s.",
            f"Các lô của đơn vị đang có {queued} trang chờ xử lý (giới hạn {cap}); hãy gửi lại "
            f"lô sau {RETRY_AFTER} giây.")
        self.headers = {"Retry-After": str(RETRY_AFTER)}


def submit_batch_dep(request: Request) -> Submit:
    """How a batch document is queued: ``app.state.submit_batch`` (``create_app``)."""
    return request.app.state.submit_batch


SubmitBatch = Annotated[Submit, Depends(submit_batch_dep)]


def _operator(principal: ApiKeyPrincipal) -> str:
    """How reports name the sender: the key's public prefix, or the person's account id."""
    return f"user:{principal.user_id}" if principal.user_id else f"key:{principal.prefix}"


def _sha256_of(upload: UploadFile) -> str:
    digest = hashlib.sha256()
    upload.file.seek(0)
    while chunk := upload.file.read(CHUNK):
        digest.update(chunk)
    upload.file.seek(0)
    return digest.hexdigest()


@router.post("", status_code=202, response_model=BatchAccepted,
             responses={**error_responses(400, 401, 403, 409, 413, 422, 503), 429: {
                 "model": ErrorResponse, "description": "The agency's batches already fill "
                                                        "the queue: send again after Retry-After"}},
             summary="Send a ZIP of scans with manifest.csv; each row becomes a document")
def create_batch(
    principal: BatchKey, hub: HubDep, settings: SettingsDep, submit: SubmitBatch,
    idempotency: IdempotencyDep,
    file: Annotated[UploadFile, File(description=(
        "ZIP: the scans and manifest.csv (file,dossier_ref,procedure_code,"
        "applicant_id_number,component)"))],
    contract_code: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$",
                                       description="The digitization contract billed")],
    review: Annotated[Literal["always", "flagged", "never"], Form(
        description="Review policy of the dossiers the batch opens")] = "flagged",
) -> JSONResponse:
    """Answers once every good row's scan is in the raw bucket and its document in the index;
    rows that fail are listed with their manifest line and reason, and the others go on."""
    sha256 = _sha256_of(file)
    fingerprint = idempotency.fingerprint({"sha256": sha256, "contract_code": contract_code,
                                           "review": review})
    if (replayed := idempotency.replay(fingerprint)) is not None:
        return replayed
    with hub.index.session() as session:
        queued = stored_batches.queued_batch_pages(session, principal.agency_id)
    if queued >= settings.max_batch_queued_pages:
        raise BatchQueueFull(queued, settings.max_batch_queued_pages)
    with open_zip(file.file, settings) as archive:
        rows, bad = parse_manifest(read_manifest(archive), set(archive.namelist()))
        with hub.index.session() as session:
            batch = stored_batches.create_batch(
                session, principal.agency_id, contract_code=contract_code,
                review=ReviewPolicy(review), operator=_operator(principal), sha256=sha256,
                actor_key_id=principal.key_id, actor_user_id=principal.user_id)
            for row in bad:
                stored_batches.add_item(session, batch.id, row.line, row.file, row.dossier_ref,
                                        error=row.error)
        intake = _Intake(hub, principal, settings, batch.id, ReviewPolicy(review))
        for row in rows:
            intake.take(archive, row)
    with hub.index.session() as session:
        batch = stored_batches.close_batch(session, batch.id)
        answer = stored_batches.progress(session, batch)
    for document_id in intake.to_queue:
        hand_over(submit, hub.index, document_id)
    log.info("batch %s: %d documents, %d pages, %d rows refused", batch.id, batch.documents,
             batch.pages, batch.errors)
    body = BatchAccepted(id=str(batch.id), documents=batch.documents, pages=batch.pages,
                         duplicates=answer["duplicates"],
                         errors=[f for f in answer["failures"] if f["document_id"] is None])
    return idempotency.remember(fingerprint, 202, body.model_dump())


class _Intake:
    """One batch's rows going into storage and the index, one scan at a time."""

    def __init__(self, hub: Any, principal: ApiKeyPrincipal, settings: Any,
                 batch_id: uuid.UUID, review: ReviewPolicy) -> None:
        self.hub, self.principal, self.settings = hub, principal, settings
        self.batch_id, self.review = batch_id, review
        self.seen: dict[str, uuid.UUID] = {}
        """sha256 → document of this batch: the same scan twice is one document."""
        self.to_queue: list[str] = []

    def take(self, archive: Any, row: Row) -> None:
        try:
            data = read_entry(archive, row.file, self.settings.max_upload_bytes)
            name = clean_filename(row.file)
            check_size(data, name, self.settings)
            upload = Upload(data, name, detect_type(data, name).media_type)
            if (known := self.seen.get(sha256_hex(data))) is not None:
                self._record(row, error=None, document_id=known, pages=0)
                return
            with self.hub.index.session() as session:
                dossier_id = stored_batches.dossier_for_ref(
                    session, self.principal.agency_id, row.dossier_ref,
                    procedure_code=row.procedure_code,
                    applicant_id_number=row.applicant_id_number, review=self.review,
                    actor_key_id=self.principal.key_id)
            pages = planned_pages(data, name)
            stored = store_document(self.hub, self.principal, dossier_id, upload,
                                    row.component, also=self._item(row, pages))
        except SohoaError as exc:
            self._record(row, error=exc)
            return
        self.seen[sha256_hex(data)] = uuid.UUID(stored.id)
        if stored.status == DocumentStatus.QUEUED and stored.id not in self.to_queue:
            self.to_queue.append(stored.id)

    def _item(self, row: Row, pages: int) -> Callable[..., None]:
        def write(session: Any, document: Any, _created: bool) -> None:
            stored_batches.add_item(session, self.batch_id, row.line, row.file,
                                    row.dossier_ref, document_id=document.id, pages=pages)
        return write

    def _record(self, row: Row, *, error: SohoaError | None,
                document_id: uuid.UUID | None = None, pages: int = 0) -> None:
        with self.hub.index.session() as session:
            stored_batches.add_item(session, self.batch_id, row.line, row.file, row.dossier_ref,
                                    document_id=document_id, pages=pages, error=error)


def _batch_or_404(hub: Any, principal: ApiKeyPrincipal, batch_id: str) -> dict[str, Any]:
    try:
        wanted = uuid.UUID(batch_id)
    except ValueError:
        wanted = None
    with hub.index.session() as session:
        batch = (stored_batches.get_batch(session, principal.agency_id, wanted)
                 if wanted else None)
        if batch is None:
            from ...store.repo import NotFound

            raise NotFound("batch", "lô hồ sơ")
        return stored_batches.progress(session, batch)


@router.get("/{batch_id}", responses=error_responses(401, 403, 404),
            summary="A batch's progress: documents by status, pages, pace, ETA, failures")
def get_batch(principal: BatchReadKey, hub: HubDep, batch_id: str) -> dict[str, Any]:
    return _batch_or_404(hub, principal, batch_id)


@router.get("/{batch_id}/events", responses=error_responses(401, 403, 404),
            response_class=StreamingResponse,
            summary="The batch's progress as server-sent events, until it is done")
async def batch_events(principal: BatchReadKey, hub: HubDep, batch_id: str
                       ) -> StreamingResponse:
    """``event: progress`` with the ``GET /v1/batches/{id}`` JSON each time it changes, then
    ``event: done`` with the last one, and the stream ends."""
    first = await run_in_threadpool(_batch_or_404, hub, principal, batch_id)

    async def events() -> AsyncIterator[str]:
        current, last = first, None
        while True:
            if current != last:
                kind = "done" if current["status"] == "done" else "progress"
                yield f"event: {kind}\ndata: {json.dumps(current, ensure_ascii=False)}\n\n"
                if kind == "done":
                    return
                last = current
            await asyncio.sleep(EVENT_INTERVAL)
            current = await run_in_threadpool(_batch_or_404, hub, principal, batch_id)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
