"""Intake: turn the bytes of one upload into a :class:`~ocr_service.domain.Upload` of page images.

Why it is written the way it is:

* The type is decided by the file's content (magic bytes), never by its name: clerks rename files,
  and a name is no proof of what a file holds.
* Every limit is checked on the cheapest evidence first: the byte count before anything is parsed,
  the page count and each page's pixel size from headers before any pixel is decoded. A small file
  can declare a gigantic image (a decompression bomb), so pixels are decoded only once the header
  has passed ``max_page_pixels``.
* Scanned PDFs usually hold one image per page. Taking that image as it is keeps the scan's native
  resolution and avoids a lossy re-rendering; only pages with other visible content are rendered.
* Pages keep the colour mode they were scanned in (grey stays ``H x W``, colour becomes BGR), because
  the quality check must see what the scanner produced (Circular 01/2023/TT-VPCP asks for colour).
* Pages are decoded one at a time, when a stage asks for them (``pages.LazyPages``): a 500-page
  scan never sits in memory whole. Every page is planned (size, channels) from headers before
  the first one is decoded, so the limits below refuse a file before any work is spent on it.
* A document has a work budget as well as per-page limits: the decoded pixels of all its pages
  together (``max_document_pixels``). A born-digital PDF page costs nothing in the file however
  large it renders (a 1 KB PDF can ask for gigabytes), so it is rendered only up to
  ``max_render_pixels``. Overruns, and running out of memory anyway, are ``too_large``, not
  ``corrupt_file``: the file is sound, it is too much work.
* Multi-page TIFFs are counted by walking their IFD chain, stopping one past the page limit, so
  a tiny file with 60,000 pages is refused after reading 501 headers.
* Bad input of any kind becomes an :class:`~ocr_service.errors.InputError` with a stable code and a
  message in English and Vietnamese; no library exception escapes for a file the user sent.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from ocr_service.config import IntakeLimits, get_settings
from ocr_service.digest import sha256_hex
from ocr_service.domain import PageImage, Upload
from ocr_service.errors import InputError

from .pages import LazyPages

T = TypeVar("T")

A4_LONG_SIDE_INCHES = 11.69
"""Used to estimate the resolution of an image that does not declare one: most dossier pages are A4."""
MAX_PLAUSIBLE_PAGE_INCHES = 17.0
"""Longer side of A3 (16.5 in) plus slack: a declared dpi implying a larger sheet is a bogus default
(cameras and phones write 72 dpi), so the A4 estimate is used instead."""
FULL_PAGE_IMAGE_COVERAGE = 0.85
"""Share of the page an image must cover for the page to count as a scan of one image."""

ACCEPTED_TYPES_EN = "PDF, TIFF, JPEG, PNG"
ACCEPTED_TYPES_VI = "PDF, TIFF, JPEG và PNG"


@dataclass(frozen=True)
class FileType:
    media_type: str
    label: str
    pil_format: str | None
    """Pillow's format name for image types; None for PDF, which pdfium reads."""


PDF = FileType("application/pdf", "PDF", None)
TIFF = FileType("image/tiff", "TIFF", "TIFF")
JPEG = FileType("image/jpeg", "JPEG", "JPEG")
PNG = FileType("image/png", "PNG", "PNG")

_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
)
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"PK\x03\x04", "ZIP/DOCX/XLSX"),
    (b"\xd0\xcf\x11\xe0", "DOC/XLS"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
)
PDF_HEADER_WINDOW = 1024
"""The PDF header may follow some junk bytes; readers (and pdfium) look for it in the first 1 KiB."""


def load_document(data: bytes, filename: str, settings: IntakeLimits | None = None) -> Upload:
    """An upload's pages, planned against the intake limits of ``settings`` and decoded one at
    a time when accessed (a damaged page stream is reported when its page is decoded).

    Raises :class:`InputError` (codes ``empty_file``, ``file_too_large``, ``unsupported_type``,
    ``too_many_pages``, ``page_too_large``, ``too_large``, ``encrypted_pdf``, ``corrupt_file``,
    ``no_pages``).
    """
    settings = settings or get_settings()
    name = unicodedata.normalize("NFC", filename or "")
    check_size(data, name, settings)
    file_type = detect_type(data, name)
    reader = _read_pdf if file_type is PDF else _read_image
    pages = reader(data, name, file_type, settings)
    return Upload(
        filename=name,
        media_type=file_type.media_type,
        sha256=sha256_hex(data),
        size=len(data),
        pages=pages,
    )


def detect_type(data: bytes, name: str = "") -> FileType:
    """Identify the file by its first bytes; raise ``unsupported_type`` for anything else."""
    for magic, file_type in _SIGNATURES:
        if data.startswith(magic):
            return file_type
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return PDF
    known = next((label for magic, label in _UNSUPPORTED_SIGNATURES if data.startswith(magic)), None)
    what_en = f" ({known})" if known else ""
    raise InputError(
        f"The file “{name}”{what_en} is not a supported type. Accepted types: {ACCEPTED_TYPES_EN}.",
        f"Tệp “{name}”{what_en} có định dạng không được hỗ trợ. "
        f"Chỉ chấp nhận tệp {ACCEPTED_TYPES_VI}.",
        code="unsupported_type",
    )


# --------------------------------------------------------------------------------------------------
# Limits and errors


def check_size(data: bytes, name: str, settings: IntakeLimits) -> None:
    """Refuse an empty upload or one over ``max_upload_bytes`` before anything decodes it (the
    API checks this before storing an upload; intake checks it again for the CLI)."""
    if not data:
        raise InputError(
            f"The file “{name}” is empty (0 bytes).",
            f"Tệp “{name}” rỗng (0 byte), không có nội dung.",
            code="empty_file",
        )
    if len(data) > settings.max_upload_bytes:
        size_mb, limit_mb = len(data) / 1e6, settings.max_upload_bytes / 1e6
        raise InputError(
            f"The file “{name}” is {size_mb:.1f} MB, over the limit of {limit_mb:.1f} MB.",
            f"Tệp “{name}” có dung lượng {size_mb:.1f} MB, vượt quá giới hạn {limit_mb:.1f} MB.",
            code="file_too_large",
        )


def _check_page_count(count: int, name: str, settings: IntakeLimits, *, exact: bool = True) -> None:
    """``exact``: False when counting stopped one past the limit (the file has at least that)."""
    if count > settings.max_pages:
        en, vi = (f"{count}", f"{count}") if exact else (f"more than {settings.max_pages}",
                                                          f"hơn {settings.max_pages}")
        raise InputError(
            f"The file “{name}” has {en} pages, over the limit of {settings.max_pages}.",
            f"Tệp “{name}” có {vi} trang, vượt quá giới hạn {settings.max_pages} trang.",
            code="too_many_pages",
        )


def too_large(name: str, what_en: str, what_vi: str) -> InputError:
    """``too_large``: the file is sound but too much work (the intake budget, or the memory of
    a reading process: ``isolated.py``)."""
    return InputError(
        f"The file “{name}” is too much work to read: {what_en}. Split it into smaller "
        "documents, or scan it at a lower resolution (200-300 dpi).",
        f"Tệp “{name}” cần quá nhiều tài nguyên để đọc: {what_vi}. Hãy tách thành các tài liệu "
        "nhỏ hơn hoặc quét lại ở độ phân giải thấp hơn (200-300 dpi).",
        code="too_large",
    )


class Budget:
    """The work budget of one document, spent page by page from headers, before decoding.

    Memory needs no budget of its own: pages are decoded one at a time, and one page is bounded
    by ``max_page_pixels``."""

    def __init__(self, name: str, settings: IntakeLimits) -> None:
        self.name, self.settings = name, settings
        self.pixels = 0

    def spend(self, width: int, height: int) -> None:
        self.pixels += width * height
        limit = self.settings.max_document_pixels
        if self.pixels > limit:
            raise too_large(
                self.name, f"its pages hold over {limit / 1e6:.0f} megapixels together",
                f"tổng số điểm ảnh của các trang vượt quá {limit / 1e6:.0f} megapixel")


def _check_page_pixels(width: int, height: int, number: int, name: str, settings: IntakeLimits) -> None:
    if width * height > settings.max_page_pixels:
        _raise_page_too_large(width, height, number, name, settings)


def _raise_page_too_large(width: int, height: int, number: int, name: str, settings: IntakeLimits) -> None:
    mp, limit = width * height / 1e6, settings.max_page_pixels / 1e6
    raise InputError(
        f"Page {number} of “{name}” is {width}×{height} pixels ({mp:.0f} megapixels), "
        f"over the limit of {limit:.0f} megapixels.",
        f"Trang {number} của tệp “{name}” có kích thước {width}×{height} điểm ảnh "
        f"({mp:.0f} megapixel), "
        f"vượt quá giới hạn {limit:.0f} megapixel.",
        code="page_too_large",
    )


def _out_of_memory(name: str) -> InputError:
    return too_large(name, "there was not enough memory to decode it",
                      "không đủ bộ nhớ để giải mã")


def _corrupt(name: str, label: str, detail: object) -> InputError:
    return InputError(
        f"The {label} file “{name}” is damaged or truncated and cannot be read ({detail}).",
        f"Tệp {label} “{name}” bị hỏng hoặc không đầy đủ, không thể đọc được nội dung.",
        code="corrupt_file",
    )


def _encrypted(name: str) -> InputError:
    return InputError(
        f"The PDF file “{name}” is encrypted or password-protected; "
        "remove the password and upload it again.",
        f"Tệp PDF “{name}” được mã hóa hoặc đặt mật khẩu; vui lòng gỡ mật khẩu rồi tải lên lại.",
        code="encrypted_pdf",
    )


def _no_pages(name: str) -> InputError:
    return InputError(
        f"The PDF file “{name}” has no pages.",
        f"Tệp PDF “{name}” không có trang nào.",
        code="no_pages",
    )


# --------------------------------------------------------------------------------------------------
# Images: JPEG, PNG, TIFF (one or many pages)


def _read_image(data: bytes, name: str, file_type: FileType, settings: IntakeLimits) -> LazyPages:
    """Each frame of an image file, decoded when accessed, once every frame's header size passed
    the limits."""
    with _pil_errors(name, file_type.label, settings):
        image = Image.open(io.BytesIO(data), formats=[file_type.pil_format])
        frames = _frame_count(image, data, file_type, name, settings)
        budget = Budget(name, settings)
        for index in range(frames):  # headers only: nothing is decoded before all passed
            image.seek(index)
            _check_page_pixels(image.width, image.height, index + 1, name, settings)
            budget.spend(image.width, image.height)

    def decode(index: int) -> PageImage:
        with _pil_errors(name, file_type.label, settings):
            frame = Image.open(io.BytesIO(data), formats=[file_type.pil_format])
            frame.seek(index)
            frame.load()
            upright = ImageOps.exif_transpose(frame) if file_type is JPEG else frame
            pixels = _to_bgr_or_grey(upright)
            dpi, source = _image_dpi(upright.info.get("dpi"), pixels.shape[:2])
            return PageImage(number=index + 1, image=pixels, dpi=dpi, dpi_source=source,
                             color=pixels.ndim == 3)

    return LazyPages(frames, decode)


def _frame_count(image: Image.Image, data: bytes, file_type: FileType, name: str,
                 settings: IntakeLimits) -> int:
    """The pages of an image file, refused past ``max_pages`` before any frame is decoded.

    A JPEG's further "frames" (MPO) are previews and stereo views, not pages. A TIFF's pages are
    counted by ``tiff_page_count``, which stops one past the limit: Pillow's ``n_frames`` walks
    every frame of the file first, however many there are.
    """
    if file_type is JPEG:
        return 1
    if file_type is TIFF:
        frames = tiff_page_count(data, settings.max_pages + 1, name)
        _check_page_count(frames, name, settings, exact=False)
        return frames
    frames = getattr(image, "n_frames", 1)
    _check_page_count(frames, name, settings)
    return frames


def tiff_page_count(data: bytes, stop: int, name: str = "") -> int:
    """The number of pages (IFDs in the main chain) of a TIFF or BigTIFF, counting at most
    ``stop``: one read of each IFD's entry count and link, linear in the pages counted.

    A chain that loops back is ``corrupt_file``; a chain that runs off the end of the file ends
    there (Pillow then reports the damage, or reads the pages before it).
    """
    order = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    # (offset of the first IFD's link, entry count format, entry size, link format)
    first, count_format, entry_size, link_format = (
        (8, "Q", 20, "Q") if big else (4, "H", 12, "I"))
    link_size, count_size = struct.calcsize(link_format), struct.calcsize(count_format)
    if len(data) < first + link_size:
        raise _corrupt(name, "TIFF", "truncated header")
    (offset,) = struct.unpack_from(order + link_format, data, first)
    seen: set[int] = set()
    pages = 0
    while offset and pages < stop:
        if offset in seen:
            raise _corrupt(name, "TIFF", "its page chain loops back")
        if offset + count_size > len(data):
            break
        seen.add(offset)
        pages += 1
        (entries,) = struct.unpack_from(order + count_format, data, offset)
        link = offset + count_size + entries * entry_size
        if link + link_size > len(data):
            break
        (offset,) = struct.unpack_from(order + link_format, data, link)
    return pages


@contextmanager
def _pil_errors(name: str, label: str, settings: IntakeLimits) -> Iterator[None]:
    """Turn whatever Pillow raises on a bad file into ``corrupt_file`` / ``page_too_large``.

    Pillow signals damage with many exception types (OSError, SyntaxError, ValueError, EOFError,
    struct.error, zlib.error ...), so everything but our own InputError is translated here. Our own
    pixel limit is checked first; Pillow's bomb guard only fires when the limit is set above it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": damage is reported below
        try:
            yield
        except InputError:
            raise
        except MemoryError as exc:
            raise _out_of_memory(name) from exc
        except Image.DecompressionBombError as exc:
            raise InputError(
                f"An image in “{name}” is too large to decode safely ({exc}).",
                f"Ảnh trong tệp “{name}” quá lớn, không thể giải mã an toàn "
                f"(giới hạn {settings.max_page_pixels / 1e6:.0f} megapixel mỗi trang).",
                code="page_too_large",
            ) from exc
        except Exception as exc:
            raise _corrupt(name, label, exc) from exc


_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def _to_bgr_or_grey(image: Image.Image) -> np.ndarray:
    """8-bit grey (``H x W``) for grey scans, BGR for colour; transparency is laid on white paper."""
    mode = image.mode
    if mode in _HIGH_DEPTH_MODES:
        return _high_depth_to_grey(np.asarray(image), mode)
    if mode in ("1", "L") and "transparency" not in image.info:
        return np.asarray(image.convert("L"))
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"))
        rgb = _on_white(rgba[..., :3], rgba[..., 3])
    else:
        rgb = np.asarray(image.convert("RGB"))  # also CMYK (Pillow undoes Adobe's inversion), YCbCr
    if mode in _GREY_MODES or (mode in ("P", "PA") and _channels_equal(rgb)):
        return np.ascontiguousarray(rgb[..., 0])
    return np.ascontiguousarray(rgb[..., ::-1])


def _high_depth_to_grey(values: np.ndarray, mode: str) -> np.ndarray:
    """Map 16-bit (or float) grey to 8 bits by scaling, not by clipping as Pillow's convert does."""
    if mode == "F":
        top = 1.0 if float(np.nanmax(values, initial=0.0)) <= 1.0 else 255.0
        scaled = np.nan_to_num(values.astype(np.float32)) * (255.0 / top)
    else:
        scaled = values.astype(np.float32) / 257.0
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def _on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    return (rgb.astype(np.float32) * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)


def _channels_equal(rgb: np.ndarray) -> bool:
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


def _image_dpi(declared: object, shape: tuple[int, ...]) -> tuple[float, str]:
    """The declared dpi when it is plausible for a paper page, else an estimate from an A4 page."""
    long_side = max(shape[:2])
    try:
        dpi = min(float(v) for v in declared)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        dpi = 0.0
    if dpi > 1.0 and long_side / dpi <= MAX_PLAUSIBLE_PAGE_INCHES:
        return dpi, "file"
    return estimate_dpi(long_side), "estimated"


def estimate_dpi(long_side_px: int) -> float:
    """The resolution of a page whose long side is ``long_side_px`` if the page is A4 (a photo's,
    whose file states none that fits; clean-up's for a photographed sheet once flattened)."""
    return round(long_side_px / A4_LONG_SIDE_INCHES, 1)


# --------------------------------------------------------------------------------------------------
# PDF


def _read_pdf(data: bytes, name: str, file_type: FileType, settings: IntakeLimits) -> LazyPages:
    """Each page: its scan image as embedded when it is one, else a rendering, decoded when
    accessed; every page's size is planned against the limits and the budget first. The
    document stays open for the pages (pypdfium2 closes it when they are gone)."""
    pdf = _open_pdf(data, name)
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            raise _encrypted(name)  # opened with an empty user password: still encrypted
        count = len(pdf)
        if count == 0:
            raise _no_pages(name)
        _check_page_count(count, name, settings)
        budget = Budget(name, settings)
        for index in range(count):
            _pdf_errors(name, lambda i=index: _plan_pdf_page(pdf, i, name, settings, budget))
    except BaseException:
        pdf.close()
        raise
    return LazyPages(count, lambda i: _pdf_errors(name, lambda: _pdf_page(pdf, i, name, settings)))


def _open_pdf(data: bytes, name: str) -> pdfium.PdfDocument:
    """Open with pdfium, telling encrypted and page-less files from damaged ones.

    pdfium's error code is thread-wide and is left stale when it refuses a document with no pages,
    so the code is trusted only together with what the bytes show (an /Encrypt entry, an empty
    page tree).
    """
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY) and b"/Encrypt" in data:
            raise _encrypted(name) from exc
        if re.search(rb"/Kids\s*\[\s*\]", data) and not re.search(rb"/Count\s*[1-9]", data):
            raise _no_pages(name) from exc
        raise _corrupt(name, "PDF", exc) from exc


def _pdf_errors(name: str, read: Callable[[], T]) -> T:
    """Run one page's decoding; pdfium's errors on a damaged page become ``corrupt_file``."""
    try:
        return read()
    except InputError:
        raise
    except MemoryError as exc:
        raise _out_of_memory(name) from exc
    except Exception as exc:  # pdfium and ctypes raise several types for damaged streams
        raise _corrupt(name, "PDF", exc) from exc


def _plan_pdf_page(pdf: pdfium.PdfDocument, index: int, name: str, settings: IntakeLimits,
                   budget: Budget) -> None:
    """Check one page's size as it will be decoded, and spend it from the budget (no pixels)."""
    page, number = pdf[index], index + 1
    try:
        scan = _sole_scan_image(page)
        if scan is not None and _is_upright_placement(scan, page):
            width, height = scan.get_px_size()
            _check_page_pixels(width, height, number, name, settings)
            budget.spend(width, height)
            return
        width, height = _render_size(page, _render_dpi(scan, settings))
        _check_page_pixels(width, height, number, name, settings)
        if scan is None and width * height > settings.max_render_pixels:
            limit = settings.max_render_pixels / 1e6
            raise too_large(
                name, f"page {number} would render at {width}×{height} pixels, over the "
                      f"{limit:.0f} megapixels a page without a scan is rendered at",
                f"trang {number} khi dựng hình có kích thước {width}×{height} điểm ảnh, vượt "
                f"quá giới hạn {limit:.0f} megapixel cho trang không phải ảnh quét")
        budget.spend(width, height)
    finally:
        page.close()


def _render_dpi(scan: pdfium.PdfImage | None, settings: IntakeLimits) -> float:
    return _native_dpi(scan) if scan is not None else float(settings.pdf_render_dpi)


def _pdf_page(pdf: pdfium.PdfDocument, index: int, name: str, settings: IntakeLimits) -> PageImage:
    page = pdf[index]
    try:
        scan = _sole_scan_image(page)
        if scan is not None and _is_upright_placement(scan, page):
            return _extract_scan(scan, index + 1, name, settings)
        return _render_page(page, _render_dpi(scan, settings), index + 1, name, settings, "file")
    finally:
        page.close()


def _sole_scan_image(page: pdfium.PdfPage) -> pdfium.PdfImage | None:
    """The page's only visible object when it is an image covering most of the page, else None.

    Invisible text (the OCR layer of a "searchable" scan) does not count as visible content.
    """
    images: list[pdfium.PdfImage] = []
    for obj in page.get_objects():
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images.append(obj)
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            continue  # a container; its children are visited too
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT and _is_invisible_text(obj):
            continue
        else:
            return None
        if len(images) > 1:
            return None
    if not images:
        return None
    left, bottom, right, top = images[0].get_bounds()
    page_w, page_h = page.get_size()
    covered = abs(right - left) * abs(top - bottom) / max(page_w * page_h, 1e-6)
    return images[0] if covered >= FULL_PAGE_IMAGE_COVERAGE else None


def _is_invisible_text(obj: pdfium.PdfObject) -> bool:
    return pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE


def _is_upright_placement(image: pdfium.PdfImage, page: pdfium.PdfPage) -> bool:
    """True when the image is drawn unrotated and unflipped, so its pixels are the page as seen."""
    a, b, c, d, _, _ = image.get_matrix().get()
    return a > 0 and d > 0 and abs(b) < 1e-6 and abs(c) < 1e-6 and page.get_rotation() == 0


def _native_dpi(image: pdfium.PdfImage) -> float:
    """Pixels per inch of the image as placed on the page (the scan resolution)."""
    px_w, px_h = image.get_px_size()
    left, bottom, right, top = image.get_bounds()
    extent_w, extent_h = abs(right - left) / 72.0, abs(top - bottom) / 72.0
    if (px_w > px_h) != (extent_w > extent_h):  # placed at 90°: pixel axes swap
        px_w, px_h = px_h, px_w
    return round(min(px_w / max(extent_w, 1e-6), px_h / max(extent_h, 1e-6)), 2)


def _extract_scan(image: pdfium.PdfImage, number: int, name: str, settings: IntakeLimits) -> PageImage:
    px_w, px_h = image.get_px_size()
    _check_page_pixels(px_w, px_h, number, name, settings)
    pixels = _bitmap_to_array(image.get_bitmap(render=False))
    return PageImage(number=number, image=pixels, dpi=_native_dpi(image), dpi_source="file",
                     color=pixels.ndim == 3)


def _render_size(page: pdfium.PdfPage, dpi: float) -> tuple[int, int]:
    width_pt, height_pt = page.get_size()
    if page.get_rotation() in (90, 270):
        width_pt, height_pt = height_pt, width_pt
    scale = dpi / 72.0
    return round(width_pt * scale), round(height_pt * scale)


def _render_page(page: pdfium.PdfPage, dpi: float, number: int, name: str, settings: IntakeLimits,
                 dpi_source: str) -> PageImage:
    _check_page_pixels(*_render_size(page, dpi), number, name, settings)
    pixels = _bitmap_to_array(page.render(scale=dpi / 72.0, may_draw_forms=False))
    return PageImage(number=number, image=pixels, dpi=dpi, dpi_source=dpi_source, color=pixels.ndim == 3)


def _bitmap_to_array(bitmap: pdfium.PdfBitmap) -> np.ndarray:
    """Copy a pdfium bitmap out of pdfium's buffer as grey or BGR (alpha laid on white)."""
    pixels = bitmap.to_numpy()
    if bitmap.mode == "L" or pixels.ndim == 2:
        return np.array(pixels.reshape(pixels.shape[:2]), dtype=np.uint8)
    if bitmap.mode == "BGRA":
        return _on_white(pixels[..., :3], pixels[..., 3])
    return np.ascontiguousarray(pixels[..., :3])
