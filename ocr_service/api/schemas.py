"""Response models of the API, with examples for the OpenAPI page."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Reason(BaseModel):
    code: str
    message: str
    message_vi: str


class FieldOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: Any = Field(description="Normalised value (a list of rows for tables); null if absent")
    confidence: float
    page: int | None
    review: bool
    raw: str | None = None
    box: list[list[float]] | None = None
    reasons: list[Reason] = []


class ExtractResponse(BaseModel):
    form_type: str = Field(examples=["cccd"])
    review: bool
    reasons: list[Reason]
    fields: dict[str, FieldOut]
    text: str

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "form_type": "cccd", "review": False, "reasons": [],
        "fields": {"id_number": {"value": "001090123456", "confidence": 0.98, "page": 1,
                                 "review": False, "raw": "001090123456",
                                 "box": [[410, 212], [720, 212], [720, 246], [410, 246]],
                                 "reasons": []}},
        "text": "CĂN CƯỚC CÔNG DÂN\n...",
    }]})


class ErrorBody(BaseModel):
    code: str
    message: str
    message_vi: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give (all in the one error shape)."""
    return {status: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[status]}
            for status in statuses}


ERROR_DESCRIPTIONS = {
    400: "Bad Idempotency-Key", 401: "Missing, unknown or revoked API key",
    403: "The key's roles do not allow this", 404: "No such object for this agency",
    409: "Idempotency-Key reused for a different request", 413: "File too large",
    415: "Not a PDF, TIFF, JPEG or PNG", 422: "Unreadable, empty or invalid file or request",
    503: "Storage or broker unavailable: retry later",
}


# --- dossiers and documents ----------------------------------------------------------------------

DOSSIER_ID = "3f0c2a9e-8d41-4c62-9b0e-5a7d2c1e4f80"
DOCUMENT_ID = "a8b1d5c2-7e3f-4a09-8c6d-2b9e0f1a3c47"
RECORD_ID = "5d2e8f1a-9c4b-4e7d-a1f3-6b0c8e2d9a15"


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class DossierCreate(BaseModel):
    """A hồ sơ to which documents are then uploaded."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"procedure_code": "1.001193", "applicant_id_number": "001187012345",
         "review": "flagged"}]})

    procedure_code: str = Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$",
                                description="Mã thủ tục hành chính (mã TTHC)")
    applicant_id_number: str = Field(pattern=r"^[0-9A-Za-z]{8,32}$",
                                     description="The applicant's personal ID number (CCCD: 12 "
                                                 "digits) or passport number")
    review: Literal["always", "flagged", "never"] | bool = Field(
        "flagged", description=(
            "Which documents stop at needs_review for a person before anything is signed: "
            "always, flagged (any field or finding flagged; the default) or never. JSON true "
            "and false mean always and never."))
    applicant_name: str | None = Field(
        None, min_length=1, max_length=255, pattern=r"^\S(.*\S)?$",
        description="Họ và tên of the applicant (as on the ID card; stored NFC), printed on the "
                    "receipt and shown masked on the public status page")

    @field_validator("review")
    @classmethod
    def _policy(cls, value: str | bool) -> str:
        if isinstance(value, bool):
            return "always" if value else "never"
        return value


class DossierCreated(BaseModel):
    model_config = _examples({"id": DOSSIER_ID, "dossier_code": "000.00.10.H29-261130-0001"})

    id: str
    dossier_code: str = Field(description="Mã hồ sơ: <mã đơn vị>-<yymmdd>-<số thứ tự>")
    lookup_code: str | None = Field(None, description=(
        "The secret of the public status URL /tra-cuu/{dossier_code}?k={lookup_code}, printed "
        "on the receipt"))
    due_date: str | None = Field(None, description=(
        "Ngày hẹn trả kết quả (YYYY-MM-DD) from the procedure catalogue; null for a procedure "
        "code the catalogue does not list"))


class DocumentAccepted(BaseModel):
    model_config = _examples({"id": DOCUMENT_ID, "status": "queued"})

    id: str
    status: str = Field(description="queued for a new upload; the current status when the same "
                                    "bytes were already uploaded to this dossier")


class DocumentError(BaseModel):
    code: str
    message: str
    message_vi: str | None = None


class DocumentOut(BaseModel):
    id: str
    status: str = Field(description="queued, processing, needs_review, archived, failed or "
                                    "rejected")
    stage: str | None = Field(description="The pipeline stage now running or last run")
    progress: float = Field(ge=0, le=1)
    form_type: str | None
    record_id: str | None
    error: DocumentError | None
    filename: str
    component: str | None
    sha256: str
    size: int
    created_at: str
    updated_at: str


class DossierOut(BaseModel):
    model_config = _examples({
        "id": DOSSIER_ID, "dossier_code": "000.00.10.H29-261130-0001",
        "procedure_code": "1.001193", "review": "flagged",
        "created_at": "2026-11-30T03:20:00+00:00", "due_date": "2026-12-01",
        "applicant_name": "Nguyễn Văn An", "lookup_code": "7KQ4MZP2",
        "documents": [{
            "id": DOCUMENT_ID, "status": "archived", "stage": "archive", "progress": 1.0,
            "form_type": "cccd", "record_id": RECORD_ID, "error": None, "filename": "cccd.pdf",
            "component": "Căn cước công dân", "sha256": "9f86d081884c7d65...", "size": 183204,
            "created_at": "2026-11-30T03:20:05+00:00", "updated_at": "2026-11-30T03:20:14+00:00"}],
    })

    id: str
    dossier_code: str
    procedure_code: str
    review: str = Field(description="The review policy: always, flagged or never")
    created_at: str = Field(description="Also the time received printed on the receipt")
    due_date: str | None = Field(None, description=(
        "Ngày hẹn trả kết quả (YYYY-MM-DD); null for a procedure code the catalogue does not "
        "list"))
    applicant_name: str | None = None
    lookup_code: str = Field(description=(
        "The secret of the public status URL /tra-cuu/{dossier_code}?k={lookup_code}; only "
        "the agency's own keys and staff ever see a dossier"))
    documents: list[DocumentOut]


# --- review --------------------------------------------------------------------------------------

Actor = dict[str, str]
"""``{"kind": "user"|"key", "id", "name"}``: who corrected, approved or rejected."""


class PageOut(BaseModel):
    page: int
    width: int = Field(description="Pixels of the cleaned page: the field boxes' coordinates")
    height: int
    image_url: str


class CorrectionOut(BaseModel):
    field: str
    old_value: Any
    new_value: Any
    reading: str | None = Field(description="What OCR read for the field")
    by: Actor
    at: str
    generation: int


class HistoryOut(BaseModel):
    status: str
    stage: str | None
    by: Actor | None = Field(description="The person or key; null: the system")
    note: str | None
    at: str


class QueuedDocument(DocumentOut):
    dossier_id: str
    dossier_code: str
    procedure_code: str


class DocumentQueue(BaseModel):
    items: list[QueuedDocument]


class DocumentDetail(DocumentOut):
    """A document with its draft: what a person reviews before it is signed."""

    dossier_id: str
    generation: int = Field(description="Runs of this document before this one (reprocess, "
                                        "supersede)")
    review: bool = Field(description="Some field or finding is flagged")
    reasons: list[Reason] = Field(description="Findings about the whole document")
    fields: dict[str, FieldOut] = Field(description="As POST /v1/extract returns them, with a "
                                                    "person's corrections applied")
    flagged: list[str] = Field(description="Fields still flagged: approve must name them in "
                                           "accept_flagged")
    pages: list[PageOut]
    corrections: list[CorrectionOut]
    history: list[HistoryOut]
    approval: dict[str, Any] | None


class FieldsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"fields": {"id_number": "040054826491", "full_name": "NGUYỄN VĂN AN"}},
        {"fields": {"members": [{"full_name": "TRẦN THỊ BÌNH", "date_of_birth": "02/03/1990",
                                 "sex": "Nữ", "id_number": "001190012345"}]}}]})

    fields: dict[str, str | None | list[dict[str, str | None]]] = Field(
        min_length=1, max_length=100,
        description="Field name → corrected text (null clears it); a table field takes its rows")


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept_flagged: list[str] = Field(
        default_factory=list, max_length=200,
        description="Flagged fields the person approves as they are, taking them on")


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500,
                        examples=["Ảnh mờ, cần quét lại / blurred, rescan needed"])


class SupersedeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: dict[str, str | None | list[dict[str, str | None]]] = Field(
        min_length=1, max_length=100, description="The corrected fields, as in PATCH")
    reason: str = Field(min_length=1, max_length=500,
                        examples=["Sai ngày sinh / wrong date of birth"])
    accept_flagged: list[str] = Field(default_factory=list, max_length=200)


class SupersedeAccepted(BaseModel):
    document_id: str
    status: str
    supersedes: str = Field(description="The record being replaced; it becomes superseded once "
                                        "the corrected record is archived")


# --- records -------------------------------------------------------------------------------------


class RecordOut(BaseModel):
    id: str
    document_id: str
    doc_type: str
    owner_id_number: str
    state: str = Field(description="valid, revoked or superseded")
    superseded_by: str | None = Field(None, description="The corrected record replacing it")
    created_at: str
    pdf_sha256: str | None
    manifest_sha256: str
    manifest_url: str
    pdf_url: str


class RecordRevoke(BaseModel):
    """Why a record is withdrawn (kept in the audit trail)."""

    reason: str = Field(min_length=1, max_length=500,
                        examples=["Cấp nhầm cho người khác / issued to the wrong person"])


class RecordList(BaseModel):
    model_config = _examples({"items": [{
        "id": RECORD_ID, "document_id": DOCUMENT_ID, "doc_type": "cccd",
        "owner_id_number": "001187012345", "state": "valid",
        "created_at": "2026-11-30T03:20:14+00:00", "pdf_sha256": "4e07408562bedb8b...",
        "manifest_sha256": "ef2d127de37b942b...", "manifest_url": f"/v1/records/{RECORD_ID}",
        "pdf_url": f"/v1/records/{RECORD_ID}/pdf"}]})

    items: list[RecordOut]


MANIFEST_EXAMPLE = {
    "manifest_version": 1, "record_id": RECORD_ID, "dossier_code": "000.00.10.H29-261130-0001",
    "procedure_code": "1.001193", "owner_id_number": "001187012345", "document_type": "cccd",
    "fields": {}, "pdf": {"sha256": "4e07408562bedb8b...", "size": 544617, "pdfa": "3b"},
    "signatures": [{"role": "digitizer", "subject": "..."}, {"role": "agency", "subject": "..."}],
}


# --- verify and readiness ------------------------------------------------------------------------


class ReasonOut(BaseModel):
    message: str
    message_vi: str


class SignatureOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str
    kind: str
    signer_subject: str
    intact: bool
    trusted: bool
    ok: bool
    reasons: list[ReasonOut]


class ArchivedOut(BaseModel):
    record_id: str
    state: str
    superseded_by: str | None = Field(None, description="The corrected record that replaced "
                                                        "this one (state superseded)")


class VerifyResponse(BaseModel):
    model_config = _examples({
        "valid": True, "sha256": "4e07408562bedb8b...", "signatures": [{
            "field": "Signature1", "kind": "signature", "signer_subject": "...", "intact": True,
            "signature_valid": True, "trusted": True, "timestamp_present": True,
            "timestamp_valid": True, "covers_whole_file": False, "coverage": "entire_revision",
            "ok": True, "reasons": []}],
        "reasons": [], "manifest_checked": True, "manifest_reasons": [],
        "archived": {"record_id": RECORD_ID, "state": "valid"}})

    valid: bool = Field(description="Every signature holds and the file matches the manifest "
                                    "given; a revoked archived record is not valid")
    sha256: str
    signatures: list[SignatureOut]
    reasons: list[ReasonOut]
    manifest_checked: bool
    manifest_reasons: list[ReasonOut]
    archived: ArchivedOut | None = Field(description="This agency's archived record with exactly "
                                                     "these bytes, if there is one")


class ReadyResponse(BaseModel):
    model_config = _examples({"status": "ready", "checks": {
        "database": "ok", "storage": "ok", "broker": "ok", "models": "ok"}})

    status: str
    checks: dict[str, str]
