"""E-records: one document's signed, searchable PDF/A and the manifest that describes it.

The manifest travels beside the PDF (in the archive, and from ``sohoa process``): it names the
record, its dossier (mã hồ sơ) and procedure (mã TTHC), its owner, the document type and fields,
the hash of every object (the upload as received and the signed PDF), the signers, the times, and
the software and model versions that produced it, so a record can be checked and reproduced
without opening the PDF. The document type and fields come from the field extraction the
caller passes (the workers do); without one a document is of type ``unknown``. The extraction
attachment carries the fields and every page's OCR text either way.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..config import Settings
from ..domain import Document, Extraction, PageImage, PageText
from .pdfa import RecordMeta, build_pdfa, first_page_marks, page_size_points
from .sign import (
    MARGIN, RecordSigning, agency_text, digitizer_text, sign_record, signer_name, text_box_size,
)
from .verify import Reason

MANIFEST_VERSION = 1
EXTRACTION_ATTACHMENT = "extraction.json"
GAP = 4.0
"""Points between the marks and the signature boxes, and between stacked boxes."""
UNKNOWN = "chưa xác định"
"""What the QR code and manifest say for an identifier the caller did not give."""


@dataclass(frozen=True)
class RecordInfo:
    """What the caller knows about a document before it is processed."""

    dossier_code: str
    procedure_code: str = UNKNOWN
    owner_id_number: str = UNKNOWN
    title: str = "Tài liệu số hóa"


@dataclass(frozen=True)
class ERecord:
    record_id: str
    pdf: bytes
    manifest: dict[str, Any]


def new_dossier_code(now: datetime | None = None) -> str:
    """A mã hồ sơ for documents processed outside a dossier: date and a random suffix."""
    now = now or datetime.now(UTC)
    return f"SH-{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def extraction_of(texts: list[PageText], extraction: Extraction | None = None,
                  review: dict[str, Any] | None = None) -> dict[str, Any]:
    """The extraction JSON (DESIGN §6) with every page's text; without an ``extraction`` the
    document's form type is ``unknown`` and it has no fields. ``review`` (the person's approval:
    who, when, the corrections with the OCR readings) is kept beside the approved fields."""
    found = extraction.export() if extraction is not None else {"form_type": "unknown",
                                                                "fields": {}}
    reviewed = {"approval": review} if review is not None else {}
    return {**found, **reviewed, "pages": [t.export() for t in texts]}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_record(
    document: Document,
    pages: list[PageImage],
    texts: list[PageText],
    info: RecordInfo,
    signing: RecordSigning,
    settings: Settings,
    *,
    models: dict[str, str] | None = None,
    now: datetime | None = None,
    extraction: Extraction | None = None,
    record_id: str | None = None,
    review: dict[str, Any] | None = None,
) -> ERecord:
    """Make the signed PDF/A of cleaned ``pages`` with their ``texts``, and its manifest.

    ``extraction`` gives the form type and fields (else ``unknown``); ``record_id`` lets a caller
    that may run twice (a retried worker task) name the record the same way each time;
    ``review`` (``pipeline.review``: approved by whom and when, corrections) goes into the
    manifest and the attached extraction, or None when no person reviewed the document."""
    now = now or datetime.now(UTC)
    meta = RecordMeta(
        title=info.title, dossier_code=info.dossier_code, procedure_code=info.procedure_code,
        owner_id_number=info.owner_id_number, system_name=settings.system_name,
        converting_unit=settings.converting_unit, converted_at=now,
    )
    extraction_json = extraction_of(texts, extraction, review)
    attachment = json.dumps(extraction_json, ensure_ascii=False, indent=1).encode("utf-8")
    pdf = build_pdfa(pages, texts, meta, {EXTRACTION_ATTACHMENT: attachment})
    marks_bottom = first_page_marks(pages, texts, meta).bounds[3]
    signing = _place_signatures(signing, page_size_points(pages[0])[0], marks_bottom, now)
    signed = sign_record(pdf, signing, when=now)
    record_id = record_id or str(uuid.uuid4())
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "record_id": record_id,
        "dossier_code": meta.dossier_code,
        "procedure_code": meta.procedure_code,
        "owner_id_number": meta.owner_id_number,
        "document_type": extraction_json["form_type"],
        "title": meta.title,
        "fields": extraction_json["fields"],
        "approval": review,
        "source": {
            "filename": document.filename, "media_type": document.media_type,
            "size": document.size, "sha256": document.sha256, "pages": len(document.pages),
        },
        "pdf": {"sha256": sha256(signed), "size": len(signed), "pdfa": "3b"},
        "quality": [
            {"page": p.number, "dpi": round(p.dpi), "color": p.color,
             "issues": [i.code for i in (p.quality.issues if p.quality else ())]}
            for p in pages
        ],
        "signatures": [
            {"role": "digitizer", "subject": signer_name(signing.digitizer)},
            {"role": "agency", "subject": signer_name(signing.agency)},
        ],
        "sign_level": signing.level,
        "converted_at": now.isoformat(timespec="seconds"),
        "converting_unit": meta.converting_unit,
        "system": meta.system_name,
        "software": {"sohoa": __version__},
        "models": models or {},
    }
    return ERecord(record_id, signed, manifest)


def _place_signatures(
    signing: RecordSigning, page_width: float, marks_bottom: float, when: datetime
) -> RecordSigning:
    """Both signature boxes under the QR code and conversion mark (not over them), the digitizer's
    at the left and the agency's at the right, or under the digitizer's when both do not fit."""
    when = when.astimezone(signing.display_zone)
    font = signing.font_file
    digitizer = text_box_size(digitizer_text(signer_name(signing.digitizer), when), font_file=font)
    agency = text_box_size(agency_text(signing.copy_form, signing.agency_name, when), font_file=font)
    below_marks = max(0.0, marks_bottom + GAP - MARGIN)
    agency_down = below_marks
    if digitizer[0] + agency[0] + 2 * MARGIN + GAP > page_width:
        agency_down += digitizer[1] + GAP
    return replace(signing, digitizer_offset=(0.0, below_marks), agency_offset=(0.0, agency_down))


def manifest_reasons(pdf: bytes, manifest: dict[str, Any]) -> list[Reason]:
    """Why ``pdf`` is not the file ``manifest`` describes (empty when it is)."""
    expected = str(manifest.get("pdf", {}).get("sha256", ""))
    actual = sha256(pdf)
    if actual == expected:
        return []
    return [Reason(
        f"The file's sha256 {actual[:16]}… differs from the manifest's {expected[:16]}….",
        f"Mã băm sha256 của tệp {actual[:16]}… khác với giá trị trong bản kê {expected[:16]}….",
    )]
