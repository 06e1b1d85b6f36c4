"""Searchable PDF/A e-records: the page images, an invisible text layer, marks and metadata.

Why it is built the way it is:

* fpdf2 draws and pikepdf finishes. fpdf2 embeds a subset of a TrueType font with a ToUnicode map,
  so the invisible text copies and searches as exactly the NFC text it was given (reportlab's text
  layer drags in an unembedded Helvetica, and Ghostscript garbles TrueType text when it rewrites to
  PDF/A). pikepdf then removes what PDF/A forbids (fpdf2's /OpenAction), attaches files, installs
  the sRGB output intent and the PDF/A identification, writes the XMP metadata and validates the
  bytes it wrote with ``pikepdf.pdfa``: a record that fails is never returned.
* Where each scan goes, and page 1's header band (QR code, conversion mark, both signature
  boxes), is :mod:`.page_layout`'s decision, made once; :func:`build_pdfa` returns it so that the
  signer puts its boxes exactly in the band. Nothing is drawn over a scan. Images are never
  resampled: the file keeps every scanned pixel, only their placement on page 1 is scaled.
* Images keep what the upload had (:class:`PageSource`): a lossless upload (PNG, TIFF, PDF with
  Flate or CCITT images) stays lossless, Flate for grey and colour; bilevel pages (pure black and
  white, also a bilevel scan that deskew turned grey at the edges) are CCITT Group 4. A JPEG page
  that clean-up did not change is embedded as the upload's JPEG stream, byte for byte; other
  pages are JPEG at quality 90 with full-resolution chroma (4:4:4), which keeps the thin red
  strokes of seals sharp. Grey stays grey and colour stays colour, as scanned.
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
from dataclasses import dataclass, replace
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
from pyhanko.pdf_utils.metadata.model import VENDOR as PRODUCER

from .. import __version__
from ..domain import VIETNAM_TIME, OcrLine, PageImage, PageText
from ..errors import SohoaError
from .marks import conversion_mark_lines, draw_conversion_mark, draw_qr, make_qr
from .pages import PageFacts, page_facts
from .page_layout import MARK_FONT, RecordLayout, ScanPlacement, ScanSize, layout_record
from .records_model import RecordMeta  # the record model's; importers of pdfa still find it
from .sign_appearance import DEFAULT_FONT as SIGNATURE_FONT

FONT_PATH = MARK_FONT
"""DejaVu Sans (Debian ``fonts-dejavu-core``): covers every precomposed Vietnamese letter."""
FONT_FAMILY = "sohoa-text"
JPEG_QUALITY = 90
JPEG_DECODER_TOLERANCE = 3
"""Largest pixel difference between two JPEG decoders (pdfium's and Pillow's IDCT round apart):
a page within it of its upload's JPEG was not changed by clean-up."""
PLACEHOLDER_SIGNATURES = (
    "Người số hóa: HỌ VÀ TÊN NGƯỜI SỐ HÓA\nKý lúc: 2026-01-01T00:00:00+07:00",
    "Bản sao điện tử được chuyển đổi từ bản giấy\nCƠ QUAN\nThời gian: 2026-01-01T00:00:00+07:00",
)
"""Room reserved for the signatures when the caller does not say what they will show."""
LOSSLESS_MEDIA_TYPES = frozenset({"image/png", "image/tiff"})
PDF_VERSION = "1.7"
"""PDF/A-2 and -3 are based on PDF 1.7 (ISO 32000-1); Circular 01/2023 asks for PDF 1.4 or later."""
ATTACHMENT_RELATIONSHIP = pikepdf.Name.Supplement


class PdfaCheckError(RuntimeError):
    """The built record did not pass ``pikepdf.pdfa`` validation: a bug in the builder, not input."""

    def __init__(self, flavour: str, report: pikepdf.pdfa.Report) -> None:
        super().__init__(f"the e-record is not valid PDF/A-{flavour}: {report.summary()}")
        self.flavour = flavour
        self.report = report


@dataclass(frozen=True)
class PageSource:
    """How a page was stored in the upload: what its image in the record may keep."""

    lossless: bool = False
    """The upload kept every pixel (PNG, TIFF, a PDF's Flate or CCITT image): so must the record."""
    bilevel: bool = False
    """The page was scanned in pure black and white; it stays bilevel (CCITT G4) after deskew."""
    jpeg: bytes | None = None
    """The upload's JPEG stream of this page, embedded as it is when clean-up left the page alone."""


@dataclass(frozen=True)
class PdfaRecord:
    """A built PDF/A record and its layout (where the signer's boxes go, where each scan is)."""

    pdf: bytes
    layout: RecordLayout


def build_pdfa(
    pages: Sequence[PageImage],
    texts: Sequence[PageText],
    meta: RecordMeta,
    attachments: Mapping[str, bytes] | None = None,
    *,
    signatures: tuple[str, str] | None = None,
    sources: Sequence[PageSource | None] | None = None,
) -> PdfaRecord:
    """Build one searchable, validated PDF/A e-record from a document's pages and their OCR text.

    ``texts[i]`` is the OCR of ``pages[i]`` (same page number and pixel size). The QR code,
    the conversion mark and room for the two signature boxes (``signatures``: the digitizer's
    and the agency's text; default: room for typical ones) go in page 1's header band.
    ``sources[i]`` says how ``pages[i]`` was stored in the upload (default: unknown, so JPEG
    unless the page is bilevel). Returns PDF/A-3b when ``attachments`` (file name → bytes) is
    non-empty, else PDF/A-2b, with its layout. Raises ``ValueError`` for inconsistent arguments
    (a caller's bug), :class:`PdfaCheckError` when validation fails and
    :class:`~ocr_service.errors.SohoaError` when the font is missing.
    """
    facts = page_facts(pages)
    _check_pages(facts, texts)
    if sources is not None and len(sources) != len(pages):
        raise ValueError(f"build_pdfa got {len(pages)} pages but {len(sources)} page sources")
    layout = record_layout(facts, meta, signatures)
    drawn = _draw_document(pages, [_nfc_page(text) for text in texts], meta, layout,
                           [s or PageSource() for s in (sources or [None] * len(pages))])
    return PdfaRecord(_finish_pdfa(drawn, meta, dict(attachments or {})), layout)


def record_layout(pages: Sequence[PageImage] | Sequence[PageFacts], meta: RecordMeta,
                  signatures: tuple[str, str] | None = None) -> RecordLayout:
    """Where :func:`build_pdfa` puts each scan and page 1's band (QR code, conversion mark,
    signature boxes with their texts wrapped to fit)."""
    digitizer, agency = signatures or PLACEHOLDER_SIGNATURES
    _font_file()
    return layout_record(
        [ScanSize(page.width, page.height, page.dpi, page.skew) for page in pages],
        qr_modules=make_qr(meta).symbol_size(border=0)[0],
        mark_lines=conversion_mark_lines(meta), digitizer_text=digitizer, agency_text=agency,
        signature_font=SIGNATURE_FONT,
    )


def page_size_points(page: PageImage) -> tuple[float, float]:
    """Width and height of a page in PDF points: its physical size at its scan resolution."""
    return page.width / page.dpi * 72, page.height / page.dpi * 72


def scan_sources(data: bytes | None, media_type: str, originals: Sequence[PageImage]) -> list[PageSource]:
    """How each page of an upload was stored: lossless or not, bilevel, its JPEG stream.

    ``originals`` are the pages as intake read them (before clean-up). Without ``data`` only the
    media type is known: PNG and TIFF are lossless, and nothing is passed through.
    """
    bilevel = [_is_bilevel(page.image) for page in originals]
    lossless = media_type in LOSSLESS_MEDIA_TYPES
    plain = [PageSource(lossless=lossless or b, bilevel=b) for b in bilevel]
    if data is None:
        return plain
    try:
        if media_type == "image/jpeg" and len(originals) == 1:
            return [replace(plain[0], jpeg=data)]
        if media_type == "image/tiff":
            return [replace(s, lossless=s.lossless and c not in ("jpeg", "tiff_jpeg"))
                    for s, c in zip(plain, _tiff_compressions(data, len(originals)))]
        if media_type == "application/pdf":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                return [_pdf_page_source(page, s) for page, s in zip(pdf.pages, plain)]
    except (OSError, ValueError, pikepdf.PdfError):
        return plain  # intake accepted the file; at worst its pages are re-encoded as before
    return plain


def _tiff_compressions(data: bytes, count: int) -> list[str]:
    with Image.open(io.BytesIO(data)) as image:
        found = []
        for index in range(count):
            image.seek(index)
            found.append(str(image.info.get("compression", "raw")))
        return found


def _pdf_page_source(page: pikepdf.Page, plain: PageSource) -> PageSource:
    """A scanned PDF page's one image: its JPEG stream, or whether it is stored losslessly."""
    images = list(page.images.values())
    if not images:
        return replace(plain, lossless=True)  # born digital: rendered sharp, keep it sharp
    if len(images) > 1:
        return plain
    filters = images[0].get(pikepdf.Name.Filter)
    names = [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters])
             if f is not None]
    if names == ["/DCTDecode"]:
        return replace(plain, jpeg=images[0].read_raw_bytes())
    lossy = {"/DCTDecode", "/JPXDecode"}
    return replace(plain, lossless=plain.lossless or not lossy.intersection(names))


# --- Input checks -----------------------------------------------------------------------------


def _check_pages(pages: Sequence[PageFacts], texts: Sequence[PageText]) -> None:
    """Pages and texts belong together (the pixels are checked as each page is drawn)."""
    if not pages:
        raise ValueError("build_pdfa needs at least one page")
    if len(pages) != len(texts):
        raise ValueError(f"build_pdfa got {len(pages)} pages but {len(texts)} page texts")
    for page, text in zip(pages, texts):
        if not page.dpi > 0:
            raise ValueError(f"page {page.number}: resolution must be positive, got {page.dpi}")
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


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfc_page(text: PageText) -> PageText:
    return replace(text, lines=tuple(replace(line, text=_nfc(line.text)) for line in text.lines))


# --- Drawing (fpdf2) --------------------------------------------------------------------------


def _draw_document(pages: Sequence[PageImage], texts: Sequence[PageText], meta: RecordMeta,
                   layout: RecordLayout, sources: Sequence[PageSource]) -> bytes:
    pdf = _new_document(meta)
    for index, sheet in enumerate(layout.sheets):
        pdf.add_page(format=(sheet.width, sheet.height))
        for placed in sheet.scans:
            left, top, right, bottom = placed.rect
            page = pages[placed.page]  # decoded here, one page at a time
            _check_image(page)
            image = _image_source(page, placed.crop, sources[placed.page])
            pdf.image(image, x=left, y=top, w=right - left, h=bottom - top)
        # A local context (q ... Q) because the render mode and Tz are graphics state that
        # outlives ET: without it the marks drawn next would inherit the invisible mode.
        with pdf.local_context(text_mode=TextMode.INVISIBLE):
            for placed in sheet.scans:
                for line in texts[placed.page].lines:
                    _place_line(pdf, line, placed)
        if index == 0:
            band = layout.band
            draw_qr(pdf, make_qr(meta), band.qr, band.qr_module)
            draw_conversion_mark(pdf, band.mark_lines, band.mark)
    return bytes(pdf.output())


def _font_file() -> Path:
    if not FONT_PATH.is_file():
        raise SohoaError(
            f"font {FONT_PATH} is missing; install the Debian package fonts-dejavu-core",
            f"thiếu phông chữ {FONT_PATH}; hãy cài gói Debian fonts-dejavu-core",
            code="font_unavailable",
        )
    return FONT_PATH


def _new_document(meta: RecordMeta) -> FPDF:
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_creation_date(meta.converted_at)
    pdf.set_title(meta.title)
    pdf.set_lang(meta.language)
    pdf.add_font(FONT_FAMILY, fname=str(_font_file()))
    pdf.set_font(FONT_FAMILY)
    return pdf


def _is_bilevel(image: np.ndarray) -> bool:
    return image.ndim == 2 and bool(np.all((image == 0) | (image == 255)))


def _same_as_jpeg(image: np.ndarray, jpeg: bytes) -> bool:
    """Whether ``jpeg`` decodes (upright, in the same colour model) to ``image``."""
    try:
        with Image.open(io.BytesIO(jpeg)) as decoded:
            if decoded.format != "JPEG" or decoded.mode not in ("L", "RGB"):
                return False
            if decoded.getexif().get(0x0112, 1) != 1:  # EXIF orientation: intake turned the page
                return False
            pixels = np.asarray(decoded)
    except (OSError, ValueError):
        return False
    if pixels.ndim == 3:
        pixels = pixels[:, :, ::-1]  # RGB → BGR, as pages are held
    if pixels.shape != image.shape:
        return False
    return int(np.abs(pixels.astype(np.int16) - image).max()) <= JPEG_DECODER_TOLERANCE


def _image_source(page: PageImage, crop: tuple[int, int, int, int],
                  source: PageSource) -> Image.Image | io.BytesIO:
    """What fpdf2 embeds: a 1-bit image (→ CCITT G4), the upload's JPEG bytes or new JPEG bytes
    (→ DCT, not re-encoded by fpdf2), or a grey/RGB image (→ Flate)."""
    left, top, right, bottom = crop
    whole = crop == (0, 0, page.width, page.height)
    image = page.image if whole else page.image[top:bottom, left:right]
    if source.bilevel and image.ndim == 2 and not _is_bilevel(image):
        image = np.where(image >= 128, 255, 0).astype(np.uint8)  # deskew's grey edges, undone
    if _is_bilevel(image):
        return Image.fromarray(image).convert("1", dither=Image.Dither.NONE)
    if whole and source.jpeg is not None and _same_as_jpeg(image, source.jpeg):
        return io.BytesIO(source.jpeg)
    pixels = image if image.ndim == 2 else np.ascontiguousarray(image[:, :, ::-1])  # BGR → RGB
    if source.lossless:
        return Image.fromarray(pixels)
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


def _midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _place_line(pdf: FPDF, line: OcrLine, placed: ScanPlacement) -> None:
    """Write one OCR line, invisible, so that it fills its box: height by size, width by Tz.

    The direction is snapped to the nearest right angle: text extractors (pdftotext, viewers'
    search) read text in those four directions only and cut a tilted baseline into pieces (a 2°
    tilt already does), while after deskew any tilt left is small. Vertical margin notes still
    read along their box.
    """
    if not line.text.strip():
        return
    xs, ys = [float(x) for x, _ in line.box], [float(y) for _, y in line.box]
    centre_x, centre_y = sum(xs) / 4, sum(ys) / 4
    crop = placed.crop
    if not (crop[0] <= centre_x < crop[2] and crop[1] <= centre_y < crop[3]):
        return  # on the scanner bed outside the paper (after deskew): not on this page
    top_left, top_right, bottom_right, bottom_left = (
        placed.to_sheet(float(x), float(y)) for x, y in line.box)
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
    """XMP (and the matching DocInfo): only Dublin Core and XMP basics, which PDF/A predefines.

    The producer is pyHanko's name from the start: signing rewrites XMP ``pdf:Producer`` to
    exactly that and appends it to an Info ``/Producer`` that lacks it, so any other value would
    leave the signed file with two producers that differ (PDF/A wants them equal). sohoa and the
    issuing system are named as the creator tool."""
    moment = meta.converted_at.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
        xmp["dc:title"] = meta.title
        xmp["dc:language"] = [meta.language]
        xmp["dc:creator"] = [meta.converting_unit]
        xmp["dc:description"] = "; ".join(conversion_mark_lines(meta))
        xmp["xmp:CreatorTool"] = f"{meta.system_name} (sohoa {__version__})"
        xmp["pdf:Producer"] = PRODUCER
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = moment
