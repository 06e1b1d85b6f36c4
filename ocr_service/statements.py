"""The monthly acceptance statement of a per-page digitization contract ("Biên bản nghiệm thu
khối lượng số hóa"), signed by the agency.

Pure: plain data in (:class:`StatementData`), PDF bytes out; the route
(``api/routers/reports.py``) gathers the counted pages of the month from the index
(``store.batches.counted_pages``), the same figures the page report gives, so the statement and
the CSV can never disagree. Why it says what it says:

* Billable pages are listed by procedure, since contracts price and audit by procedure; rejected
  pages (failed or rejected in review) and duplicates (a scan sent again) are shown beside them
  and never billed; pages not finished yet are counted in the month they end.
* The agency signs it (PAdES, the records' signer) in a visible box in its column, and the
  postal operator's representative signs the left column by hand: the statement is what both
  sides accept. The layout, fonts and signing are those of the receipt slip (``paper.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .domain import VIETNAM_TIME
from .errors import SohoaError
from .paper import BuiltPaper, Page, day_words, sign_paper
from .pipeline.sign import RecordSigning

SIGNATURE_FIELD = "SoHoa_NghiemThu"


@dataclass(frozen=True)
class ProcedurePages:
    """One line of the statement: a procedure's pages by outcome in the month."""

    procedure_code: str
    procedure_name: str | None
    """None: a code the catalogue does not list (the code alone is printed)."""
    billable: int
    rejected: int
    duplicate: int
    documents: int


@dataclass(frozen=True)
class StatementData:
    """Everything a statement shows; ``month`` is ``YYYY-MM``, times are aware datetimes."""

    agency_name: str
    contract_code: str
    month: str
    procedures: tuple[ProcedurePages, ...]
    pending: int
    """Pages of the month's documents not finished yet (not billed this month)."""
    generated_at: datetime
    signer_name: str | None = None

    @property
    def billable(self) -> int:
        return sum(p.billable for p in self.procedures)

    @property
    def rejected(self) -> int:
        return sum(p.rejected for p in self.procedures)

    @property
    def duplicate(self) -> int:
        return sum(p.duplicate for p in self.procedures)


def _pages(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese thousands separator


def build_statement(data: StatementData) -> BuiltPaper:
    """The statement laid out and drawn, unsigned, with the signature's reserved box."""
    year, month = data.month.split("-")
    generated = data.generated_at.astimezone(VIETNAM_TIME)
    page = Page(f"Biên bản nghiệm thu khối lượng số hóa tháng {month}/{year} — "
                f"hợp đồng {data.contract_code}")
    page.header([data.agency_name.upper()], day_words(generated.date()).capitalize())
    page.text("BIÊN BẢN NGHIỆM THU KHỐI LƯỢNG SỐ HÓA", style="B", size=14, align="C")
    page.text(f"Tháng {month} năm {year}", style="B", align="C")
    page.gap(10)
    page.text(f"Cơ quan nghiệm thu: {data.agency_name}")
    page.text(f"Hợp đồng số: {data.contract_code}")
    page.text(f"Kỳ nghiệm thu: từ ngày 01/{month}/{year} đến hết tháng {month}/{year} "
              "(giờ Việt Nam)")
    page.gap(4)
    page.text("1. Số trang theo thủ tục hành chính:", style="B")
    rows = [(str(i), f"{p.procedure_name or '(ngoài danh mục)'} ({p.procedure_code})",
             _pages(p.billable), _pages(p.rejected), _pages(p.duplicate))
            for i, p in enumerate(data.procedures, 1)]
    if not rows:
        rows.append(("", "(không có trang nào trong tháng)", "0", "0", "0"))
    rows.append(("", "Tổng cộng", _pages(data.billable), _pages(data.rejected),
                 _pages(data.duplicate)))
    page.table(("STT", "Thủ tục", "Được thanh toán", "Bị loại", "Trùng lặp"), rows,
               widths=(30.0, None, 75.0, 55.0, 60.0),
               align=("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT"), bold_last=True)
    page.gap(6)
    page.text("2. Tổng hợp:", style="B")
    page.text(f"Tổng số trang được nghiệm thu, thanh toán: {_pages(data.billable)} trang")
    page.text(f"Số trang bị loại (lỗi chất lượng hoặc bị từ chối khi duyệt): "
              f"{_pages(data.rejected)} trang")
    page.text(f"Số trang trùng lặp (đã tính trước đó, không thanh toán): "
              f"{_pages(data.duplicate)} trang")
    page.text(f"Số trang chưa xử lý xong (tính vào tháng hoàn thành): {_pages(data.pending)} "
              "trang")
    page.text(f"Lập lúc {generated:%H} giờ {generated:%M} phút, {day_words(generated.date())}, "
              "từ sổ theo dõi của hệ thống; mỗi trang truy được về văn bản và hồ sơ điện tử.",
              style="I", size=11)
    page.gap(12)
    return page.signed_columns(
        "ĐẠI DIỆN ĐƠN VỊ SỐ HÓA", "ĐẠI DIỆN CƠ QUAN NGHIỆM THU", agency_name=data.agency_name,
        signed_at=data.generated_at, signer_name=data.signer_name, too_long=SohoaError(
            "The statement does not fit on one A4 page (too many procedures).",
            "Biên bản nghiệm thu không vừa một trang A4 (quá nhiều thủ tục).",
            code="statement_too_long"))


def statement_pdf(data: StatementData, signing: RecordSigning) -> bytes:
    """The signed statement: :func:`build_statement`, then the agency's PAdES signature."""
    return sign_paper(build_statement(data), signing, field=SIGNATURE_FIELD,
                      reason="Biên bản nghiệm thu khối lượng số hóa")
