"""The receipt slip (Mẫu số 01 "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"), signed by the agency.

Pure: plain data in (:class:`ReceiptData`), PDF bytes out; the route gathers the data from the
index and settings. Why it is built the way it is:

* The layout follows Mẫu số 01 of the one-stop rules (Thông tư 01/2018/TT-VPCP): the agency and the
  national motto side by side, the title, the dossier code, whose dossier and for what, the
  components received with their counts, the statutory time, the time received, the due date and
  where the result is collected, then the two signature columns. sohoa adds what a citizen needs to
  follow the dossier alone: a QR code of the public status URL and the lookup code printed beside it.
* Fonts, header, signature columns and the agency's PAdES signature are those of every paper
  the agency signs (``paper.py``): the signature's visible box is in the receiving officer's
  column, in room the layout left empty for it, so it covers nothing.
* The applicant's ID number is not printed: the slip is handed over and photographed, and the
  dossier code with the lookup code is all that is needed to follow it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlencode

import segno
from .domain import VIETNAM_TIME
from .errors import SohoaError
from .paper import MARGIN, BuiltPaper, Page, sign_paper, signature_text
from .paper import day_words as _day
from .pipeline.marks import draw_qr
from .pipeline.page_layout import QR_QUIET_MODULES
from .pipeline.sign import RecordSigning
from .procedures import Procedure

__all__ = ["SIGNATURE_FIELD", "BuiltReceipt", "ReceiptData", "ReceivedComponent",
           "build_receipt", "receipt_pdf", "received_components", "sign_receipt",
           "signature_text", "status_url"]
QR_MODULE = 2.0
"""Points per QR module: a version 4-6 symbol is about 4 cm with its quiet zone, easily read by a
phone from a printed slip."""
SIGNATURE_FIELD = "SoHoa_TiepNhan"
OTHER_COMPONENT = "Giấy tờ khác"
"""What a document uploaded without a ``component`` is listed as."""


@dataclass(frozen=True)
class ReceivedComponent:
    """One line of "Thành phần hồ sơ": a component and how many files of it were received."""

    name: str
    count: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt shows; times are aware datetimes (shown in Vietnam time)."""

    agency_name: str
    dossier_code: str
    procedure_code: str
    procedure_name: str | None
    """None: a procedure code the catalogue does not list (the code alone is printed)."""
    processing_days: int | None
    applicant_name: str | None
    components: tuple[ReceivedComponent, ...]
    received_at: datetime
    due_date: date | None
    collect_at: str
    """Where the result is collected (Đăng ký nhận kết quả tại)."""
    lookup_code: str
    status_url: str
    issued_at: datetime
    """When the slip is signed: the time in the signature's visible text."""
    clerk_name: str | None = None


def status_url(public_url: str, dossier_code: str, lookup_code: str) -> str:
    """``<public_url>/tra-cuu/<dossier_code>?k=<lookup_code>``: the QR's URL (the status page)."""
    return (f"{public_url.rstrip('/')}/tra-cuu/{quote(dossier_code, safe='')}?"
            f"{urlencode({'k': lookup_code})}")


def received_components(procedure: Procedure | None,
                        components: Iterable[str | None]) -> tuple[ReceivedComponent, ...]:
    """Count the dossier's documents by component: the catalogue's components first, in its
    order, then any other names as first seen; a document without one is "Giấy tờ khác"."""
    counts = Counter(unicodedata.normalize("NFC", c).strip() if c else OTHER_COMPONENT
                     for c in components)
    order = [c.name for c in procedure.components] if procedure is not None else []
    order += [name for name in counts if name not in order]
    return tuple(ReceivedComponent(name, counts[name]) for name in order if counts[name])


BuiltReceipt = BuiltPaper
"""The unsigned slip and its signature box."""


def build_receipt(data: ReceiptData) -> BuiltReceipt:
    """The slip laid out and drawn, unsigned, with the signature's reserved box."""
    slip = Page(f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {data.dossier_code}")
    pdf = slip.pdf
    received = data.received_at.astimezone(VIETNAM_TIME)
    issued = data.issued_at.astimezone(VIETNAM_TIME)

    slip.header([data.agency_name.upper(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"],
                f"Mẫu số 01 — {_day(issued.date()).capitalize()}")

    slip.text("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", style="B", size=14, align="C")
    slip.text(f"Mã hồ sơ: {data.dossier_code}", style="B", align="C")
    slip.gap(10)

    procedure = data.procedure_name or "(mã thủ tục ngoài danh mục)"
    slip.text(f"Bộ phận tiếp nhận và trả kết quả: {data.agency_name}")
    slip.text(f"Tiếp nhận hồ sơ của: Ông/Bà {data.applicant_name or '........................'}")
    slip.text(f"Nội dung yêu cầu giải quyết: {procedure} (mã thủ tục {data.procedure_code})")
    slip.gap(4)
    slip.text("1. Thành phần hồ sơ nộp gồm:", style="B")
    _components_table(slip, data.components)
    slip.gap(4)
    slip.text("2. Số lượng hồ sơ: 01 bộ")
    days = (f"{data.processing_days} ngày làm việc" if data.processing_days
            else "trong ngày làm việc" if data.processing_days == 0 else "theo quy định")
    slip.text(f"3. Thời gian giải quyết hồ sơ theo quy định: {days}")
    slip.text(f"4. Thời gian nhận hồ sơ: {received:%H} giờ {received:%M} phút, "
              f"{_day(received.date())}")
    due = _day(data.due_date) if data.due_date else "theo quy định của thủ tục"
    slip.text(f"5. Thời gian trả kết quả giải quyết hồ sơ: {due}")
    slip.text(f"6. Đăng ký nhận kết quả tại: {data.collect_at}")
    slip.gap(10)

    # Status QR (left) and how to use it (right).
    symbol = segno.make(data.status_url, error="m", micro=False, boost_error=True)
    side = (symbol.symbol_size(scale=1, border=0)[0] + 2 * QR_QUIET_MODULES) * QR_MODULE
    qr_top = pdf.get_y()
    draw_qr(pdf, symbol, (MARGIN, qr_top, MARGIN + side, qr_top + side), QR_MODULE)
    text_x, text_width = MARGIN + side + 8, slip.width - side - 8
    slip.text("Tra cứu tình trạng hồ sơ: quét mã QR hoặc mở địa chỉ", size=11, x=text_x,
              width=text_width, y=qr_top + QR_QUIET_MODULES * QR_MODULE)
    slip.text(data.status_url, size=10, x=text_x, width=text_width)
    slip.text(f"Mã tra cứu: {data.lookup_code}", style="B", size=13, x=text_x, width=text_width)
    pdf.set_y(max(pdf.get_y(), qr_top + side) + 10)

    # Signature columns: the applicant (left, by hand), the receiving officer (right: the agency's
    # digital signature box in room left empty, then the officer's name).
    return slip.signed_columns(
        "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", agency_name=data.agency_name,
        signed_at=data.issued_at, signer_name=data.clerk_name, too_long=SohoaError(
            "The receipt does not fit on one A4 page (too many components or too long names).",
            "Giấy tiếp nhận không vừa một trang A4 (quá nhiều thành phần hoặc tên quá dài).",
            code="receipt_too_long"))


def _components_table(slip: Page, components: tuple[ReceivedComponent, ...]) -> None:
    rows = [(str(i), c.name, f"{c.count:02d}") for i, c in enumerate(components, 1)]
    if not components:
        rows.append(("", "(chưa có giấy tờ nào được nộp)", ""))
    slip.table(("STT", "Tên giấy tờ", "Số lượng"), rows, widths=(34.0, None, 90.0),
               align=("CENTER", "LEFT", "CENTER"))


def sign_receipt(built: BuiltReceipt, signing: RecordSigning) -> bytes:
    """The slip with the agency's PAdES signature in its reserved box."""
    return sign_paper(built, signing, field=SIGNATURE_FIELD,
                      reason="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")


def receipt_pdf(data: ReceiptData, signing: RecordSigning) -> bytes:
    """The signed slip: :func:`build_receipt` then :func:`sign_receipt`."""
    return sign_receipt(build_receipt(data), signing)
