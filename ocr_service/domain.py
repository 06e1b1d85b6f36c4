"""Plain data passed between pipeline stages.

Stages are pure functions over these types; none of them knows about HTTP, Celery, S3 or SQL.
Images are numpy arrays in OpenCV's convention: ``uint8``, ``H x W`` (grey) or ``H x W x 3`` (BGR).
All text is Unicode NFC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Self

import numpy as np

if TYPE_CHECKING:
    from .pipeline.pages import PackedReading

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Vietnam's time zone (UTC+7, no daylight saving): every time shown to a person is given in it."""

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
"""Four corners of a text box in page pixels: top-left, top-right, bottom-right, bottom-left."""


def to_quad(box: tuple[float, float, float, float]) -> Quad:
    """The upright quad of an axis-aligned ``x0, y0, x1, y1`` box."""
    x0, y0, x1, y1 = box
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


@dataclass(frozen=True)
class Message:
    """A sentence for a person, in English and in Vietnamese (NFC): the one shape of every
    bilingual explanation the service gives (``verify.Reason``; with a code, ``Notice``)."""

    message: str
    message_vi: str


@dataclass(frozen=True)
class Notice:
    """A ``Message`` with a stable, machine-readable ``code``: JSON ``{"code", "message",
    "message_vi"}``, the shape of the API's errors (``SohoaError.as_dict``) too. Its fields are
    declared in that order (not inherited from ``Message``) so that positional construction
    and the JSON keep it."""

    code: str
    message: str
    message_vi: str

    def export(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "message_vi": self.message_vi}

    @classmethod
    def from_export(cls, data: Mapping[str, str]) -> Self:
        return cls(data["code"], data["message"], data["message_vi"])


@dataclass(frozen=True)
class QualityIssue(Notice):
    """One way a page falls short of Circular 01/2023/TT-VPCP Art. 8 or of readability."""


@dataclass(frozen=True)
class QualityReport:
    """Measured properties of one page image, checked against the digitisation rules."""

    dpi: float
    """Effective resolution of the page image (from the file, or estimated from an A4 page)."""
    dpi_source: str
    """Where ``dpi`` came from: ``"file"`` (metadata / PDF page size) or ``"estimated"``."""
    color: bool
    """True when the image carries colour (not a grey or black-and-white scan)."""
    blur: float
    """Variance of the Laplacian of the grey page; low values mean an out-of-focus scan."""
    contrast: float
    """Spread between dark (text) and light (paper) levels, 0-255."""
    issues: tuple[QualityIssue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class PageImage:
    """One page of a document as pixels, with what is known about how it was scanned."""

    number: int
    """1-based page number within its document."""
    image: np.ndarray
    dpi: float
    dpi_source: str = "file"
    color: bool = True
    rotation: int = 0
    """Clockwise rotation (0, 90, 180, 270) that clean-up applied to make the page upright."""
    skew: float = 0.0
    """Skew angle in degrees that clean-up removed."""
    quality: QualityReport | None = None

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True)
class Upload:
    """An accepted upload: its identity and its pages, in order."""

    filename: str
    media_type: str
    sha256: str
    size: int
    pages: Sequence[PageImage]
    """Decoded when accessed (``pipeline.pages.LazyPages``): iterate, don't copy."""


@dataclass(frozen=True)
class OcrLine:
    """One recognised line of text."""

    text: str
    confidence: float
    box: Quad

    def export(self) -> dict:
        return {
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.box],
        }


@dataclass(frozen=True)
class PageText:
    """The recognised text of one page, lines in reading order."""

    page: int
    width: int
    height: int
    lines: tuple[OcrLine, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def export(self) -> dict:
        return {"page": self.page, "text": self.text, "lines": [ln.export() for ln in self.lines]}


# --- forms and fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewReason(Notice):
    """Why a person should look at an extracted value: a failed check or a doubtful reading.

    ``code`` is stable and machine-readable (``id_number.birth_year``, ``date.impossible``,
    ``mrz.check_digit`` ...); the messages say the same thing in English and Vietnamese.
    """


@dataclass(frozen=True)
class FieldValue:
    """One extracted field: the normalised value, where it was read and how sure we are of it."""

    value: str | None
    """Normalised value (dd/mm/yyyy dates, 12-digit IDs, "Nam"/"Nữ" ...); None when not found."""
    raw: str = ""
    """The text as read, before normalisation."""
    confidence: float = 0.0
    page: int | None = None
    box: Quad | None = None
    reasons: tuple[ReviewReason, ...] = ()

    @property
    def review(self) -> bool:
        """A person must check this value: a check failed or the reading is doubtful."""
        return bool(self.reasons)

    def export(self) -> dict:
        return {
            "value": self.value,
            "raw": self.raw,
            "confidence": round(float(self.confidence), 4),
            "page": self.page,
            "box": None if self.box is None else [[round(x, 1), round(y, 1)] for x, y in self.box],
            "review": self.review,
            "reasons": [reason.export() for reason in self.reasons],
        }

    @classmethod
    def from_export(cls, data: dict) -> FieldValue:
        """The field ``export()`` wrote (a draft kept in the index between review steps)."""
        box = data.get("box")
        return cls(
            value=data.get("value"), raw=data.get("raw", ""),
            confidence=float(data.get("confidence", 0.0)), page=data.get("page"),
            box=None if box is None else tuple((float(x), float(y)) for x, y in box),
            reasons=tuple(ReviewReason.from_export(r) for r in data.get("reasons", ())))


@dataclass(frozen=True)
class Extraction:
    """The fields of one document of a known form type (or ``unknown`` with just its text)."""

    form_type: str
    """A spec's ``form_type`` (``cccd``, ``birth_registration`` ...) or ``"unknown"``."""
    fields: dict[str, FieldValue] = field(default_factory=dict)
    tables: dict[str, tuple[dict[str, FieldValue], ...]] = field(default_factory=dict)
    """Repeated groups (household members): one dict of column values per table row."""
    text: str = ""
    """The recognised text of every page, pages separated by a blank line."""
    classification: float = 0.0
    """How strongly the text matched the chosen form type (title and anchors, 0-2)."""
    reasons: tuple[ReviewReason, ...] = ()
    """Document-level findings (an MRZ whose check digits fail, a QR code that cannot be read)."""
    table_reasons: dict[str, tuple[ReviewReason, ...]] = field(default_factory=dict)
    """Doubts about a whole table, by table name (a form's printed table not found): the table
    is flagged even with no row to carry the flag."""

    def table_review(self, name: str) -> bool:
        """A person must check this table: it is doubtful as a whole, or one of its cells is."""
        return bool(self.table_reasons.get(name)) or any(
            cell.review for row in self.tables.get(name, ()) for cell in row.values())

    @property
    def review(self) -> bool:
        return bool(self.reasons) or any(v.review for v in self.fields.values()) or any(
            self.table_review(name) for name in self.tables)

    def export(self) -> dict:
        """The contract JSON of ``sohoa extract`` and ``POST /v1/extract`` (docs/architecture.md §5)."""
        fields = {name: value.export() for name, value in self.fields.items()}
        for name, rows in self.tables.items():
            cells = [cell for row in rows for cell in row.values() if cell.value is not None]
            fields[name] = {
                "value": [{key: cell.value for key, cell in row.items()} for row in rows],
                "items": [{key: cell.export() for key, cell in row.items()} for row in rows],
                "confidence": round(min((c.confidence for c in cells), default=0.0), 4),
                "page": min((c.page for c in cells if c.page is not None), default=None),
                "review": self.table_review(name),
                "reasons": [reason.export() for reason in self.table_reasons.get(name, ())],
            }
        return {
            "form_type": self.form_type,
            "review": self.review,
            "reasons": [reason.export() for reason in self.reasons],
            "fields": fields,
            "text": self.text,
        }

    @classmethod
    def from_export(cls, data: dict) -> Extraction:
        """The extraction ``export()`` wrote: table fields are those with ``items``."""
        fields, tables, table_reasons = {}, {}, {}
        for name, value in data.get("fields", {}).items():
            if "items" in value:
                tables[name] = tuple({key: FieldValue.from_export(cell) for key, cell in
                                      row.items()} for row in value["items"])
                if value.get("reasons"):
                    table_reasons[name] = tuple(
                        ReviewReason.from_export(r) for r in value["reasons"])
            else:
                fields[name] = FieldValue.from_export(value)
        return cls(data["form_type"], fields, tables, data.get("text", ""),
                   reasons=tuple(ReviewReason.from_export(r) for r in data.get("reasons", ())),
                   table_reasons=table_reasons)


@dataclass(frozen=True)
class Reading:
    """One upload read: intake, clean-up, OCR, classification and extraction (``process.read``).

    Everything a record is made from, before any person looked at it: ``pages`` are the cleaned
    page images, whose pixel coordinates the text and field boxes use."""

    document: Upload
    pages: Sequence[PageImage]
    """The cleaned pages, kept on disk and decoded when accessed (``pipeline.pages``)."""
    texts: tuple[PageText, ...]
    extraction: Extraction
    models: dict[str, str] = field(default_factory=dict)
    """The OCR engine's model versions, for the manifest."""
    packed: PackedReading | None = None
    """The OCR result file that ``pages`` are read from (a worker keeps it in S3), when they
    came from one."""
