"""The record model in one place: what a record is called, what it says about itself, its manifest.

* ``RecordInfo``: what the caller knows before a document is processed (dossier, procedure,
  owner, title); ``process.record_info`` makes it, ``process.make_record`` settles the owner.
* ``RecordMeta``: what the PDF/A says about itself (XMP metadata, QR code, conversion mark).
* ``Manifest``: the JSON that travels beside the PDF (docs/architecture.md §5, a contract):
  ``export()`` gives exactly the dict that is archived and written by ``sohoa process``, key
  order included, and ``from_json`` reads it back, so a stage that needs the owner or the
  document type reads a typed field, not a string key.
* ``ERecord``: one signed record, its PDF and its manifest.

Everything here is plain data, with no PDF or signing library: the workers' archive stage reads
a manifest without loading them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as fields_of
from datetime import datetime
from typing import Any

MANIFEST_VERSION = 1
UNKNOWN = "chưa xác định"
"""What the QR code and manifest say for an identifier the caller did not give."""
PDFA_FLAVOUR = "3b"
"""The PDF/A conformance the record claims (3b: PDF/A-3 allows the attached extraction)."""

Json = dict[str, Any]


@dataclass(frozen=True)
class RecordInfo:
    """What the caller knows about a document before it is processed."""

    dossier_code: str
    procedure_code: str = UNKNOWN
    owner_id_number: str = UNKNOWN
    title: str = "Tài liệu số hóa"


@dataclass(frozen=True)
class RecordMeta:
    """What an e-record says about itself: in its metadata, its QR code and its conversion mark.

    Every text is stored in NFC, stripped of surrounding blanks, and must not be empty: a record
    without one of them could not be identified or would carry an incomplete legal mark.
    """

    title: str
    """Document name (tên giấy tờ), e.g. "Giấy khai sinh"."""
    dossier_code: str
    """Mã hồ sơ."""
    procedure_code: str
    """Mã thủ tục hành chính (mã TTHC)."""
    owner_id_number: str
    """The owner's personal ID number (số định danh cá nhân)."""
    system_name: str
    """The information system issuing the e-copy."""
    converting_unit: str
    """Đơn vị chuyển đổi: the agency or unit that converted the paper document."""
    converted_at: datetime
    """Conversion (issue) time; must be timezone-aware. Shown to people in Vietnam time."""
    language: str = "vi"
    record_id: str | None = None
    """The e-record's id, decided before the PDF is built: the QR code carries it."""
    verify_url: str | None = None
    """``SOHOA_PUBLIC_URL/v/{record_id}``: where the QR code leads (the public verification page)."""

    def __post_init__(self) -> None:
        for item in fields_of(self):
            value = getattr(self, item.name)
            if isinstance(value, str):
                value = unicodedata.normalize("NFC", value).strip()
                if not value:
                    raise ValueError(f"RecordMeta.{item.name} must not be empty")
                object.__setattr__(self, item.name, value)
        if self.converted_at.tzinfo is None or self.converted_at.utcoffset() is None:
            raise ValueError("RecordMeta.converted_at must be timezone-aware")


@dataclass(frozen=True)
class SourceFacts:
    """The upload as received: the raw bucket keeps it under this sha256."""

    filename: str
    media_type: str
    size: int
    sha256: str
    pages: int

    def export(self) -> Json:
        return {"filename": self.filename, "media_type": self.media_type, "size": self.size,
                "sha256": self.sha256, "pages": self.pages}


@dataclass(frozen=True)
class PdfFacts:
    """The signed PDF: its hash is what catches a change after the last signature."""

    sha256: str
    size: int
    pdfa: str = PDFA_FLAVOUR

    def export(self) -> Json:
        return {"sha256": self.sha256, "size": self.size, "pdfa": self.pdfa}


@dataclass(frozen=True)
class PageQuality:
    """One page's scan quality as clean-up measured it (issue codes of ``QualityIssue``)."""

    page: int
    dpi: int
    color: bool
    issues: tuple[str, ...] = ()

    def export(self) -> Json:
        return {"page": self.page, "dpi": self.dpi, "color": self.color,
                "issues": list(self.issues)}


@dataclass(frozen=True)
class SignatureFacts:
    """One of the record's two signatures: ``digitizer`` or ``agency``, and who signed."""

    role: str
    subject: str

    def export(self) -> Json:
        return {"role": self.role, "subject": self.subject}


@dataclass(frozen=True)
class Manifest:
    """The manifest of one record (docs/architecture.md §5). Field order is the JSON key order.

    ``fields`` and ``approval`` stay JSON: they are ``Extraction.export()``'s fields and
    ``pipeline.review``'s approval, already typed where they are made."""

    record_id: str
    dossier_code: str
    procedure_code: str
    owner_id_number: str
    document_type: str
    title: str
    fields: Json
    approval: Json | None
    source: SourceFacts
    pdf: PdfFacts
    quality: tuple[PageQuality, ...]
    signatures: tuple[SignatureFacts, ...]
    sign_level: str
    converted_at: datetime
    converting_unit: str
    system: str
    software: dict[str, str]
    models: dict[str, str] = field(default_factory=dict)
    manifest_version: int = MANIFEST_VERSION

    def export(self) -> Json:
        """The manifest as JSON data, keys in the order of the contract."""
        return {
            "manifest_version": self.manifest_version,
            "record_id": self.record_id,
            "dossier_code": self.dossier_code,
            "procedure_code": self.procedure_code,
            "owner_id_number": self.owner_id_number,
            "document_type": self.document_type,
            "title": self.title,
            "fields": self.fields,
            "approval": self.approval,
            "source": self.source.export(),
            "pdf": self.pdf.export(),
            "quality": [page.export() for page in self.quality],
            "signatures": [signature.export() for signature in self.signatures],
            "sign_level": self.sign_level,
            "converted_at": self.converted_at.isoformat(timespec="seconds"),
            "converting_unit": self.converting_unit,
            "system": self.system,
            "software": dict(self.software),
            "models": dict(self.models),
        }

    def to_json(self) -> bytes:
        """The bytes that are archived (and hashed into the index) and that ``sohoa process``
        writes: UTF-8, Vietnamese unescaped, indented by two."""
        return json.dumps(self.export(), ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> Manifest:
        """A manifest from its JSON text or data, as ``export`` wrote it. Raises ``ValueError``
        on anything else: these bytes come from our own archive, so a gap is a bug, not input."""
        raw = json.loads(data) if isinstance(data, (bytes, str)) else data
        try:
            if raw["manifest_version"] != MANIFEST_VERSION:
                raise ValueError(f"manifest version {raw['manifest_version']!r} is not "
                                 f"{MANIFEST_VERSION}")
            return cls(
                record_id=raw["record_id"], dossier_code=raw["dossier_code"],
                procedure_code=raw["procedure_code"], owner_id_number=raw["owner_id_number"],
                document_type=raw["document_type"], title=raw["title"], fields=raw["fields"],
                approval=raw["approval"], source=SourceFacts(**raw["source"]),
                pdf=PdfFacts(**raw["pdf"]),
                quality=tuple(PageQuality(p["page"], p["dpi"], p["color"], tuple(p["issues"]))
                              for p in raw["quality"]),
                signatures=tuple(SignatureFacts(**s) for s in raw["signatures"]),
                sign_level=raw["sign_level"],
                converted_at=datetime.fromisoformat(raw["converted_at"]),
                converting_unit=raw["converting_unit"], system=raw["system"],
                software=dict(raw["software"]), models=dict(raw["models"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a record manifest: {type(exc).__name__} {exc}") from exc


@dataclass(frozen=True)
class ERecord:
    """One signed e-record: the PDF/A with its two signatures, and the manifest describing it."""

    record_id: str
    pdf: bytes
    manifest: Manifest
