"""E-record PDF/A: the text layer copies as the exact NFC text, the file passes PDF/A-2b (3b with
an attachment), page images keep their pixels, size, colour and lossless encoding, page 1's band
holds the QR code (decoding to the documented payload), the conversion mark and the signature
boxes above the scan, and small documents sit at true size on A4."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import unicodedata
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pikepdf
import pikepdf.pdfa
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from ocr_service.domain import OcrLine, PageImage, PageText
from ocr_service.pipeline import marks
from ocr_service.pipeline.page_layout import A4 as A4_POINTS
from ocr_service.pipeline.page_layout import MM, paper_crop
from ocr_service.pipeline.pdfa import PRODUCER, PageSource, RecordMeta, build_pdfa
from sohoa_dev.synth import render_page

DPI = 100
A4 = (827, 1169)  # pixels at 100 dpi
LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Họ và tên: Nguyễn Thị Ánh Tuyết, sinh ngày 05/09/1990",
    "Nơi cư trú: thôn Đông, xã Mỹ Đức, tỉnh Quảng Ngãi",
    "Huỳnh Thị Mỹ Dạ ở Đắk Lắk, Kỷ yếu; HUỲNH THỊ MỸ DẠ Ở ĐẮK LẮK, KỶ YẾU",
)
META = RecordMeta(
    title="Giấy khai sinh (bản sao)",
    dossier_code="000.00.19.H29-261122-0001",
    procedure_code="1.001193",
    owner_id_number="001099012345",
    system_name="Hệ thống số hóa sohoa",
    converting_unit="UBND phường Ba Đình, thành phố Hà Nội",
    converted_at=datetime(2026, 11, 22, 7, 30, tzinfo=timezone.utc),
    record_id="3f2b8c1e-5d4a-4e8f-9b0c-7a6d5e4f3a2b",
    verify_url="https://tracuu.example.gov.vn/v/3f2b8c1e-5d4a-4e8f-9b0c-7a6d5e4f3a2b",
)


def pdf_of(pages: list[PageImage], texts: list[PageText], *args, **kwargs) -> bytes:
    return build_pdfa(pages, texts, META, *args, **kwargs).pdf


def box(x: float, y: float, width: float, height: float) -> tuple:
    return ((x, y), (x + width, y), (x + width, y + height), (x, y + height))


def page_with_lines(number: int, image: np.ndarray, lines: tuple[str, ...] = LINES, dpi: float = DPI,
                    top: int = 200) -> tuple[PageImage, PageText]:
    """A page whose OCR lines sit on dark bars drawn in the image, one line every 40 pixels."""
    image = image.copy()
    ocr = []
    for index, text in enumerate(lines):
        y = top + 40 * index
        image[y + 4:y + 20, 100:600] = 0
        ocr.append(OcrLine(text=text, confidence=0.99, box=box(100, y, 500, 24)))
    page = PageImage(number=number, image=image, dpi=dpi, color=image.ndim == 3)
    return page, PageText(page=number, width=page.width, height=page.height, lines=tuple(ocr))


def white(size: tuple[int, int] = A4, channels: int = 0) -> np.ndarray:
    shape = (size[1], size[0], channels) if channels else (size[1], size[0])
    return np.full(shape, 255, np.uint8)


def pdftotext(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def page_image(pdf: pikepdf.Pdf, index: int) -> pikepdf.PdfImage:
    (image,) = pdf.pages[index].get_images().values()
    return pikepdf.PdfImage(image)


def record_pages() -> tuple[list[PageImage], list[PageText]]:
    """Three pages: colour with a red seal, grey, and bilevel landscape at another resolution."""
    colour = white(channels=3)
    colour[900:1000, 500:600] = (0, 0, 255)  # BGR: a red seal
    grey = white()
    grey[900:1000, 500:600] = 128  # not bilevel
    pages = [
        page_with_lines(1, colour),
        page_with_lines(2, grey),
        page_with_lines(3, white((1754, 1240)), dpi=150),
    ]
    return [page for page, _ in pages], [text for _, text in pages]


RECORD_PAGES = record_pages()


@pytest.fixture(scope="module")
def record() -> bytes:
    return pdf_of(*RECORD_PAGES)


@pytest.fixture(scope="module")
def attached() -> tuple[bytes, bytes]:
    payload = '{"họ_tên": "Nguyễn Thị Ánh Tuyết"}'.encode()
    page, text = page_with_lines(1, white())
    return pdf_of([page], [text], {"extraction.json": payload}), payload


def test_text_layer_copies_as_the_exact_nfc_text(record: bytes) -> None:
    out = pdftotext(record)
    assert unicodedata.is_normalized("NFC", out)
    for line in LINES:
        assert out.splitlines().count(line) == 3  # once per page, upper and lower case tone marks


def test_non_nfc_input_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", LINES[2])
    assert decomposed != LINES[2]
    page, text = page_with_lines(1, white(), lines=(decomposed,))
    out = pdftotext(pdf_of([page], [text]))
    assert LINES[2] in out.splitlines()
    assert decomposed not in out


@pytest.mark.parametrize("corners", [
    tuple((x, y + (x - 100) * 0.035) for x, y in box(100, 300, 500, 24)),  # 2 degrees clockwise
    tuple((x, y - (x - 100) * 0.2) for x, y in box(100, 300, 500, 24)),  # 11 degrees anticlockwise
    ((40, 800), (40, 300), (64, 300), (64, 800)),  # reads upwards, as a note in the margin
    ((790, 300), (790, 800), (766, 800), (766, 300)),  # reads downwards
])
def test_tilted_line_still_copies_exactly(corners: tuple) -> None:
    page, text = page_with_lines(1, white(), lines=(LINES[3],))
    text = dataclasses.replace(text, lines=(dataclasses.replace(text.lines[0], box=corners),))
    assert LINES[3] in pdftotext(pdf_of([page], [text])).splitlines()


def test_synthetic_form_lines_all_copy() -> None:
    synth = render_page(7, "dev", "form", 100)
    page = PageImage(number=1, image=synth.image, dpi=synth.dpi)
    ocr = tuple(OcrLine(text=text, confidence=1.0, box=quad) for text, quad in synth.lines)
    text = PageText(page=1, width=page.width, height=page.height, lines=ocr)
    # pdftotext joins fields that share a baseline ("Họ và tên: ... Quan hệ: ...") into one line
    out = " ".join(pdftotext(pdf_of([page], [text])).split())
    for line, _ in synth.lines:
        assert " ".join(line.split()) in out


def test_without_attachments_it_is_pdfa_2b(record: bytes) -> None:
    assert record.startswith(b"%PDF-1.7")
    report = pikepdf.pdfa.validate_written(io.BytesIO(record), "2b")
    assert report.passed, report.summary()
    with pikepdf.open(io.BytesIO(record)) as pdf:
        assert pikepdf.pdfa.check(pdf, "2b").passed
        assert pikepdf.Name.OpenAction not in pdf.Root
        assert pikepdf.Name.AF not in pdf.Root
        assert str(pdf.Root.Lang) == "vi"
        xmp = pdf.open_metadata()
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
        assert xmp["dc:title"] == META.title
        assert xmp["dc:language"] == {"vi"}
        assert xmp["pdf:Producer"] == str(pdf.docinfo.Producer) == PRODUCER  # as signing keeps it
        assert xmp["xmp:CreatorTool"].startswith(f"{META.system_name} (sohoa ")
        assert xmp["xmp:CreateDate"] == "2026-11-22T14:30:00+07:00"
        assert META.owner_id_number not in str(pdf.Root.Metadata.read_bytes())


def test_with_an_attachment_it_is_pdfa_3b_and_the_bytes_round_trip(attached: tuple[bytes, bytes]) -> None:
    data, payload = attached
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "3b")
    assert report.passed, report.summary()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pikepdf.pdfa.check(pdf, "3b").passed
        assert pdf.open_metadata()["pdfaid:part"] == "3"
        spec = pdf.attachments["extraction.json"]
        assert spec.get_file().read_bytes() == payload
        assert spec.get_file().mime_type == "application/json"
        assert pdf.Root.AF[0].AFRelationship == pikepdf.Name.Supplement


def test_pages_keep_pixels_colour_mode_and_physical_size(record: bytes) -> None:
    expected = [  # width, height, dpi, colour space, bits
        (827, 1169, DPI, "/DeviceRGB", 8),
        (827, 1169, DPI, "/DeviceGray", 8),
        (1754, 1240, 150, "/DeviceGray", 1),  # bilevel: lossless CCITT G4
    ]
    with pikepdf.open(io.BytesIO(record)) as pdf:
        assert len(pdf.pages) == 3
        for index, (width, height, dpi, space, bits) in enumerate(expected):
            image = page_image(pdf, index)
            assert (image.width, image.height, image.colorspace, image.bits_per_component) == (
                width, height, space, bits)
            left, bottom, right, top = map(float, pdf.pages[index].mediabox)
            assert right - left == pytest.approx(width / dpi * 72, abs=0.01)
            assert top - bottom == pytest.approx(height / dpi * 72, abs=0.01)
        assert page_image(pdf, 0).filters == ["/DCTDecode"]
        assert page_image(pdf, 2).filters == ["/CCITTFaxDecode"]
        rgb = np.asarray(page_image(pdf, 0).as_pil_image())
        assert np.abs(rgb[920:980, 520:580].astype(int) - (255, 0, 0)).max() < 8  # still red
        bilevel = np.asarray(page_image(pdf, 2).as_pil_image().convert("L"))
        assert set(np.unique(bilevel)) == {0, 255}
        assert (bilevel[204:220, 100:600] == 0).all() and (bilevel[180:200] == 255).all()


def test_qr_on_page_one_decodes_to_the_payload(record: bytes) -> None:
    rendered = pdfium.PdfDocument(record)[0].render(scale=200 / 72).to_pil()
    (code,) = zxingcpp.read_barcodes(rendered)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == marks.qr_payload(META)
    assert code.text.startswith("v=2|hs=000.00.19.H29-261122-0001|tthc=1.001193|")
    assert code.text.endswith(f"|ma={META.record_id}|url={META.verify_url}")
    fields = marks.parse_qr_payload(code.text)
    assert fields == {
        "version": "2",
        "dossier_code": META.dossier_code,
        "procedure_code": META.procedure_code,
        "owner_id_number": META.owner_id_number,
        "title": META.title,
        "system_name": META.system_name,
        "issued_at": "2026-11-22T14:30:00+07:00",
        "record_id": META.record_id,
        "verify_url": META.verify_url,
    }
    assert datetime.fromisoformat(fields["issued_at"]) == META.converted_at
    band = build_pdfa(*RECORD_PAGES, META).layout.band
    left, top, right, bottom = (v * 200 / 72 for v in band.qr)
    for point in (code.position.top_left, code.position.bottom_right):  # where the layout says
        assert left < point.x < right and top < point.y < bottom
    assert 20 / 25.4 * 200 <= code.position.bottom_right.x - code.position.top_left.x < 250  # ~2 cm


def test_conversion_mark_is_on_page_one_only(record: bytes) -> None:
    mark = marks.conversion_mark_lines(META)
    assert mark == (
        "Chuyển đổi từ văn bản giấy sang thông điệp dữ liệu",
        "Thời gian chuyển đổi: 14:30 ngày 22/11/2026",
        "Đơn vị chuyển đổi: UBND phường Ba Đình, thành phố Hà Nội",
    )
    pages = pdftotext(record).split("\f")
    assert all(line in " ".join(pages[0].split()) for line in mark)  # lines may wrap in the band
    assert not any(mark[0] in page for page in pages[1:])


def inside(inner: tuple, outer: tuple) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def test_page_one_band_holds_everything_above_the_scan() -> None:
    page, text = page_with_lines(1, white(), top=20)  # text right up to the paper's top edge
    layout = build_pdfa([page], [text], META).layout
    sheet, band = layout.sheets[0], layout.band
    (scan,) = sheet.scans
    assert (sheet.width, sheet.height) == pytest.approx((827 / DPI * 72, 1169 / DPI * 72))
    for part in band.parts:  # inside the page, above the scan
        assert inside(part, (0, 0, sheet.width, band.bottom))
    assert scan.rect[1] == pytest.approx(band.bottom)
    assert scan.rect[3] == pytest.approx(sheet.height) and scan.crop == (0, 0, 827, 1169)
    scale = (sheet.height - band.bottom) / sheet.height  # scaled uniformly, never stretched
    assert scan.scale == pytest.approx(72 / DPI * scale)
    assert 0.85 < scale < 0.92
    half = sheet.width / 2
    assert band.digitizer.rect[2] <= half <= band.agency.rect[0]  # top-left and top-right quarters
    assert band.qr[2] <= band.digitizer.rect[0]
    assert band.agency.rect[2] == pytest.approx(sheet.width - 3 * MM)


def test_nothing_is_drawn_on_the_scan() -> None:
    """Page 1 rendered: inside the scan's area it is the scan (resampled), nothing else."""
    image = np.full((1169, 827), 255, np.uint8)
    image[:, ::40] = 0  # a grid reaching every edge, corners included
    image[::40, :] = 0
    page = PageImage(number=1, image=image, dpi=DPI, color=False)
    text = PageText(page=1, width=827, height=1169, lines=())
    built = build_pdfa([page], [text], META)
    (scan,) = built.layout.sheets[0].scans
    rendered = np.asarray(pdfium.PdfDocument(built.pdf)[0].render(scale=2).to_pil().convert("L"))
    left, top, right, bottom = (round(v * 2) for v in scan.rect)
    area = rendered[top + 2:bottom - 2, left + 2:right - 2].astype(int)
    expected = np.asarray(Image.fromarray(image).resize((right - left, bottom - top),
                                                        Image.Resampling.BILINEAR))
    expected = expected[2:-2, 2:-2].astype(int)
    assert area.shape == expected.shape
    assert np.abs(area - expected).mean() < 12  # resampling only
    assert (rendered[:top - 2] < 128).any()  # the band is drawn, above


def test_small_pages_go_front_and_back_on_one_a4_sheet_at_true_size() -> None:
    card = np.full((1012, 1589), 255, np.uint8)  # 85.6 x 53.98 mm at 472 dpi
    card[100:160, 100:1400] = 0
    pages = [PageImage(number=n, image=card, dpi=1589 / (85.6 / 25.4), color=False) for n in (1, 2)]
    texts = [PageText(page=n, width=1589, height=1012, lines=(
        OcrLine(text=f"CĂN CƯỚC mặt {n}", confidence=0.9, box=box(100, 100, 1300, 60)),))
        for n in (1, 2)]
    built = build_pdfa(pages, texts, META)
    (sheet,) = built.layout.sheets
    assert (sheet.width, sheet.height) == pytest.approx(A4_POINTS)
    front, back = sheet.scans
    for placed in (front, back):
        assert placed.rect[2] - placed.rect[0] == pytest.approx(85.6 * MM, abs=0.05)  # true size
        assert placed.rect[3] - placed.rect[1] == pytest.approx(1012 / 1589 * 85.6 * MM, abs=0.05)
        assert placed.rect[1] >= built.layout.band.bottom
    assert front.rect[3] < back.rect[1]  # the back under the front
    for part in built.layout.band.parts:
        assert inside(part, (0, 0, sheet.width, front.rect[1]))
    with pikepdf.open(io.BytesIO(built.pdf)) as pdf:
        assert len(pdf.pages) == 1
        assert [float(v) for v in pdf.pages[0].mediabox] == pytest.approx([0, 0, *A4_POINTS], abs=0.5)
    out = pdftotext(built.pdf).splitlines()
    assert out.index("CĂN CƯỚC mặt 1") < out.index("CĂN CƯỚC mặt 2")


def test_lossless_and_jpeg_uploads_keep_their_encoding() -> None:
    grey = white()
    grey[900:1000, 500:600] = 128
    page, text = page_with_lines(1, grey)
    flate = pdf_of([page], [text], sources=[PageSource(lossless=True)])
    with pikepdf.open(io.BytesIO(flate)) as pdf:
        image = page_image(pdf, 0)
        assert image.filters == ["/FlateDecode"]
        assert np.array_equal(np.asarray(image.as_pil_image()), page.image)  # every pixel kept
    buffer = io.BytesIO()
    Image.fromarray(page.image).save(buffer, format="JPEG", quality=75)
    jpeg = buffer.getvalue()
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)))
    same = dataclasses.replace(page, image=decoded)
    kept = pdf_of([same], [text], sources=[PageSource(jpeg=jpeg)])
    changed = pdf_of([dataclasses.replace(same, image=decoded[::-1].copy())], [text],
                     sources=[PageSource(jpeg=jpeg)])  # clean-up turned it: re-encoded
    with pikepdf.open(io.BytesIO(kept)) as pdf, pikepdf.open(io.BytesIO(changed)) as other:
        assert page_image(pdf, 0).obj.read_raw_bytes() == jpeg  # byte for byte
        assert page_image(other, 0).obj.read_raw_bytes() != jpeg


def test_a_deskewed_page_keeps_its_paper_size_and_a_bilevel_scan_stays_g4() -> None:
    bilevel = np.full((1169, 827), 255, np.uint8)
    bilevel[200:220, 100:600] = 0
    c, s = np.cos(np.radians(1.5)), np.sin(np.radians(1.5))
    size = (int(np.ceil(827 * c + 1169 * s)), int(np.ceil(827 * s + 1169 * c)))  # as clean-up grows it
    matrix = cv2.getRotationMatrix2D((413, 584), 1.5, 1.0)
    matrix[:, 2] += ((size[0] - 827) / 2, (size[1] - 1169) / 2)
    turned = cv2.warpAffine(bilevel, matrix, size, flags=cv2.INTER_CUBIC, borderValue=255)
    assert len(np.unique(turned)) > 2  # grey edges
    crop = paper_crop(*size, 1.5)
    assert (crop[2] - crop[0], crop[3] - crop[1]) == pytest.approx((827, 1169), abs=2)
    page = PageImage(number=1, image=turned, dpi=DPI, color=False, skew=1.5)
    text = PageText(page=1, width=size[0], height=size[1], lines=())
    built = build_pdfa([page, dataclasses.replace(page, number=2)],
                       [text, dataclasses.replace(text, page=2)], META,
                       sources=[PageSource(lossless=True, bilevel=True)] * 2)
    with pikepdf.open(io.BytesIO(built.pdf)) as pdf:
        for index in (0, 1):
            assert page_image(pdf, index).filters == ["/CCITTFaxDecode"]
        _, _, width, height = map(float, pdf.pages[1].mediabox)
        assert (width, height) == pytest.approx((827 / DPI * 72, 1169 / DPI * 72), abs=1.5)
        assert (page_image(pdf, 1).width, page_image(pdf, 1).height) == (crop[2] - crop[0], crop[3] - crop[1])


def test_qr_payload_escapes_separators_and_rejects_foreign_text() -> None:
    odd = dataclasses.replace(META, title="Bản sao 100% | có chứng thực\ndòng 2=x")
    assert marks.parse_qr_payload(marks.qr_payload(odd))["title"] == odd.title
    for bad in ("", "hello", marks.qr_payload(META).replace("v=2", "v=9"),
                marks.qr_payload(META).replace("|tthc=", "|mã="),
                marks.qr_payload(META).replace("v=2", "v=1")):  # version 1 had no ma/url
        with pytest.raises(ValueError):
            marks.parse_qr_payload(bad)
    old = "v=1|hs=A|tthc=B|id=C|ten=D|ht=E|tg=2026-11-22T14:30:00+07:00"  # records made before
    assert marks.parse_qr_payload(old)["dossier_code"] == "A"


def test_record_meta_is_nfc_and_refuses_incomplete_values() -> None:
    meta = dataclasses.replace(META, title=unicodedata.normalize("NFD", " Giấy khai sinh "))
    assert meta.title == "Giấy khai sinh"
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(META, converted_at=datetime(2026, 11, 22, 14, 30))
    with pytest.raises(ValueError, match="converting_unit"):
        dataclasses.replace(META, converting_unit="  ")
    local = dataclasses.replace(META, converted_at=datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=2))))
    assert marks.conversion_mark_lines(local)[1] == "Thời gian chuyển đổi: 14:30 ngày 22/11/2026"


def test_bad_input_is_refused_clearly() -> None:
    page, text = page_with_lines(1, white())
    with pytest.raises(ValueError, match="at least one page"):
        build_pdfa([], [], META)
    with pytest.raises(ValueError, match="1 pages but 2 page texts"):
        build_pdfa([page], [text, text], META)
    with pytest.raises(ValueError, match="does not belong"):
        build_pdfa([page], [dataclasses.replace(text, width=100)], META)
    with pytest.raises(ValueError, match="uint8"):
        build_pdfa([dataclasses.replace(page, image=page.image.astype(np.float32))], [text], META)
