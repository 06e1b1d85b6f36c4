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

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..config import Settings
from ..digest import sha256_hex
from ..domain import Extraction, PageImage, PageText, Upload
from .page_layout import RecordLayout
from .pages import page_facts
from .pdfa import build_pdfa, scan_sources
from .records_model import (
    UNKNOWN,
    ERecord,
    Manifest,
    PageQuality,
    PdfFacts,
    RecordInfo,
    RecordMeta,
    SignatureFacts,
    SourceFacts,
)
from .sign import RecordSigning, SignatureBoxes, sign_record, signature_texts, signer_name
from .verify import Reason

EXTRACTION_ATTACHMENT = "extraction.json"
__all__ = ["UNKNOWN", "ERecord", "RecordInfo", "build_record", "manifest_reasons"]

def new_dossier_code(now: datetime | None = None) -> str:
    """A mã hồ sơ for documents processed outside a dossier: date and a random suffix."""
    now = now or datetime.now(UTC)
    return f"SH-{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def extraction_of(texts: Sequence[PageText], extraction: Extraction | None = None,
                  review: dict[str, Any] | None = None) -> dict[str, Any]:
    """The extraction JSON (docs/architecture.md §5) with every page's text; without an ``extraction`` the
    document's form type is ``unknown`` and it has no fields. ``review`` (the person's approval:
    who, when, the corrections with the OCR readings) is kept beside the approved fields."""
    found = extraction.export() if extraction is not None else {"form_type": "unknown",
                                                                "fields": {}}
    reviewed = {"approval": review} if review is not None else {}
    return {**found, **reviewed, "pages": [t.export() for t in texts]}


def verify_url(settings: Settings, record_id: str) -> str:
    """The public verification page of a record (``GET /v/{record_id}``), which its QR code
    holds: printed on paper, it must stay short and need no key."""
    return f"{settings.public_url.rstrip('/')}/v/{record_id}"


def record_meta(info: RecordInfo, settings: Settings, record_id: str, now: datetime) -> RecordMeta:
    """What the record says about itself (metadata, QR code, conversion mark)."""
    return RecordMeta(
        title=info.title, dossier_code=info.dossier_code, procedure_code=info.procedure_code,
        owner_id_number=info.owner_id_number, system_name=settings.system_name,
        converting_unit=settings.converting_unit, converted_at=now, record_id=record_id,
        verify_url=verify_url(settings, record_id),
    )


def build_record(
    document: Upload,
    pages: Sequence[PageImage],
    texts: Sequence[PageText],
    info: RecordInfo,
    signing: RecordSigning,
    settings: Settings,
    *,
    models: dict[str, str] | None = None,
    now: datetime | None = None,
    extraction: Extraction | None = None,
    record_id: str | None = None,
    review: dict[str, Any] | None = None,
    source: bytes | None = None,
) -> ERecord:
    """Make the signed PDF/A of cleaned ``pages`` with their ``texts``, and its manifest.

    ``extraction`` gives the form type and fields (else ``unknown``); ``record_id`` lets a caller
    that may run twice (a retried worker task) name the record the same way each time;
    ``review`` (``pipeline.review``: approved by whom and when, corrections) goes into the
    manifest and the attached extraction, or None when no person reviewed the document.
    ``source`` (the upload's bytes) lets unchanged JPEG pages be embedded as uploaded; without
    it the upload's media type still keeps lossless scans lossless.

    The record id is decided first: the QR code on page 1 carries it and its verification URL."""
    now = now or datetime.now(UTC)
    record_id = record_id or str(uuid.uuid4())
    meta = record_meta(info, settings, record_id, now)
    extraction_json = extraction_of(texts, extraction, review)
    attachment = json.dumps(extraction_json, ensure_ascii=False, indent=1).encode("utf-8")
    texts_shown = signature_texts(signing, now)
    built = build_pdfa(pages, texts, meta, {EXTRACTION_ATTACHMENT: attachment},
                       signatures=(texts_shown.digitizer, texts_shown.agency),
                       sources=scan_sources(source, document.media_type, document.pages))
    signed = sign_record(built.pdf, signing, when=now, boxes=_place_signatures(built.layout))
    manifest = Manifest(
        record_id=record_id, dossier_code=meta.dossier_code, procedure_code=meta.procedure_code,
        owner_id_number=meta.owner_id_number, document_type=extraction_json["form_type"],
        title=meta.title, fields=extraction_json["fields"], approval=review,
        source=SourceFacts(document.filename, document.media_type, document.size,
                           document.sha256, len(document.pages)),
        pdf=PdfFacts(sha256_hex(signed), len(signed)),
        quality=tuple(PageQuality(p.number, round(p.dpi), p.color,
                                  tuple(i.code for i in (p.quality.issues if p.quality else ())))
                      for p in page_facts(pages)),
        signatures=(SignatureFacts("digitizer", signer_name(signing.digitizer)),
                    SignatureFacts("agency", signer_name(signing.agency))),
        sign_level=signing.level, converted_at=now, converting_unit=meta.converting_unit,
        system=meta.system_name, software={"sohoa": __version__}, models=dict(models or {}),
    )
    return ERecord(record_id, signed, manifest)


def _place_signatures(layout: RecordLayout) -> SignatureBoxes:
    """The signature boxes where page 1's band reserved them, with their texts as wrapped there:
    computed once, by the layout, so the signer neither measures nor moves them."""
    band = layout.band
    return SignatureBoxes(layout.pdf_box(band.digitizer.rect), layout.pdf_box(band.agency.rect),
                          digitizer_text=band.digitizer.text, agency_text=band.agency.text)


def manifest_reasons(pdf: bytes, manifest: dict[str, Any]) -> list[Reason]:
    """Why ``pdf`` is not the file ``manifest`` describes (empty when it is)."""
    expected = str(manifest.get("pdf", {}).get("sha256", ""))
    actual = sha256_hex(pdf)
    if actual == expected:
        return []
    return [Reason(
        f"The file's sha256 {actual[:16]}… differs from the manifest's {expected[:16]}….",
        f"Mã băm sha256 của tệp {actual[:16]}… khác với giá trị trong bản kê {expected[:16]}….",
    )]
