"""E-records: reuse search, the manifest, the signed PDF, revocation, correction by a new record
(supersede). Every read is audited.

A read is audited after the bytes came back from storage and before they are answered: a failed
read leaves no "read" event, and no record leaves the API without one (if the audit append fails,
the caller gets a 500, not the record).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ...errors import SohoaError
from ...pipeline import review
from ...store import repo
from ...store.audit import append_event
from ...store.index import DocumentStatus, Record, RecordState
from ..auth import AdminKey, ApiKeyPrincipal, RecordKey, ReviewKey
from ..deps import HubDep, RecordId, ServiceHub, SubmitDep, hand_over
from ..idempotency import IdempotencyDep
from ..schemas import (
    MANIFEST_EXAMPLE,
    RecordList,
    RecordOut,
    RecordRevoke,
    SupersedeAccepted,
    SupersedeBody,
    error_responses,
)
from .documents import RECORD_PROGRESS, correct_draft, correction_out

router = APIRouter(prefix="/v1/records", tags=["records"])


def masked(id_number: str) -> str:
    """An ID number as it may appear in logs and audit details: its last 4 characters."""
    return "*" * max(0, len(id_number) - 4) + id_number[-4:]


@router.get("", response_model=RecordList, responses=error_responses(401, 403, 422),
            summary="Reuse search: a citizen's valid e-records, by ID number and document type")
def search_records(
    principal: RecordKey, hub: HubDep,
    owner_id: Annotated[str, Query(min_length=1, max_length=32, description=(
        "The owner's personal ID number"), examples=["001187012345"])],
    doc_type: Annotated[str | None, Query(max_length=64, description=(
        "Document (form) type, e.g. cccd; all types when absent"), examples=["cccd"])] = None,
) -> RecordList:
    """Only this agency's records in state ``valid``, newest first."""
    with hub.index.session() as session:
        records = repo.find_records(session, principal.agency_id, owner_id, doc_type)
        append_event(session, principal.agency_id, "record.searched",
                     actor_key_id=principal.key_id, subject_type="record",
                     details={"owner": masked(owner_id), "doc_type": doc_type,
                              "found": [str(r.id) for r in records]})
        return RecordList(items=[_record_out(r) for r in records])


@router.get("/{record_id}", responses={
    200: {"description": "The manifest JSON, byte for byte as archived",
          "content": {"application/json": {"example": MANIFEST_EXAMPLE}}},
    **error_responses(401, 403, 404)}, summary="An e-record's manifest")
def get_manifest(principal: RecordKey, record_id: RecordId, hub: HubDep) -> Response:
    """The archived manifest, unchanged (its sha256 is the record's ``manifest_sha256``)."""
    record = _record(hub, principal, record_id)
    data = hub.store.get_record_manifest(str(record.id), version_id=record.manifest_version_id)
    _audit_read(hub, principal, record, "manifest")
    return Response(data, media_type="application/json", headers=_headers(record))


@router.get("/{record_id}/pdf", response_class=Response, responses={
    200: {"description": "The signed PDF/A", "content": {"application/pdf": {}}},
    **error_responses(401, 403, 404)}, summary="An e-record's signed PDF")
def get_pdf(principal: RecordKey, record_id: RecordId, hub: HubDep) -> Response:
    record = _record(hub, principal, record_id)
    data = hub.store.get_record_pdf(str(record.id), version_id=record.pdf_version_id)
    _audit_read(hub, principal, record, "pdf")
    headers = {**_headers(record), "Content-Disposition": f'attachment; filename="{record.id}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.post("/{record_id}/revoke", response_model=RecordOut,
             responses=error_responses(400, 401, 403, 404, 409, 422),
             summary="Withdraw an e-record: legal hold in the archive, state revoked, kept")
def revoke_record(body: RecordRevoke, principal: AdminKey, record_id: RecordId, hub: HubDep,
                  idempotency: IdempotencyDep) -> Response:
    """A revoked record is never deleted (it is under COMPLIANCE retention anyway): its objects
    get a legal hold first, then the index marks it revoked, so reuse search no longer offers
    it and verification reports it as not valid. Revoking twice changes nothing."""
    record = _record(hub, principal, record_id)
    fingerprint = idempotency.fingerprint({"record": str(record.id), **body.model_dump()})
    if (replayed := idempotency.replay(fingerprint)) is not None:
        return replayed  # a replay, or a 409 for another request: storage is left alone
    hub.store.revoke(str(record.id))

    def revoke(session: Session) -> dict[str, Any]:
        revoked = repo.revoke_record(session, principal.agency_id, record.id,
                                     reason=body.reason, actor_key_id=principal.key_id)
        return _record_out(revoked).model_dump()

    return idempotency.create(fingerprint, 200, revoke)


@router.post("/{record_id}/supersede", status_code=202, response_model=SupersedeAccepted,
             responses=error_responses(400, 401, 403, 404, 409, 422, 503),
             summary="Correct an archived record: a new signed record replaces it")
def supersede_record(body: SupersedeBody, principal: ReviewKey, record_id: RecordId,
                     hub: HubDep, submit: SubmitDep, idempotency: IdempotencyDep) -> Response:
    """Records are WORM: a wrong field is corrected by a new record, made from the same scan
    with the corrected fields (checked as in review; still-flagged fields must be named in
    ``accept_flagged``) and signed with the corrector as approver. Once it is archived, the old
    record is under legal hold, ``superseded``, out of reuse search, and ``/v1/verify`` names
    the new one. Follow the document until ``archived``; its ``record_id`` is then the new one."""

    def start(session: Session) -> dict[str, Any]:
        record = repo.get_record(session, principal.agency_id, record_id)
        if record is None:
            raise repo.NotFound("record", "hồ sơ điện tử")
        if record.state != RecordState.VALID:
            raise RecordNotValid(record.state)
        document = repo.document_for_change(session, principal.agency_id, record.document_id,
                                            DocumentStatus.ARCHIVED)
        if document.record_id != record.id or document.extraction is None:
            raise RecordNotValid("superseded")
        # One transaction: a refused correction or approval below changes nothing here.
        repo.run_again(session, principal.agency_id, document, status=DocumentStatus.PROCESSING,
                       stage="record", actor=principal.actor(), actor_key_id=principal.key_id,
                       note=f"supersede {record.id}: {body.reason}")
        corrected, made = correct_draft(session, principal, document, body.fields)
        accepted = review.check_approval(corrected, body.accept_flagged)
        document.approval = review.approval(
            principal.actor(), repo.utcnow(), accepted,
            [correction_out(c) for c in made], supersedes=str(record.id), reason=body.reason)
        document.supersedes_id, document.progress = record.id, RECORD_PROGRESS
        append_event(session, principal.agency_id, "record.supersede_requested",
                     actor_key_id=principal.key_id, subject_type="record", subject_id=record.id,
                     details={"document_id": str(document.id), "reason": body.reason,
                              "fields": [c.field for c in made]})
        return SupersedeAccepted(document_id=str(document.id), status=document.status,
                                 supersedes=str(record.id)).model_dump()

    answer = idempotency.create(idempotency.fingerprint(
        {"record": str(record_id), **body.model_dump()}), 202, start)
    hand_over(submit, hub.index, json.loads(answer.body)["document_id"])
    return answer


class RecordNotValid(SohoaError):
    code = "wrong_status"

    def __init__(self, state: str) -> None:
        super().__init__(f"The record is {state}; only a valid record can be superseded.",
                         f"Hồ sơ điện tử đang ở trạng thái {state}; chỉ hồ sơ còn hiệu lực mới "
                         "được thay thế.")


def _record(hub: ServiceHub, principal: ApiKeyPrincipal, record_id: uuid.UUID) -> Record:
    with hub.index.session() as session:
        record = repo.get_record(session, principal.agency_id, record_id)
    if record is None:
        raise repo.NotFound("record", "hồ sơ điện tử")
    return record


def _audit_read(hub: ServiceHub, principal: ApiKeyPrincipal, record: Record, part: str) -> None:
    with hub.index.session() as session:
        append_event(session, principal.agency_id, "record.read", actor_key_id=principal.key_id,
                     subject_type="record", subject_id=record.id, details={"part": part})


def _headers(record: Record) -> dict[str, str]:
    return {"X-Record-State": record.state}


def _record_out(record: Record) -> RecordOut:
    return RecordOut(
        id=str(record.id), document_id=str(record.document_id), doc_type=record.doc_type,
        owner_id_number=record.owner_id_number, state=record.state,
        superseded_by=str(record.superseded_by) if record.superseded_by else None,
        created_at=record.created_at.isoformat(), pdf_sha256=record.pdf_sha256,
        manifest_sha256=record.manifest_sha256, manifest_url=f"{router.prefix}/{record.id}",
        pdf_url=f"{router.prefix}/{record.id}/pdf")
