"""Review before signing: a document's draft, its page images, corrections, approval, rejection
and reprocessing (docs/architecture.md §3, §5; issue 8).

The pure rules are in ``pipeline.review``; this adapter keeps the draft in the index (each
change in one transaction with its audit event and history) and hands approved documents back to
the workers, which sign and archive them. A document can be changed only in the status the
change needs (409 otherwise), and only by the agency that owns it (404 for any other).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

import cv2
import numpy as np
from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from ...domain import Extraction
from ...errors import InputError
from ...pipeline import review
from ...pipeline.pages import page_png
from ...store import repo
from ...store.audit import append_event
from ...store.index import Document, DocumentStatus
from ...store.objects import sha256_hex
from ..auth import ApiKeyPrincipal, ReviewKey, ReviewReadKey
from ..deps import DocumentId, HubDep, SettingsDep, SubmitDep, hand_over
from ..idempotency import IdempotencyDep
from ..schemas import (
    ApproveBody,
    DocumentDetail,
    DocumentQueue,
    FieldsPatch,
    QueuedDocument,
    RejectBody,
    error_responses,
)
from ..uploads import accept_upload
from .dossiers import document_out

router = APIRouter(prefix="/v1/documents", tags=["review"])

RECORD_PROGRESS = 0.45
"""Progress shown once a person approved: the record stage is next (workers/tasks.py RECORD)."""
MIN_WIDTH, MAX_WIDTH = 64, 4096
"""Bounds of ``?width=`` for a page image (a thumbnail to a full A4 page at 350 dpi)."""


@router.get("", response_model=DocumentQueue, responses=error_responses(401, 403, 422),
            summary="The agency's documents in one status: the review queue by default")
def list_documents(
    principal: ReviewReadKey, hub: HubDep,
    status: Annotated[DocumentStatus, Query()] = DocumentStatus.NEEDS_REVIEW,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DocumentQueue:
    """Oldest change first, so the document that has waited longest is reviewed first."""
    with hub.index.session() as session:
        found = repo.documents_in_status(session, principal.agency_id, status, limit=limit)
        return DocumentQueue(items=[
            QueuedDocument(**document_out(d), dossier_id=str(d.dossier_id),
                           dossier_code=dossier.dossier_code,
                           procedure_code=dossier.procedure_code) for d, dossier in found])


@router.get("/{document_id}", response_model=DocumentDetail,
            responses=error_responses(401, 403, 404),
            summary="A document with its draft fields, page images, corrections and history")
def get_document(principal: ReviewReadKey, document_id: DocumentId, hub: HubDep) -> DocumentDetail:
    with hub.index.session() as session:
        return _detail(session, principal, _document(session, principal, document_id))


@router.get("/{document_id}/pages/{page}", response_class=Response, responses={
    200: {"description": "The cleaned page as PNG, in the coordinates of the field boxes "
                         "(scaled to ``width`` pixels wide when asked)",
          "content": {"image/png": {}}},
    **error_responses(401, 403, 404, 422)}, summary="A page image of a document")
def get_page(principal: ReviewReadKey, document_id: DocumentId, page: int, hub: HubDep,
             width: Annotated[int | None, Query(ge=MIN_WIDTH, le=MAX_WIDTH)] = None) -> Response:
    with hub.index.session() as session:
        key = _document(session, principal, document_id).reading_key
    png = None
    if key:
        with hub.store.open_work_ranges(key) as packed:  # this page only, not the document
            png = page_png(packed, page) if packed is not None else None
    if png is None:
        raise repo.NotFound("page", "trang")
    if width is not None:
        png = _scaled(png, width)
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=300"})


@router.patch("/{document_id}/fields", response_model=DocumentDetail,
              responses=error_responses(400, 401, 403, 404, 409, 422),
              summary="Correct fields of a document waiting for review")
def correct_fields(body: FieldsPatch, principal: ReviewKey, document_id: DocumentId,
                   hub: HubDep) -> DocumentDetail:
    """Each value is normalised and checked as extraction checks what OCR read, so a wrong
    check digit stays flagged with its reasons; a table field (``members``) takes its rows.
    Every change is kept: field, old and new value, what OCR read, who and when."""
    with hub.index.session() as session:
        document = repo.document_for_change(session, principal.agency_id, document_id,
                                            DocumentStatus.NEEDS_REVIEW)
        correct_draft(session, principal, document, body.fields)
        return _detail(session, principal, document)


@router.post("/{document_id}/approve", status_code=202, response_model=DocumentDetail,
             responses=error_responses(400, 401, 403, 404, 409, 422, 503),
             summary="Approve the draft: the record is then made, signed and archived")
def approve(body: ApproveBody, principal: ReviewKey, document_id: DocumentId, hub: HubDep,
            submit: SubmitDep, idempotency: IdempotencyDep) -> JSONResponse:
    """Only from ``needs_review``. Every field still flagged must be named in
    ``accept_flagged`` (the person takes it on), else 409 names them. The record is made from
    the approved fields and names the approver; follow the document until ``archived``."""

    def approve_now(session: Session) -> dict[str, Any]:
        document = repo.document_for_change(session, principal.agency_id, document_id,
                                            DocumentStatus.NEEDS_REVIEW)
        extraction = Extraction.from_export(document.extraction or {"form_type": "unknown"})
        accepted = review.check_approval(extraction, body.accept_flagged)
        made = repo.corrections(session, document.id, document.generation)
        document.approval = review.approval(
            principal.actor(), repo.utcnow(), accepted, [correction_out(c) for c in made])
        repo.set_document_status(session, principal.agency_id, document.id,
                                 DocumentStatus.PROCESSING, stage="record",
                                 progress=RECORD_PROGRESS, actor_key_id=principal.key_id,
                                 actor=principal.actor(), note="approved")
        append_event(session, principal.agency_id, "document.approved",
                     actor_key_id=principal.key_id, subject_type="document",
                     subject_id=document.id,
                     details={"accepted_flagged": accepted, "actor": principal.actor()})
        return _detail(session, principal, document).model_dump()

    answer = idempotency.create(idempotency.fingerprint(
        {"document": str(document_id), **body.model_dump()}), 202, approve_now)
    hand_over(submit, hub.index, document_id)
    return answer


@router.post("/{document_id}/reject", response_model=DocumentDetail,
             responses=error_responses(400, 401, 403, 404, 409, 422),
             summary="Reject a document waiting for review (e.g. a rescan is needed)")
def reject(body: RejectBody, principal: ReviewKey, document_id: DocumentId, hub: HubDep,
           idempotency: IdempotencyDep) -> JSONResponse:
    """The document becomes ``rejected`` with the reason in its history; nothing is signed.
    ``reprocess`` (with a new scan, usually) runs it again."""

    def reject_now(session: Session) -> dict[str, Any]:
        document = repo.document_for_change(session, principal.agency_id, document_id,
                                            DocumentStatus.NEEDS_REVIEW)
        repo.set_document_status(session, principal.agency_id, document.id,
                                 DocumentStatus.REJECTED, actor_key_id=principal.key_id,
                                 actor=principal.actor(), note=body.reason)
        return _detail(session, principal, document).model_dump()

    return idempotency.create(idempotency.fingerprint(
        {"document": str(document_id), **body.model_dump()}), 200, reject_now)


@router.post("/{document_id}/reprocess", status_code=202, response_model=DocumentDetail,
             responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
             summary="Run a failed or rejected document again, optionally with a new scan")
def reprocess(
    principal: ReviewKey, document_id: DocumentId, hub: HubDep, settings: SettingsDep,
    submit: SubmitDep, idempotency: IdempotencyDep,
    file: Annotated[UploadFile | None, File(description="A new scan replacing the old one "
                                                        "(PDF, TIFF, JPEG or PNG)")] = None,
) -> JSONResponse:
    """Same document id, history and corrections kept; the draft and any approval of the
    earlier run are dropped (they belonged to the other scan), and it is queued again."""
    upload = accept_upload(file, settings) if file is not None else None
    fingerprint = idempotency.fingerprint({"document": str(document_id), "sha256": (
        sha256_hex(upload.data) if upload is not None else None)})
    if (replayed := idempotency.replay(fingerprint)) is not None:
        return replayed
    with hub.index.session() as session:  # 404 and 409 before anything is stored
        document = repo.document_for_change(session, principal.agency_id, document_id,
                                            DocumentStatus.FAILED, DocumentStatus.REJECTED)
        dossier_id = document.dossier_id
    raw = None
    if upload is not None:
        raw = hub.store.put_raw(upload.data, agency=principal.agency_code,
                                dossier_id=str(dossier_id), filename=upload.filename,
                                media_type=upload.media_type)
    with hub.index.session() as session:
        document = repo.document_for_change(session, principal.agency_id, document_id,
                                            DocumentStatus.FAILED, DocumentStatus.REJECTED)
        if raw is not None and upload is not None:
            _replace_scan(session, principal.agency_id, document, raw.sha256, raw.key,
                          raw.size, upload.filename, upload.media_type)
        document.extraction = document.approval = document.supersedes_id = None
        document.reading_key = None
        repo.run_again(session, principal.agency_id, document, status=DocumentStatus.QUEUED,
                       stage=None, actor=principal.actor(), actor_key_id=principal.key_id,
                       note="reprocess" + (" (new scan)" if raw is not None else ""))
        answer = _detail(session, principal, document).model_dump()
    hand_over(submit, hub.index, document_id)
    return idempotency.remember(fingerprint, 202, answer)


# --- helpers -------------------------------------------------------------------------------------


class DuplicateScan(InputError):
    code = "duplicate_document"

    def __init__(self) -> None:
        super().__init__(
            "Another document of this dossier has exactly these bytes; upload a different scan.",
            "Một tài liệu khác trong hồ sơ này đã có đúng tệp này; hãy tải lên bản quét khác.")


def _replace_scan(session: Session, agency_id: uuid.UUID, document: Document, sha256: str,
                  key: str, size: int, filename: str, media_type: str) -> None:
    """The document's upload is now the new scan (the old one stays in the raw bucket)."""
    if any(d.sha256 == sha256 and d.id != document.id
           for d in repo.list_documents(session, agency_id, document.dossier_id)):
        raise DuplicateScan()
    document.sha256, document.raw_key, document.size = sha256, key, size
    document.filename, document.media_type = filename, media_type


def _document(session: Session, principal: ApiKeyPrincipal, document_id: uuid.UUID) -> Document:
    document = repo.get_document(session, principal.agency_id, document_id)
    if document is None:
        raise repo.NotFound("document", "tài liệu")
    return document


def correct_draft(session: Session, principal: ApiKeyPrincipal, document: Document,
                  values: dict[str, Any]) -> tuple[Extraction, list[Any]]:
    """A person's ``values`` applied to the document's draft and kept: checked as extraction
    checks OCR (``review.correct``), one ``Correction`` per changed field, audited. Review
    (PATCH) and supersede both correct this way."""
    draft = document.extraction or {}
    corrected, changes = review.correct(Extraction.from_export(draft), values)
    kept = {**corrected.export(), "pages": draft.get("pages", [])}  # page sizes stay
    made = repo.correct_document(session, principal.agency_id, document, kept,
                                 [asdict(change) for change in changes], principal.actor(),
                                 actor_key_id=principal.key_id)
    return corrected, made


def correction_out(correction: Any) -> dict[str, Any]:
    return {"field": correction.field, "old_value": correction.old_value["value"],
            "new_value": correction.new_value["value"], "reading": correction.reading,
            "by": correction.actor, "at": correction.created_at.isoformat(),
            "generation": correction.generation}


def _detail(session: Session, principal: ApiKeyPrincipal, document: Document) -> DocumentDetail:
    draft = document.extraction or {}
    extraction = Extraction.from_export(draft) if draft else None
    base = f"{router.prefix}/{document.id}/pages"
    history = repo.document_history(session, principal.agency_id, document.id)
    return DocumentDetail(
        **document_out(document), dossier_id=str(document.dossier_id),
        generation=document.generation,
        review=bool(extraction and extraction.review),
        reasons=draft.get("reasons", []), fields=draft.get("fields", {}),
        flagged=review.flagged_fields(extraction) if extraction else [],
        pages=[{**size, "image_url": f"{base}/{size['page']}"} for size in draft.get("pages", [])],
        corrections=[correction_out(c) for c in repo.corrections(session, document.id)],
        history=[{"status": e.status, "stage": e.stage, "by": e.actor, "note": e.note,
                  "at": e.created_at.isoformat()} for e in history],
        approval=document.approval)



def _scaled(png: bytes, width: int) -> bytes:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.shape[1] <= width:
        return png
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".png", small)
    return encoded.tobytes() if ok else png
