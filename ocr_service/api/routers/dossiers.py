"""Dossiers and their documents: asynchronous intake (docs/architecture.md §5).

An upload is answered 202 only once its bytes are in the raw bucket (with their sha256) and its
document row is committed: from then on nothing is lost even if the API, the broker or a worker
dies, and the same bytes sent again (a client retrying) are the same document, not a new one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ...store import repo
from ...store.index import Document, DocumentStatus, ReviewPolicy
from ...digest import sha256_hex
from ..auth import ApiKeyPrincipal, DossierKey
from ..deps import DossierId, HubDep, ServiceHub, SettingsDep, SubmitDep, hand_over
from ..idempotency import IdempotencyDep
from ..schemas import (
    DocumentAccepted,
    DossierCreate,
    DossierCreated,
    DossierOut,
    error_responses,
)
from ..uploads import Upload, accept_upload

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/dossiers", tags=["dossiers"])


@router.post("", status_code=201, response_model=DossierCreated,
             responses=error_responses(400, 401, 403, 409, 422),
             summary="Open a dossier (hồ sơ) for one applicant and procedure")
def create_dossier(body: DossierCreate, principal: DossierKey, hub: HubDep,
                   idempotency: IdempotencyDep) -> JSONResponse:
    """Gives the dossier its mã hồ sơ. With ``Idempotency-Key``, a retry gets the same dossier."""

    def create(session: Session) -> dict[str, Any]:
        dossier = repo.create_dossier(session, principal.agency_id, body.procedure_code,
                                      body.applicant_id_number,
                                      review=ReviewPolicy(body.review),
                                      actor_key_id=principal.key_id,
                                      applicant_name=body.applicant_name)
        return DossierCreated(id=str(dossier.id), dossier_code=dossier.dossier_code,
                              lookup_code=dossier.lookup_code,
                              due_date=_day(dossier.due_date)).model_dump()

    return idempotency.create(idempotency.fingerprint(body.model_dump()), 201, create)


@router.post("/{dossier_id}/documents", status_code=202, response_model=DocumentAccepted,
             responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
             summary="Upload one document (scan) to a dossier; processed asynchronously")
def upload_document(
    principal: DossierKey, dossier_id: DossierId,
    file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG; one document")],
    hub: HubDep, settings: SettingsDep, submit: SubmitDep, idempotency: IdempotencyDep,
    component: Annotated[str | None, Form(max_length=255, description=(
        "Thành phần hồ sơ the file is submitted as"), examples=["Căn cước công dân"])] = None,
) -> JSONResponse:
    """Stores the bytes and the document before answering, then queues the document; follow it
    with ``GET /v1/dossiers/{id}``. The same bytes again answer the same document id with its
    current status (and queue it again if it is still queued: processing is idempotent)."""
    upload = accept_upload(file, settings)
    fingerprint = idempotency.fingerprint({
        "sha256": sha256_hex(upload.data), "filename": upload.filename, "component": component})
    if (replayed := idempotency.replay(fingerprint)) is not None:
        return replayed
    with hub.index.session() as session:  # 404 before anything is stored
        if repo.get_dossier(session, principal.agency_id, dossier_id) is None:
            raise repo.NotFound("dossier", "hồ sơ")
    stored = store_document(hub, principal, dossier_id, upload, component)
    if stored.status == DocumentStatus.QUEUED:
        hand_over(submit, hub.index, stored.id)
    log.info("document %s %s (%d bytes)", stored.id,
             "accepted" if stored.created else "re-sent", stored.size)
    answer = DocumentAccepted(id=stored.id, status=stored.status).model_dump()
    return idempotency.remember(fingerprint, 202, answer)


@dataclass(frozen=True)
class StoredDocument:
    id: str
    status: str
    created: bool
    """False: these bytes were already a document of the dossier (the same one is answered)."""
    size: int


def store_document(hub: ServiceHub, principal: ApiKeyPrincipal, dossier_id: uuid.UUID,
                   upload: Upload, component: str | None, *,
                   also: Callable[[Session, Document, bool], None] | None = None,
                   ) -> StoredDocument:
    """Put an accepted upload into the raw bucket, then its document into the index (a clerk's
    upload and each file of a batch alike). ``also`` writes more rows in the document's own
    transaction (a batch's item), so the two are committed together or not at all."""
    raw = hub.store.put_raw(upload.data, agency=principal.agency_code,
                            dossier_id=str(dossier_id), filename=upload.filename,
                            media_type=upload.media_type)
    with hub.index.session() as session:
        document, created = repo.add_document(
            session, principal.agency_id, dossier_id, sha256=raw.sha256,
            filename=upload.filename, media_type=upload.media_type, size=raw.size,
            raw_key=raw.key, component=component, actor_key_id=principal.key_id)
        if also is not None:
            also(session, document, created)
        return StoredDocument(str(document.id), document.status, created, raw.size)


@router.get("/{dossier_id}", response_model=DossierOut,
            responses=error_responses(401, 403, 404),
            summary="A dossier and the status, stage and progress of each document")
def get_dossier(principal: DossierKey, dossier_id: DossierId, hub: HubDep) -> DossierOut:
    with hub.index.session() as session:
        dossier = repo.get_dossier(session, principal.agency_id, dossier_id)
        if dossier is None:
            raise repo.NotFound("dossier", "hồ sơ")
        documents = repo.list_documents(session, principal.agency_id, dossier_id)
        return DossierOut(
            id=str(dossier.id), dossier_code=dossier.dossier_code,
            procedure_code=dossier.procedure_code, review=dossier.review_policy,
            created_at=_iso(dossier.created_at), due_date=_day(dossier.due_date),
            applicant_name=dossier.applicant_name, lookup_code=dossier.lookup_code,
            documents=[document_out(d) for d in documents])


def document_out(document: Document) -> dict[str, Any]:
    """A document's status as the dossier lists it (and ``GET /v1/documents/{id}`` begins)."""
    error = None
    if document.error_code is not None:
        error = {"code": document.error_code, "message": document.error_message or "",
                 "message_vi": document.error_message_vi}
    return {
        "id": str(document.id), "status": document.status, "stage": document.stage,
        "progress": document.progress, "form_type": document.form_type,
        "record_id": str(document.record_id) if document.record_id else None, "error": error,
        "filename": document.filename, "component": document.component,
        "sha256": document.sha256, "size": document.size,
        "created_at": _iso(document.created_at), "updated_at": _iso(document.updated_at),
    }


def _iso(value: datetime) -> str:
    return value.isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
