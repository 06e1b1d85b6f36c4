"""The monthly acceptance statement: its text (totals by procedure, with full diacritics), its
agency signature, and a signature box that covers no text."""

from __future__ import annotations

import io
from datetime import datetime

import pikepdf
import pypdfium2 as pdfium
import pytest

from ocr_service.domain import VIETNAM_TIME
from ocr_service.errors import SohoaError
from ocr_service.pipeline.sign import RecordSigning
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.pki import PkiPaths, load_certificates
from ocr_service.statements import (
    SIGNATURE_FIELD,
    ProcedurePages,
    StatementData,
    build_statement,
    statement_pdf,
)
from tests.unit.test_receipts import pdftotext, pki, signing  # noqa: F401 - fixtures

DATA = StatementData(
    agency_name="UBND xã Thử Nghiệm", contract_code="HĐ-2027/BĐ-07", month="2027-02",
    procedures=(
        ProcedurePages("1.000894", "Đăng ký kết hôn", billable=1204, rejected=3, duplicate=0,
                       documents=400),
        ProcedurePages("1.001193", "Đăng ký khai sinh", billable=2, rejected=1, duplicate=5,
                       documents=4),
        ProcedurePages("2.000999", None, billable=7, rejected=0, duplicate=0, documents=1)),
    pending=9, generated_at=datetime(2027, 3, 1, 8, 5, tzinfo=VIETNAM_TIME),
    signer_name="Lê Thị Kiểm")


@pytest.fixture(scope="module")
def signed(signing: RecordSigning) -> bytes:  # noqa: F811 - the fixture imported above
    return statement_pdf(DATA, signing)


def test_the_statement_shows_pages_by_procedure_and_the_totals(signed: bytes) -> None:
    assert (DATA.billable, DATA.rejected, DATA.duplicate) == (1213, 4, 5)
    text = " ".join(pdftotext(signed, "-layout").split())
    for expected in (
        "UBND XÃ THỬ NGHIỆM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BIÊN BẢN NGHIỆM THU KHỐI LƯỢNG SỐ HÓA", "Tháng 02 năm 2027",
        "Hợp đồng số: HĐ-2027/BĐ-07", "Cơ quan nghiệm thu: UBND xã Thử Nghiệm",
        "1 Đăng ký kết hôn (1.000894) 1.204 3 0", "2 Đăng ký khai sinh (1.001193) 2 1 5",
        "3 (ngoài danh mục) (2.000999) 7 0 0", "Tổng cộng 1.213 4 5",
        "Tổng số trang được nghiệm thu, thanh toán: 1.213 trang",
        "Số trang bị loại (lỗi chất lượng hoặc bị từ chối khi duyệt): 4 trang",
        "Số trang trùng lặp (đã tính trước đó, không thanh toán): 5 trang",
        "Số trang chưa xử lý xong (tính vào tháng hoàn thành): 9 trang",
        "Lập lúc 08 giờ 05 phút, ngày 01 tháng 03 năm 2027",
        "ĐẠI DIỆN CƠ QUAN NGHIỆM THU", "Lê Thị Kiểm", "Ký bởi: UBND xã Thử Nghiệm",
    ):
        assert expected in text, expected
    assert len(pikepdf.open(io.BytesIO(signed)).pages) == 1


def test_the_agency_signature_validates_in_a_box_over_no_text(
        signed: bytes, pki: PkiPaths) -> None:  # noqa: F811 - the fixture imported above
    report = verify_pdf(signed, load_certificates(pki.root_cert))
    assert report.valid, report
    built = build_statement(DATA)
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        [widget] = [a for a in pdf.pages[0].Annots if str(a.get("/T", "")) == SIGNATURE_FIELD]
        assert [float(v) for v in widget.Rect] == pytest.approx(list(built.signature_box),
                                                                abs=0.01)
    text = pdfium.PdfDocument(built.pdf)[0].get_textpage()
    assert text.get_text_bounded(*built.signature_box).strip() == ""
    left, bottom, right, top = built.signature_box  # the check itself sees text above the box
    assert "(Ký và ghi rõ họ tên)" in text.get_text_bounded(left, bottom, right, top + 30)


def test_a_month_without_pages_says_so_and_too_many_procedures_are_refused() -> None:
    empty = build_statement(DATA.__class__(**{**DATA.__dict__, "procedures": (), "pending": 0}))
    text = " ".join(pdftotext(empty.pdf, "-layout").split())
    assert "(không có trang nào trong tháng)" in text and "Tổng cộng 0 0 0" in text
    many = tuple(ProcedurePages(f"1.{n:06d}", "Thủ tục thử", 1, 0, 0, 1) for n in range(60))
    with pytest.raises(SohoaError) as refused:
        build_statement(DATA.__class__(**{**DATA.__dict__, "procedures": many}))
    assert refused.value.code == "statement_too_long" and refused.value.message_vi
