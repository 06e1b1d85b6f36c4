"""Intake: every accepted format decodes to the right pixels and dpi; every bad input is refused
with its own code and a message in English and Vietnamese."""

from __future__ import annotations

import ctypes
import hashlib
import io
import struct
import unicodedata
import zlib

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from ocr_service.config import Settings
from ocr_service.errors import InputError
from ocr_service.pipeline.intake import load_document

SETTINGS = Settings(pdf_render_dpi=100)


def scan(width: int = 827, height: int = 1169, color: bool = True) -> Image.Image:
    """A stand-in scan: paper with dark bars, and a red mark when in colour."""
    page = np.full((height, width, 3), 245, np.uint8)
    page[height // 4: height // 4 + 20, width // 8: width * 7 // 8] = 30
    page[height // 2: height // 2 + 40, width // 2: width // 2 + 40] = (200, 20, 20)
    image = Image.fromarray(page)
    return image if color else image.convert("L")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def refused(data: bytes, code: str, settings: Settings = SETTINGS, name: str = "hồ sơ.bin") -> InputError:
    with pytest.raises(InputError) as caught:
        for _ in load_document(data, name, settings).pages:  # pages decode when read
            pass
    error = caught.value
    assert error.code == code
    assert error.message and error.message_vi and error.message != error.message_vi
    assert unicodedata.is_normalized("NFC", error.message_vi)
    assert any(unicodedata.decomposition(ch) for ch in error.message_vi), "Vietnamese without diacritics"
    return error


def minimal_pdf(pages: int = 1, trailer: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A hand-written PDF (pdfium cannot save one with no pages or with encryption)."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages + list(extra)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def text_pdf(text: str = "Ho so so hoa") -> bytes:
    """A born-digital A4 PDF: one line of Helvetica text, no image."""
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    obj = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", ctypes.c_float(36.0))
    utf16 = (text + "\x00").encode("utf-16-le")
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(ctypes.c_char_p(utf16), ctypes.POINTER(ctypes.c_ushort)))
    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, 700)
    pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Accepted formats


def test_scanned_pdf_keeps_embedded_jpeg_at_native_dpi() -> None:
    data = encode(scan(), "PDF", resolution=200)
    document = load_document(data, "scan.pdf", SETTINGS)
    page = document.pages[0]
    assert document.media_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(data).hexdigest() and document.size == len(data)
    assert page.image.shape == (1169, 827, 3)
    assert page.dpi == pytest.approx(200, abs=0.5) and page.dpi_source == "file"
    b, g, r = page.image[1169 // 2 + 20, 827 // 2 + 20]
    assert r > 150 and b < 80  # BGR order, red stays red


def test_scanned_grey_pdf_stays_grey() -> None:
    page = load_document(encode(scan(color=False), "PDF", resolution=300), "x.pdf", SETTINGS).pages[0]
    assert page.image.ndim == 2 and page.dpi == pytest.approx(300, abs=0.5) and not page.color


def test_born_digital_pdf_is_rendered_at_configured_dpi() -> None:
    page = load_document(text_pdf(), "digital.pdf", SETTINGS).pages[0]
    height, width = page.image.shape[:2]
    assert abs(height - 842 * 100 / 72) <= 1 and abs(width - 595 * 100 / 72) <= 1
    assert page.dpi == 100
    assert (page.image < 128).any(), "the text was rendered"


def test_multi_page_tiff_with_mixed_modes() -> None:
    frames = [scan(color=False), scan(), scan(color=False)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300),
                  compression="tiff_lzw")
    document = load_document(data, "scan.tiff", SETTINGS)
    assert document.media_type == "image/tiff"
    assert [p.number for p in document.pages] == [1, 2, 3]
    assert [p.image.ndim for p in document.pages] == [2, 3, 2]
    assert all(p.dpi == 300 and p.dpi_source == "file" for p in document.pages)


def test_jpeg_exif_orientation_is_applied() -> None:
    image = np.full((200, 100, 3), 255, np.uint8)
    image[:20, :20] = 0  # a mark at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    data = encode(Image.fromarray(image), "JPEG", exif=exif, dpi=(200, 200), quality=95)
    page = load_document(data, "phone.jpg", SETTINGS).pages[0]
    assert page.image.shape == (100, 200, 3)
    assert page.image[:20, -20:].mean() < 60, "stored top-left shows at the top-right"
    assert page.dpi == 200


def test_cmyk_jpeg_becomes_bgr() -> None:
    cmyk = Image.new("CMYK", (400, 560), (0, 255, 255, 0))  # pure red ink
    page = load_document(encode(cmyk, "JPEG", quality=95), "cmyk.jpg", SETTINGS).pages[0]
    b, g, r = page.image[100, 100]
    assert page.image.ndim == 3 and r > 200 and g < 60 and b < 60


def test_png_16_bit_grey_is_scaled_to_8_bit() -> None:
    values = np.full((300, 200), 40000, np.uint16)
    page = load_document(encode(Image.fromarray(values), "PNG"), "deep.png", SETTINGS).pages[0]
    assert page.image.dtype == np.uint8 and page.image.ndim == 2
    assert int(page.image[0, 0]) == round(40000 / 257)


def test_png_alpha_is_laid_on_white_and_grey_stays_grey() -> None:
    rgba = np.zeros((300, 200, 4), np.uint8)
    rgba[:150, :, 3] = 255  # top half opaque black, bottom half transparent
    page = load_document(encode(Image.fromarray(rgba, "RGBA"), "PNG"), "alpha.png", SETTINGS).pages[0]
    assert page.image[0, 0].tolist() == [0, 0, 0] and page.image[-1, -1].tolist() == [255, 255, 255]
    grey = load_document(encode(scan(color=False), "PNG"), "grey.png", SETTINGS).pages[0]
    assert grey.image.ndim == 2
    palette = load_document(encode(scan(color=False).convert("P"), "PNG"), "p.png", SETTINGS).pages[0]
    assert palette.image.ndim == 2


def test_dpi_from_png_metadata_or_estimated_from_a4() -> None:
    declared = load_document(encode(scan(), "PNG", dpi=(300, 300)), "a.png", SETTINGS).pages[0]
    assert declared.dpi == pytest.approx(300, abs=0.1) and declared.dpi_source == "file"
    missing = load_document(encode(scan(), "PNG"), "b.png", SETTINGS).pages[0]
    assert missing.dpi_source == "estimated" and missing.dpi == pytest.approx(1169 / 11.69, abs=0.2)
    bogus = load_document(encode(scan(2480, 3508), "JPEG", dpi=(72, 72)), "c.jpg", SETTINGS).pages[0]
    assert bogus.dpi_source == "estimated" and bogus.dpi == pytest.approx(300, abs=1)


def test_type_is_detected_by_content_not_name() -> None:
    png = load_document(encode(scan(), "PNG"), "actually-a-png.pdf", SETTINGS)
    assert png.media_type == "image/png"
    pdf = load_document(encode(scan(), "PDF", resolution=100), "actually-a-pdf.png", SETTINGS)
    assert pdf.media_type == "application/pdf"


def test_filename_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Tờ khai.png")
    assert load_document(encode(scan(), "PNG"), decomposed, SETTINGS).filename == "Tờ khai.png"


# --------------------------------------------------------------------------------------------------
# Refused inputs


def test_empty_file() -> None:
    refused(b"", "empty_file")


def test_file_too_large_is_refused_before_decoding() -> None:
    refused(b"\x00" * 2000, "file_too_large", Settings(max_upload_bytes=1000))


@pytest.mark.parametrize("data", [b"GIF89a" + b"\x00" * 50, b"plain text, not a scan", b"PK\x03\x04zip"])
def test_unsupported_type_names_accepted_types(data: bytes) -> None:
    error = refused(data, "unsupported_type")
    assert "PDF" in error.message and "TIFF" in error.message_vi and "PNG" in error.message


def test_too_many_pages() -> None:
    frames = [scan(200, 280)] * 3
    tiff = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    refused(tiff, "too_many_pages", Settings(max_pages=2))
    refused(minimal_pdf(pages=3), "too_many_pages", Settings(max_pages=2))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares a huge page: a decompression bomb must be caught from the header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_page_too_large_is_caught_from_the_header() -> None:
    refused(png_header_only(20_000, 20_000), "page_too_large")
    # with our own limit lifted, Pillow's decompression-bomb guard answers with the same code
    refused(png_header_only(20_000, 20_000), "page_too_large", Settings(max_page_pixels=10**12))
    big_scan = encode(scan(400, 560), "PDF", resolution=72)
    refused(big_scan, "page_too_large", Settings(max_page_pixels=100_000))
    refused(text_pdf(), "page_too_large", Settings(max_page_pixels=100_000, pdf_render_dpi=300))


def test_encrypted_pdf() -> None:
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"11" * 32, b"22" * 32)
    file_id = b"<0123456789abcdef0123456789abcdef>"
    data = minimal_pdf(trailer=b"/Encrypt 4 0 R /ID [%s %s]" % (file_id, file_id), extra=(encrypt,))
    refused(data, "encrypted_pdf")


def test_pdf_without_pages() -> None:
    refused(minimal_pdf(pages=0), "no_pages")


@pytest.mark.parametrize("fmt", ["PDF", "PNG", "JPEG", "TIFF"])
def test_truncated_files_are_corrupt(fmt: str) -> None:
    data = encode(scan(), fmt, **({"resolution": 100} if fmt == "PDF" else {}))
    refused(data[: len(data) // 2], "corrupt_file")


def test_garbage_after_magic_is_corrupt() -> None:
    for magic in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"%PDF-1.7\n"):
        refused(magic + bytes(range(256)) * 4, "corrupt_file")


# --------------------------------------------------------------------------------------------------
# Work budget per document, page counting, memory


def tiny_tiff(pages: int, *, loop: bool = False) -> bytes:
    """A TIFF of ``pages`` 1×1 bilevel pages sharing one strip: about 100 bytes a page. ``loop``:
    the last page links back to the first."""
    entries = ((256, 3, 1), (257, 3, 1), (258, 3, 1), (259, 3, 1), (262, 3, 1),
               (273, 4, 8), (278, 3, 1), (279, 4, 1))  # (tag, type, value); strip at byte 8
    size = 2 + 12 * len(entries) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 12) + b"\x00" * 4)  # header, strip, pad
    for index in range(pages):
        offset = 12 + index * size
        link = 12 if loop and index == pages - 1 else (offset + size if index < pages - 1 else 0)
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHII", tag, kind, 1, value)
        out += struct.pack("<I", link)
    return bytes(out)


def test_tiff_pages_are_counted_up_to_the_limit_only() -> None:
    assert len(load_document(tiny_tiff(3), "ba.tif", SETTINGS).pages) == 3
    huge = tiny_tiff(60_000)
    assert len(huge) < 7_000_000
    error = refused(huge, "too_many_pages")
    # counting stopped one past the limit: the message cannot name the real count
    assert "more than 500" in error.message and "hơn 500 trang" in error.message_vi
    assert "60000" not in error.message
    refused(tiny_tiff(4, loop=True), "corrupt_file")


def pdf_with_media_box(pages: int, side_pt: int) -> bytes:
    return minimal_pdf(pages=pages).replace(b"/MediaBox [0 0 595 842]",
                                            b"/MediaBox [0 0 %d %d]" % (side_pt, side_pt))


def test_a_tiny_pdf_of_huge_born_digital_pages_is_refused_before_rendering(monkeypatch) -> None:
    # 3 pages of 29 inches square: each 76.6 Mpx at 300 dpi, under the 80 Mpx page limit, so
    # each page passed alone; together 230 Mpx, about 1 GB rendered in colour
    bomb = pdf_with_media_box(3, 2100)
    assert len(bomb) < 1000

    def no_render(*_: object, **__: object) -> None:
        raise AssertionError("a page was rendered")

    monkeypatch.setattr(pdfium.PdfPage, "render", no_render)
    error = refused(bomb, "too_large", Settings())
    assert "page 1" in error.message and "trang 1" in error.message_vi


def test_the_document_budget_counts_all_pages_before_decoding_any(monkeypatch) -> None:
    colour = [scan(200, 280)] * 3
    tiff = encode(colour[0], "TIFF", save_all=True, append_images=colour[1:])
    assert len(load_document(tiff, "a.tif", SETTINGS).pages) == 3
    from ocr_service.pipeline import intake

    decoded: list[int] = []
    real = intake._to_bgr_or_grey
    monkeypatch.setattr(intake, "_to_bgr_or_grey", lambda image: decoded.append(1) or real(image))
    error = refused(tiff, "too_large", Settings(max_document_pixels=2 * 200 * 280 + 1))
    assert "megapixel" in error.message and "megapixel" in error.message_vi
    assert decoded == []  # refused from the headers alone
    pdf = minimal_pdf(pages=3)  # A4 rendered at 100 dpi: 827×1169 each, colour
    refused(pdf, "too_large", Settings(pdf_render_dpi=100, max_document_pixels=2_000_000))
    assert len(load_document(pdf, "p.pdf", Settings(pdf_render_dpi=100,
                                                    max_document_pixels=3_000_000)).pages) == 3


def test_running_out_of_memory_is_too_large_not_corrupt(monkeypatch) -> None:
    from ocr_service.pipeline import intake

    def exhausted(*_: object) -> None:
        raise MemoryError

    monkeypatch.setattr(intake, "_bitmap_to_array", exhausted)
    refused(text_pdf(), "too_large")
    monkeypatch.setattr(intake, "_to_bgr_or_grey", exhausted)
    refused(encode(scan(), "PNG"), "too_large")


def test_a_pdf_encrypted_with_an_empty_user_password_is_refused() -> None:
    import pikepdf

    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(text_pdf())) as pdf:
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="chủ sở hữu", user=""))
    data = buffer.getvalue()
    assert pdfium.PdfDocument(data) is not None  # opens without a password ...
    refused(data, "encrypted_pdf")  # ... and is refused all the same
