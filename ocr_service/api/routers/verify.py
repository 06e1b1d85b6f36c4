"""``POST /v1/verify``: is this file a valid e-record, and is it the one the archive holds?

Three answers in one: the signatures (``verify_pdf``, against this installation's trust roots),
the file against a manifest when one is sent, and the archived record with exactly these bytes
(found by the PDF's sha256), with its state: a revoked or superseded record is not valid however
sound its signatures are. The record is looked up in every agency, not only the caller's: a
record revoked by the agency that made it must not verify as valid for the agency it was sent
to. What is said of another agency's record is only what the file itself shows (its id is in
its QR code) and its state; no owner, type or content.

The answer is never replayed from idempotency storage, even with an ``Idempotency-Key``: it
changes nothing, and a stored "valid" would outlive a revocation.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ...config import Settings
from ...errors import InputError, SohoaError
from ...pipeline.intake import PDF, detect_type
from ...pipeline.record import manifest_reasons
from ...pipeline.verify import verify_pdf
from ...signers import trust_roots
from ...store import repo
from ...store.audit import append_event
from ...store.index import Record, RecordState
from ...store.objects import sha256_hex
from ..auth import AnyKey, ApiKeyPrincipal
from ..deps import HubDep, SettingsDep
from ..schemas import VerifyResponse, error_responses
from ..uploads import read_limited

router = APIRouter(prefix="/v1", tags=["verify"])

NOT_VALID = {
    RecordState.REVOKED: {"message": "The archive holds this record as revoked.",
                          "message_vi": "Hồ sơ điện tử này đã bị thu hồi trong kho lưu trữ."},
    RecordState.SUPERSEDED: {
        "message": "The archive holds this record as superseded by a corrected record.",
        "message_vi": "Hồ sơ điện tử này đã được thay thế bằng một bản đã đính chính."},
}
MANIFEST_NESTING = 32
"""A manifest is a few levels deep; anything much deeper is refused before it is parsed."""


@router.post("/verify", response_model=VerifyResponse,
             responses=error_responses(400, 401, 409, 413, 415, 422),
             summary="Check an e-record's signatures, its manifest and its archived copy")
def verify(
    file: Annotated[UploadFile, File(description="The signed PDF")],
    principal: AnyKey, hub: HubDep, settings: SettingsDep,
    manifest: Annotated[UploadFile | None, File(description=(
        "The record's manifest JSON, to check the file against it"))] = None,
) -> JSONResponse:
    """Changes nothing but the audit trail (a matched record's check is audited in the trail of
    the agency that holds it). Any key's role may call it; ``Idempotency-Key`` is not used."""
    pdf = read_limited(file, settings.max_upload_bytes)
    if detect_type(pdf, file.filename or "upload") != PDF:
        raise InputError("An e-record is a PDF; this file is not one.",
                         "Hồ sơ điện tử là tệp PDF; tệp này không phải PDF.",
                         code="unsupported_type")
    stated = _manifest(manifest, settings) if manifest else None
    digest = sha256_hex(pdf)
    report = verify_pdf(pdf, trust_roots(settings))
    problems = manifest_reasons(pdf, stated) if stated is not None else []
    with hub.index.session() as session:
        record = repo.find_archived_pdf(session, digest, prefer_agency=principal.agency_id)
        if record is not None:
            _audit_check(session, record, principal, report.valid)
    archived = _archived(record)
    state_reason = NOT_VALID.get(record.state) if record is not None else None
    body = report.as_dict()
    reasons = body["reasons"] + ([state_reason] if state_reason else [])
    return JSONResponse({
        "valid": report.valid and not problems and state_reason is None, "sha256": digest,
        "signatures": body["signatures"], "reasons": reasons,
        "manifest_checked": stated is not None,
        "manifest_reasons": [asdict(p) for p in problems], "archived": archived,
    })


def _archived(record: Record | None) -> dict[str, Any] | None:
    """What any agency may learn of an archived record: its id (printed in the file's QR code)
    and its state; never its owner, type or content."""
    if record is None:
        return None
    superseded_by = getattr(record, "superseded_by", None)
    return {"record_id": str(record.id), "state": record.state,
            "superseded_by": str(superseded_by) if superseded_by else None}


def _audit_check(session: Session, record: Record, principal: ApiKeyPrincipal,
                 valid: bool) -> None:
    """The check goes into the holding agency's trail; a caller of another agency is named by
    its agency code only (its key belongs to another agency's trail)."""
    own = record.agency_id == principal.agency_id
    details: dict[str, Any] = {"valid": valid}
    if not own:
        details["by_agency"] = principal.agency_code
    append_event(session, record.agency_id, "record.verified",
                 actor_key_id=principal.key_id if own else None, subject_type="record",
                 subject_id=record.id, details=details)


def _manifest(upload: UploadFile, settings: Settings) -> dict[str, Any]:
    """The manifest as a JSON object whose ``pdf.sha256`` is a string; anything else is the
    caller's mistake (422 ``bad_manifest``), never a crash further on."""
    data = read_limited(upload, settings.max_request_bytes)
    if _nesting(data) > MANIFEST_NESTING:
        raise _bad_manifest(f"nested deeper than {MANIFEST_NESTING} levels")
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad_manifest(str(exc)) from exc
    if not isinstance(value, dict):
        raise _bad_manifest("not a JSON object")
    pdf = value.get("pdf")
    if not isinstance(pdf, dict) or not isinstance(pdf.get("sha256"), str):
        raise _bad_manifest('no "pdf": {"sha256": "…"} in it')
    return value


def _nesting(data: bytes) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings count too, which
    only overestimates): checked before parsing, which recurses."""
    depth = deepest = 0
    for byte in data.translate(None, delete=bytes(set(range(256)) - set(b"[]{}"))):
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _bad_manifest(detail: str) -> SohoaError:
    return InputError(f"The manifest is not a valid e-record manifest: {detail}.",
                      f"Bản kê không phải bản kê hồ sơ điện tử hợp lệ: {detail}.",
                      code="bad_manifest")
