"""Searchable PDF/A e-records: the page images, an invisible text layer, marks and metadata.

Why it is built the way it is:

* fpdf2 draws and pikepdf finishes. fpdf2 embeds a subset of a TrueType font with a ToUnicode map,
  so the invisible text copies and searches as exactly the NFC text it was given (reportlab's text
  layer drags in an unembedded Helvetica, and Ghostscript garbles TrueType text when it rewrites to
  PDF/A). pikepdf then removes what PDF/A forbids (fpdf2's /OpenAction), attaches files, installs
  the sRGB output intent and the PDF/A identification, writes the XMP metadata and validates the
  bytes it wrote with ``pikepdf.pdfa``: a record that fails is never returned.
* One PDF page per image, sized ``pixels / dpi * 72`` points, so the page prints at the paper's
  real size and the image keeps every scanned pixel: images are never resampled.
* Grey and colour pages are embedded as JPEG at quality 90 with full-resolution chroma (4:4:4): on
  scans that is visually lossless at a fraction of a lossless image's size, and 4:4:4 keeps the
  thin red strokes of seals and signatures sharp. Pages holding only pure black and white (a
  bilevel scan) are embedded as CCITT Group 4: lossless, and far smaller than JPEG, which would
  blur the edges and add grey noise. Grey stays grey and colour stays colour, as scanned.
* The text layer is invisible (render mode 3), one text run per OCR line, sized to the line box's
  height and stretched horizontally (Tz) to its width, so that selecting or searching highlights
  the words on the scan. Text is normalised to NFC first: PDF keeps whatever form it is given.
* The XMP metadata names the document, its language, the converting unit, dates and producer, but
  not the owner's ID number: metadata is harvested by every indexer, so personal data stays in the
  QR code and the attachment, which only a holder of the record reads.
* Attachments (the extraction JSON) are associated files with relationship /Supplement (a
  machine-readable form of what the pages show); PDF/A-2 forbids them, so a record with
  attachments is PDF/A-3b and one without is PDF/A-2b.
"""

from __future__ import annotations

import io
import mimetypes
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import cache
from math import atan2, cos, degrees, hypot, radians, sin
from pathlib import Path

import numpy as np
import pikepdf
import pikepdf.pdfa
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image
from pikepdf.models.metadata import encode_pdf_date

from .. import __version__
from ..domain import VIETNAM_TIME, OcrLine, PageImage, PageText
from ..errors import SohoaError
from .marks import (
    MarkLayout,
    Rect,
    conversion_mark_lines,
    draw_marks,
    layout_marks,
    make_qr,
)

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
"""DejaVu Sans (Debian ``fonts-dejavu-core``): covers every precomposed Vietnamese letter."""
FONT_FAMILY = "sohoa-text"
JPEG_QUALITY = 90
PDF_VERSION = "1.7"
"""PDF/A-2 and -3 are based on PDF 1.7 (ISO 32000-1); Circular 01/2023 asks for PDF 1.4 or later."""
ATTACHMENT_RELATIONSHIP = pikepdf.Name.Supplement


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

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str):
                value = unicodedata.normalize("NFC", value).strip()
                if not value:
                    raise ValueError(f"RecordMeta.{field.name} must not be empty")
                object.__setattr__(self, field.name, value)
        if self.converted_at.tzinfo is None or self.converted_at.utcoffset() is None:
            raise ValueError("RecordMeta.converted_at must be timezone-aware")


class PdfaCheckError(RuntimeError):
    """The built record did not pass ``pikepdf.pdfa`` validation: a bug in the builder, not input."""

    def __init__(self, flavour: str, report: pikepdf.pdfa.Report) -> None:
        super().__init__(f"the e-record is not valid PDF/A-{flavour}: {report.summary()}")
        self.flavour = flavour
        self.report = report


def build_pdfa(
    pages: Sequence[PageImage],
    texts: Sequence[PageText],
    meta: RecordMeta,
    attachments: Mapping[str, bytes] | None = None,
) -> bytes:
    """Build one searchable, validated PDF/A e-record from a document's pages and their OCR text.

    ``texts[i]`` is the OCR of ``pages[i]`` (same page number and pixel size). The QR code and the
    conversion mark go on the first page. Returns PDF/A-3b when ``attachments`` (file name →
    bytes) is non-empty, else PDF/A-2b. Raises ``ValueError`` for inconsistent arguments (a
    caller's bug), :class:`PdfaCheckError` when validation fails and
    :class:`~ocr_service.errors.SohoaError` when the font is missing.
    """
    _check_pages(pages, texts)
    drawn = _draw_document(pages, [_nfc_page(text) for text in texts], meta)
    return _finish_pdfa(drawn, meta, dict(attachments or {}))


def first_page_marks(pages: Sequence[PageImage], texts: Sequence[PageText], meta: RecordMeta) -> MarkLayout:
    """Where :func:`build_pdfa` puts the QR code and conversion mark on page 1 (points from the
    top-left corner), so that a visible signature box can keep clear of them."""
    _check_pages(pages, texts)
    pdf = _new_document(meta)
    width, height = page_size_points(pages[0])
    pdf.add_page(format=(width, height))
    text = _nfc_page(texts[0])
    return layout_marks(pdf, meta, make_qr(meta), width, _text_boxes(text, 72 / pages[0].dpi))


def page_size_points(page: PageImage) -> tuple[float, float]:
    """Width and height of a page in PDF points: its physical size at its scan resolution."""
    return page.width / page.dpi * 72, page.height / page.dpi * 72


# --- Input checks -----------------------------------------------------------------------------


def _check_pages(pages: Sequence[PageImage], texts: Sequence[PageText]) -> None:
    if not pages:
        raise ValueError("build_pdfa needs at least one page")
    if len(pages) != len(texts):
        raise ValueError(f"build_pdfa got {len(pages)} pages but {len(texts)} page texts")
    for page, text in zip(pages, texts):
        _check_image(page)
        if (text.page, text.width, text.height) != (page.number, page.width, page.height):
            raise ValueError(
                f"page text {text.page} ({text.width}x{text.height} px) does not belong to "
                f"page {page.number} ({page.width}x{page.height} px)"
            )


def _check_image(page: PageImage) -> None:
    image = page.image
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(
            f"page {page.number}: expected a uint8 H x W or H x W x 3 image, "
            f"got {image.dtype} {image.shape}"
        )
    if not page.dpi > 0:
        raise ValueError(f"page {page.number}: resolution must be positive, got {page.dpi}")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfc_page(text: PageText) -> PageText:
    return replace(text, lines=tuple(replace(line, text=_nfc(line.text)) for line in text.lines))


# --- Drawing (fpdf2) --------------------------------------------------------------------------


def _draw_document(pages: Sequence[PageImage], texts: Sequence[PageText], meta: RecordMeta) -> bytes:
    pdf = _new_document(meta)
    for index, (page, text) in enumerate(zip(pages, texts)):
        _draw_page(pdf, page, text, meta if index == 0 else None)
    return bytes(pdf.output())


def _new_document(meta: RecordMeta) -> FPDF:
    if not FONT_PATH.is_file():
        raise SohoaError(
            f"font {FONT_PATH} is missing; install the Debian package fonts-dejavu-core",
            f"thiếu phông chữ {FONT_PATH}; hãy cài gói Debian fonts-dejavu-core",
            code="font_unavailable",
        )
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_creation_date(meta.converted_at)
    pdf.set_title(meta.title)
    pdf.set_lang(meta.language)
    pdf.add_font(FONT_FAMILY, fname=str(FONT_PATH))
    pdf.set_font(FONT_FAMILY)
    return pdf


def _draw_page(pdf: FPDF, page: PageImage, text: PageText, marks_for: RecordMeta | None) -> None:
    width, height = page_size_points(page)
    pdf.add_page(format=(width, height))
    pdf.image(_image_source(page.image), x=0, y=0, w=width, h=height)
    scale = 72 / page.dpi
    # A local context (q ... Q) because the render mode and Tz are graphics state that outlives ET:
    # without it the marks drawn next would inherit the invisible mode.
    with pdf.local_context(text_mode=TextMode.INVISIBLE):
        for line in text.lines:
            _place_line(pdf, line, scale)
    if marks_for is not None:
        draw_marks(pdf, marks_for, width, _text_boxes(text, scale))


def _is_bilevel(image: np.ndarray) -> bool:
    return image.ndim == 2 and bool(np.all((image == 0) | (image == 255)))


def _image_source(image: np.ndarray) -> Image.Image | io.BytesIO:
    """What fpdf2 embeds without re-encoding: a 1-bit image (→ CCITT G4) or JPEG bytes (→ DCT)."""
    if _is_bilevel(image):
        return Image.fromarray(image).convert("1", dither=Image.Dither.NONE)
    pixels = image if image.ndim == 2 else np.ascontiguousarray(image[:, :, ::-1])  # BGR → RGB
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=JPEG_QUALITY, subsampling=0,
                                 optimize=True)
    buffer.seek(0)
    return buffer


@cache
def _font_extent(path: Path) -> tuple[float, float]:
    """Ascent and descent (negative) of the font in em: what a line box's height must hold."""
    font = TTFont(str(path), lazy=True)
    units = font["head"].unitsPerEm
    return font["hhea"].ascent / units, font["hhea"].descent / units


def _text_boxes(text: PageText, scale: float) -> list[Rect]:
    """Each OCR line's bounding rectangle in points: what the marks should not cover."""
    rects = []
    for line in text.lines:
        xs = [float(x) * scale for x, _ in line.box]
        ys = [float(y) * scale for _, y in line.box]
        rects.append((min(xs), min(ys), max(xs), max(ys)))
    return rects


def _midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _place_line(pdf: FPDF, line: OcrLine, scale: float) -> None:
    """Write one OCR line, invisible, so that it fills its box: height by size, width by Tz.

    The direction is snapped to the nearest right angle: text extractors (pdftotext, viewers'
    search) read text in those four directions only and cut a tilted baseline into pieces (a 2°
    tilt already does), while after deskew any tilt left is small. Vertical margin notes still
    read along their box.
    """
    if not line.text.strip():
        return
    top_left, top_right, bottom_right, bottom_left = (
        (float(x) * scale, float(y) * scale) for x, y in line.box)
    left, right = _midpoint(top_left, bottom_left), _midpoint(top_right, bottom_right)
    height = (hypot(bottom_left[0] - top_left[0], bottom_left[1] - top_left[1])
              + hypot(bottom_right[0] - top_right[0], bottom_right[1] - top_right[1])) / 2
    dx, dy = right[0] - left[0], right[1] - left[1]
    angle = round(degrees(atan2(dy, dx)) / 90) * 90 % 360  # clockwise, snapped to a right angle
    width = dx * cos(radians(angle)) + dy * sin(radians(angle))  # the box's length along it
    if width <= 0 or height <= 0:
        return
    ascent, descent = _font_extent(FONT_PATH)
    size = height / (ascent - descent)
    pdf.set_font_size(size)
    pdf.set_stretching(100)  # measure the natural width unstretched
    pdf.set_stretching(100 * width / pdf.get_string_width(line.text))
    centre = _midpoint(left, right)
    start = (centre[0] - width / 2 * cos(radians(angle)), centre[1] - width / 2 * sin(radians(angle)))
    baseline = (start[0], start[1] + height / 2 + descent * size)  # before rotating about start
    if angle == 0:
        pdf.text(*baseline, line.text)
    else:
        with pdf.rotation(-angle, *start):
            pdf.text(*baseline, line.text)


# --- PDF/A finishing (pikepdf) ----------------------------------------------------------------


def _finish_pdfa(drawn: bytes, meta: RecordMeta, attachments: dict[str, bytes]) -> bytes:
    flavour = "3b" if attachments else "2b"
    with pikepdf.open(io.BytesIO(drawn)) as pdf:
        if pikepdf.Name.OpenAction in pdf.Root:
            del pdf.Root.OpenAction  # fpdf2 adds one; PDF/A forbids actions
        for name, data in attachments.items():
            _attach(pdf, _nfc(name), data, meta.converted_at)
        pikepdf.pdfa.prepare(pdf, flavour)
        _write_metadata(pdf, meta)  # after prepare(), which records pikepdf as the producer
        out = io.BytesIO()
        try:
            pikepdf.pdfa.save(pdf, out, flavour, repair=False, min_version=PDF_VERSION,
                              deterministic_id=True)
        except pikepdf.pdfa.PdfaError as error:
            raise PdfaCheckError(flavour, error.report) from error
    return out.getvalue()


def _attach(pdf: pikepdf.Pdf, name: str, data: bytes, moment: datetime) -> None:
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    date = encode_pdf_date(moment.astimezone(VIETNAM_TIME))
    pdf.attachments[name] = pikepdf.AttachedFileSpec(
        pdf, data, filename=name, mime_type=mime_type, creation_date=date, mod_date=date,
        relationship=ATTACHMENT_RELATIONSHIP,
    )


def _write_metadata(pdf: pikepdf.Pdf, meta: RecordMeta) -> None:
    """XMP (and the matching DocInfo): only Dublin Core and XMP basics, which PDF/A predefines."""
    moment = meta.converted_at.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
        xmp["dc:title"] = meta.title
        xmp["dc:language"] = [meta.language]
        xmp["dc:creator"] = [meta.converting_unit]
        xmp["dc:description"] = "; ".join(conversion_mark_lines(meta))
        xmp["xmp:CreatorTool"] = meta.system_name
        xmp["pdf:Producer"] = f"sohoa {__version__}"
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = moment
