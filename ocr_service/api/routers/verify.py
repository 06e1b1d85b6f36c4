"""``POST /v1/verify``: is this file a valid e-record, and is it the one the archive holds?

Three answers in one: the signatures (``verify_pdf``, against this installation's trust roots),
the file against a manifest when one is sent, and the agency's archived record with exactly these
bytes (found by the PDF's sha256), with its state: a revoked record is not valid however sound its
signatures are.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse

from ...config import Settings
from ...errors import InputError, SohoaError
from ...pipeline.intake import PDF, detect_type
from ...pipeline.record import manifest_reasons
from ...pipeline.verify import verify_pdf
from ...signers import trust_roots
from ...store import repo
from ...store.audit import append_event
from ...store.index import RecordState
from ...store.objects import sha256_hex
from ..auth import AnyKey
from ..deps import HubDep, SettingsDep
from ..idempotency import IdempotencyDep
from ..schemas import VerifyResponse, error_responses
from ..uploads import read_limited

router = APIRouter(prefix="/v1", tags=["verify"])

REVOKED = {"message": "The archive holds this record as revoked.",
           "message_vi": "Hồ sơ điện tử này đã bị thu hồi trong kho lưu trữ."}


@router.post("/verify", response_model=VerifyResponse,
             responses=error_responses(400, 401, 409, 413, 415, 422),
             summary="Check an e-record's signatures, its manifest and its archived copy")
def verify(
    file: Annotated[UploadFile, File(description="The signed PDF")],
    principal: AnyKey, hub: HubDep, settings: SettingsDep, idempotency: IdempotencyDep,
    manifest: Annotated[UploadFile | None, File(description=(
        "The record's manifest JSON, to check the file against it"))] = None,
) -> JSONResponse:
    """Changes nothing but the audit trail (a matched record's check is audited). Any key's role
    may call it."""
    pdf = read_limited(file, settings.max_upload_bytes)
    if detect_type(pdf, file.filename or "upload") != PDF:
        raise InputError("An e-record is a PDF; this file is not one.",
                         "Hồ sơ điện tử là tệp PDF; tệp này không phải PDF.",
                         code="unsupported_type")
    stated = _manifest(manifest, settings) if manifest else None
    digest = sha256_hex(pdf)
    fingerprint = idempotency.fingerprint({"sha256": digest, "manifest": stated})
    if (replayed := idempotency.replay(fingerprint)) is not None:
        return replayed
    report = verify_pdf(pdf, trust_roots(settings))
    problems = manifest_reasons(pdf, stated) if stated is not None else []
    with hub.index.session() as session:
        record = repo.find_record_by_pdf(session, principal.agency_id, digest)
        archived = None
        if record is not None:
            archived = {"record_id": str(record.id), "state": record.state}
            append_event(session, principal.agency_id, "record.verified",
                         actor_key_id=principal.key_id, subject_type="record",
                         subject_id=record.id, details={"valid": report.valid})
    revoked = archived is not None and archived["state"] == RecordState.REVOKED
    body = report.as_dict()
    reasons = body["reasons"] + ([REVOKED] if revoked else [])
    return idempotency.remember(fingerprint, 200, {
        "valid": report.valid and not problems and not revoked, "sha256": digest,
        "signatures": body["signatures"], "reasons": reasons,
        "manifest_checked": stated is not None,
        "manifest_reasons": [asdict(p) for p in problems], "archived": archived,
    })


def _manifest(upload: UploadFile, settings: Settings) -> dict[str, Any]:
    try:
        value = json.loads(read_limited(upload, settings.max_upload_bytes))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_manifest(str(exc)) from exc
    if not isinstance(value, dict):
        raise _bad_manifest("not a JSON object")
    return value


def _bad_manifest(detail: str) -> SohoaError:
    return InputError(f"The manifest is not valid JSON: {detail}.",
                      f"Bản kê không phải JSON hợp lệ: {detail}.", code="bad_manifest")
