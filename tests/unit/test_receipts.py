"""The receipt slip (Mẫu số 01): its text, its status QR code, its agency signature and box."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from ocr_service.domain import VIETNAM_TIME
from ocr_service.pipeline.sign import RecordSigning
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.pki import PkiPaths, dev_signing, init_pki, load_certificates
from ocr_service.procedures import procedure
from ocr_service.receipts import (
    SIGNATURE_FIELD,
    BuiltReceipt,
    ReceiptData,
    ReceivedComponent,
    build_receipt,
    received_components,
    sign_receipt,
    status_url,
)

CODE = "000.00.10.H29-270203-0001"
URL = f"https://dichvucong.example.gov.vn/tra-cuu/{CODE}?k=7KQ4MZP2"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return init_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signing(pki: PkiPaths) -> RecordSigning:
    return dev_signing(pki, agency_name="UBND xã Thử Nghiệm")


def data(**changes) -> ReceiptData:
    birth = procedure("1.001193")
    base = ReceiptData(
        agency_name="UBND xã Thử Nghiệm", dossier_code=CODE, procedure_code=birth.code,
        procedure_name=birth.name, processing_days=birth.processing_days,
        applicant_name="Nguyễn Thị Hồng Nhung",
        components=received_components(birth, [
            "Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy chứng sinh", None,
            "Căn cước công dân của người đi đăng ký"]),
        received_at=datetime(2027, 2, 3, 10, 15, tzinfo=VIETNAM_TIME), due_date=date(2027, 2, 11),
        collect_at="Bộ phận Tiếp nhận và Trả kết quả, UBND xã Thử Nghiệm",
        lookup_code="7KQ4MZP2", status_url=URL,
        issued_at=datetime(2027, 2, 3, 10, 16, tzinfo=VIETNAM_TIME), clerk_name="Trần Văn Bình")
    return replace(base, **changes)


@pytest.fixture(scope="module")
def built() -> BuiltReceipt:
    return build_receipt(data())


@pytest.fixture(scope="module")
def signed(built: BuiltReceipt, signing: RecordSigning) -> bytes:
    return sign_receipt(built, signing)


def pdftotext(pdf: bytes, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_status_url_is_the_public_page_with_the_lookup_code() -> None:
    assert status_url("https://dichvucong.example.gov.vn/", CODE, "7KQ4MZP2") == URL
    assert status_url("http://h", "A/B C", "X") == "http://h/tra-cuu/A%2FB%20C?k=X"


def test_components_are_counted_in_catalogue_order_then_others() -> None:
    counted = received_components(procedure("1.001193"), [
        "Giấy chứng sinh", None, "Bản sao sổ hộ khẩu", "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh"])
    assert counted == (
        ReceivedComponent("Tờ khai đăng ký khai sinh", 1), ReceivedComponent("Giấy chứng sinh", 2),
        ReceivedComponent("Giấy tờ khác", 1), ReceivedComponent("Bản sao sổ hộ khẩu", 1))
    assert received_components(None, []) == ()


def test_the_slip_says_what_mau_01_asks(signed: bytes) -> None:
    text = " ".join(pdftotext(signed, "-layout").split())
    for expected in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", f"Mã hồ sơ: {CODE}", "UBND XÃ THỬ NGHIỆM",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Ông/Bà Nguyễn Thị Hồng Nhung",
        "Đăng ký khai sinh (mã thủ tục 1.001193)",
        "1 Tờ khai đăng ký khai sinh 01", "2 Giấy chứng sinh 02",
        "3 Căn cước công dân của người đi đăng ký 01", "4 Giấy tờ khác 01",
        "3. Thời gian giải quyết hồ sơ theo quy định: 1 ngày làm việc",
        "4. Thời gian nhận hồ sơ: 10 giờ 15 phút, ngày 03 tháng 02 năm 2027",
        "5. Thời gian trả kết quả giải quyết hồ sơ: ngày 11 tháng 02 năm 2027",
        "6. Đăng ký nhận kết quả tại: Bộ phận Tiếp nhận và Trả kết quả, UBND xã Thử Nghiệm",
        "Mã tra cứu: 7KQ4MZP2", URL, "NGƯỜI TIẾP NHẬN HỒ SƠ", "Trần Văn Bình",
        "Ký bởi: UBND xã Thử Nghiệm",  # the signature's appearance
    ):
        assert expected in text, expected
    assert len(pikepdf.open(io.BytesIO(signed)).pages) == 1


def test_unknown_procedure_prints_its_code_and_no_due_day(signing: RecordSigning) -> None:
    slip = build_receipt(data(procedure_code="2.000999", procedure_name=None,
                              processing_days=None, due_date=None, applicant_name=None))
    text = " ".join(pdftotext(slip.pdf).split())
    assert "(mã thủ tục ngoài danh mục) (mã thủ tục 2.000999)" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: theo quy định của thủ tục" in text
    assert "Ông/Bà ....." in text


def test_qr_code_decodes_to_the_status_url(signed: bytes) -> None:
    page = pdfium.PdfDocument(signed)[0]
    image = page.render(scale=200 / 72).to_pil().convert("L")
    found = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [URL]


def test_agency_signature_validates_in_a_box_that_covers_nothing(
        built: BuiltReceipt, signed: bytes, pki: PkiPaths) -> None:
    report = verify_pdf(signed, load_certificates(pki.root_cert))
    assert report.valid, report
    assert signed.startswith(built.pdf)  # an incremental update over the drawn slip
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        widgets = [a for a in pdf.pages[0].Annots if a.get("/FT") == "/Sig"
                   or a.get("/Parent", {}).get("/FT") == "/Sig"]
        assert [str(w.get("/T", w.get("/Parent", {}).get("/T"))) for w in widgets] == [
            SIGNATURE_FIELD]
        rect = [float(v) for v in widgets[0].Rect]
        height = float(pdf.pages[0].MediaBox[3])
    assert rect == pytest.approx(list(built.signature_box), abs=0.01)
    x1, y1, x2, y2 = built.signature_box
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
                       pdftotext(built.pdf, "-bbox"))
    assert len(words) > 100
    for left, top, right, bottom, word in words:  # pdftotext measures from the top
        overlaps = (float(left) < x2 and float(right) > x1
                    and height - float(bottom) < y2 and height - float(top) > y1)
        assert not overlaps, word


def test_signature_text_names_the_agency_and_time(built: BuiltReceipt) -> None:
    assert built.signature_text == "Ký bởi: UBND xã Thử Nghiệm\nKý lúc: 2027-02-03T10:16:00+07:00"
