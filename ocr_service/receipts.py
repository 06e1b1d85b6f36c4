"""The receipt slip (Mẫu số 01 "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"), signed by the agency.

Pure: plain data in (:class:`ReceiptData`), PDF bytes out; the route gathers the data from the
index and settings. Why it is built the way it is:

* The layout follows Mẫu số 01 of the one-stop rules (Thông tư 01/2018/TT-VPCP): the agency and the
  national motto side by side, the title, the dossier code, whose dossier and for what, the
  components received with their counts, the statutory time, the time received, the due date and
  where the result is collected, then the two signature columns. sohoa adds what a citizen needs to
  follow the dossier alone: a QR code of the public status URL and the lookup code printed beside it.
* Fonts are Liberation Serif (Times New Roman metrics, the usual face of administrative papers,
  every Vietnamese letter), embedded as fpdf2 subsets: the text copies and searches as NFC.
* The agency's PAdES signature (:func:`~ocr_service.pipeline.sign.sign_pdf`, the same signer and
  level as the records) has a visible box in the receiving officer's column, placed in room the
  layout left empty for it: it covers nothing. Its text is sized with the signature font's metrics
  before anything is drawn, as the records' boxes are.
* The applicant's ID number is not printed: the slip is handed over and photographed, and the
  dossier code with the lookup code is all that is needed to follow it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

from .domain import VIETNAM_TIME
from .errors import SohoaError
from .pipeline.marks import draw_qr
from .pipeline.page_layout import QR_QUIET_MODULES
from .pipeline.sign import RecordSigning, sign_pdf
from .pipeline.sign_appearance import Box, box_text, iso_time
from .procedures import Procedure

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONTS = {"": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf",
         "I": "LiberationSerif-Italic.ttf"}
FAMILY = "receipt"
A4 = (595.28, 841.89)
"""Points; fpdf2's A4."""
MARGIN = 56.7
"""2 cm left and right, as administrative papers are set (Nghị định 30/2020: 2-3 cm left)."""
TOP = 42.0
BODY_SIZE = 12.0
LINE = BODY_SIZE * 1.35
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


def signature_text(agency_name: str, when: datetime) -> str:
    """The visible text of the agency's signature on the slip."""
    return f"Ký bởi: {agency_name}\nKý lúc: {iso_time(when.astimezone(VIETNAM_TIME))}"


@dataclass(frozen=True)
class BuiltReceipt:
    """The unsigned slip, and where its signature box goes (PDF points, origin bottom left)."""

    pdf: bytes
    signature_box: Box
    signature_text: str


def _fonts_ready() -> None:
    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        raise SohoaError(
            f"fonts {', '.join(missing)} are missing; install the Debian package fonts-liberation2",
            f"thiếu phông chữ {', '.join(missing)}; hãy cài gói Debian fonts-liberation2",
            code="font_unavailable")


def _day(value: date) -> str:
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


class _Slip:
    """A cursor over one A4 page: lines of text, wrapped to the text width."""

    def __init__(self, title: str) -> None:
        _fonts_ready()
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN, TOP, MARGIN)
        pdf.set_title(title)
        pdf.set_lang("vi")
        pdf.set_creator("sohoa")
        for style, name in FONTS.items():
            pdf.add_font(FAMILY, style=style, fname=str(FONT_DIR / name))
        pdf.add_page()
        self.pdf = pdf
        self.width = A4[0] - 2 * MARGIN

    def text(self, text: str, *, style: str = "", size: float = BODY_SIZE, align: str = "L",
             x: float | None = None, width: float | None = None, y: float | None = None) -> float:
        """Write ``text`` (wrapped) at the cursor or at (x, y); returns the y below it."""
        pdf = self.pdf
        pdf.set_font(FAMILY, style=style, size=size)
        pdf.set_xy(MARGIN if x is None else x, pdf.get_y() if y is None else y)
        pdf.multi_cell(self.width if width is None else width, size * 1.35,
                       unicodedata.normalize("NFC", text), align=align,
                       new_x="LMARGIN", new_y="NEXT")
        return pdf.get_y()

    def gap(self, points: float) -> None:
        self.pdf.set_y(self.pdf.get_y() + points)


def build_receipt(data: ReceiptData) -> BuiltReceipt:
    """The slip laid out and drawn, unsigned, with the signature's reserved box."""
    slip = _Slip(f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả {data.dossier_code}")
    pdf = slip.pdf
    half = slip.width / 2
    received = data.received_at.astimezone(VIETNAM_TIME)
    issued = data.issued_at.astimezone(VIETNAM_TIME)

    # Header: agency (left), national motto and date (right).
    top = pdf.get_y()
    left_end = slip.text(data.agency_name.upper(), style="B", size=11, align="C", width=half - 6)
    left_end = slip.text("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", style="B", size=11, align="C",
                         width=half - 6, y=left_end)
    slip.text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style="B", size=11, align="C",
              x=MARGIN + half, width=half, y=top)
    right_end = slip.text("Độc lập - Tự do - Hạnh phúc", style="B", size=12, align="C",
                          x=MARGIN + half, width=half)
    right_end = slip.text(f"Mẫu số 01 — {_day(issued.date()).capitalize()}", style="I", size=11,
                          align="C", x=MARGIN + half, width=half, y=right_end + 4)
    pdf.set_y(max(left_end, right_end) + 14)

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
    columns = pdf.get_y()
    slip.text("NGƯỜI NỘP HỒ SƠ", style="B", align="C", width=half, y=columns)
    slip.text("(Ký và ghi rõ họ tên)", style="I", size=11, align="C", width=half)
    slip.text("NGƯỜI TIẾP NHẬN HỒ SƠ", style="B", align="C", x=MARGIN + half, width=half,
              y=columns)
    below = slip.text("(Ký và ghi rõ họ tên)", style="I", size=11, align="C", x=MARGIN + half,
                      width=half)
    text, (box_width, box_height) = box_text(signature_text(data.agency_name, data.issued_at),
                                             half - 12)
    box_left = MARGIN + half + (half - box_width) / 2
    box_top = below + 6
    if data.clerk_name:
        slip.text(data.clerk_name, style="B", align="C", x=MARGIN + half, width=half,
                  y=box_top + box_height + 6)
    if pdf.get_y() > A4[1] - 20:
        raise SohoaError(
            "The receipt does not fit on one A4 page (too many components or too long names).",
            "Giấy tiếp nhận không vừa một trang A4 (quá nhiều thành phần hoặc tên quá dài).",
            code="receipt_too_long")
    box = (round(box_left, 2), round(A4[1] - box_top - box_height, 2),
           round(box_left + box_width, 2), round(A4[1] - box_top, 2))
    return BuiltReceipt(bytes(pdf.output()), box, text)


def _components_table(slip: _Slip, components: tuple[ReceivedComponent, ...]) -> None:
    pdf = slip.pdf
    widths = (34.0, pdf.epw - 34.0 - 90.0, 90.0)
    pdf.set_font(FAMILY, size=11)
    rows = [("STT", "Tên giấy tờ", "Số lượng")]
    rows += [(str(i), c.name, f"{c.count:02d}") for i, c in enumerate(components, 1)]
    if not components:
        rows.append(("", "(chưa có giấy tờ nào được nộp)", ""))
    with pdf.table(col_widths=widths, text_align=("CENTER", "LEFT", "CENTER"),
                   line_height=11 * 1.35, first_row_as_headings=True, width=pdf.epw,
                   headings_style=FontFace(emphasis="BOLD")) as table:
        for row in rows:
            table.row(row)


def sign_receipt(built: BuiltReceipt, signing: RecordSigning) -> bytes:
    """The slip with the agency's PAdES signature (the records' level, TSA and validation data)
    in its reserved box."""
    return sign_pdf(built.pdf, signing.agency, field=SIGNATURE_FIELD,
                    visible_box=built.signature_box, appearance_text=built.signature_text,
                    timestamper=signing.timestamper, level=signing.level,
                    validation=signing.validation, border=True, font_file=signing.font_file,
                    reason="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")


def receipt_pdf(data: ReceiptData, signing: RecordSigning) -> bytes:
    """The signed slip: :func:`build_receipt` then :func:`sign_receipt`."""
    return sign_receipt(build_receipt(data), signing)
