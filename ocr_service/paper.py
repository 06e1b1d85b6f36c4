"""One-page A4 papers the agency signs: the receipt slip (``receipts.py``) and the monthly
acceptance statement of a per-page contract (``statements.py``).

What they share, and why it is here once:

* Fonts are Liberation Serif (Times New Roman metrics, the usual face of administrative papers,
  every Vietnamese letter), embedded as fpdf2 subsets: the text copies and searches as NFC.
* The header is the administrative one (Nghị định 30/2020): the agency on the left, the national
  motto on the right with the paper's date; margins of 2 cm left and right.
* The signature columns end the page: a person signs the left one by hand, the agency signs the
  right one with its PAdES signature (:func:`~ocr_service.pipeline.sign.sign_pdf`, the records'
  signer, level, TSA and validation data) in a visible box placed in room the layout left empty
  for it, so that it covers nothing. Its text is sized with the signature font's metrics before
  anything is drawn, as the records' boxes are.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from .domain import VIETNAM_TIME
from .errors import SohoaError
from .pipeline.sign import RecordSigning, sign_pdf
from .pipeline.sign_appearance import Box, box_text, iso_time

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONTS = {"": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf",
         "I": "LiberationSerif-Italic.ttf"}
FAMILY = "paper"
A4 = (595.28, 841.89)
"""Points; fpdf2's A4."""
MARGIN = 56.7
"""2 cm left and right, as administrative papers are set (Nghị định 30/2020: 2-3 cm left)."""
TOP = 42.0
BODY_SIZE = 12.0


@dataclass(frozen=True)
class BuiltPaper:
    """The unsigned paper, and where its signature box goes (PDF points, origin bottom left)."""

    pdf: bytes
    signature_box: Box
    signature_text: str


def signature_text(agency_name: str, when: datetime) -> str:
    """The visible text of the agency's signature on a paper."""
    return f"Ký bởi: {agency_name}\nKý lúc: {iso_time(when.astimezone(VIETNAM_TIME))}"


def day_words(value: date) -> str:
    """``ngày 03 tháng 02 năm 2027``: how administrative papers write a date."""
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


def _fonts_ready() -> None:
    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        raise SohoaError(
            f"fonts {', '.join(missing)} are missing; install the Debian package fonts-liberation2",
            f"thiếu phông chữ {', '.join(missing)}; hãy cài gói Debian fonts-liberation2",
            code="font_unavailable")


class Page:
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
        self.half = self.width / 2

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

    def table(self, heading: tuple[str, ...], rows: list[tuple[str, ...]], *,
              widths: tuple[float | None, ...], align: tuple[str, ...],
              bold_last: bool = False) -> None:
        """A ruled table the text's width: ``heading`` in bold, then ``rows``; the one width
        given as None takes what the others leave; ``bold_last`` sets a totals row in bold."""
        pdf = self.pdf
        rest = pdf.epw - sum(w for w in widths if w is not None)
        pdf.set_font(FAMILY, size=11)
        with pdf.table(col_widths=tuple(rest if w is None else w for w in widths),
                       text_align=align, line_height=11 * 1.35, first_row_as_headings=True,
                       width=pdf.epw, headings_style=FontFace(emphasis="BOLD")) as table:
            table.row(heading)
            for n, row in enumerate(rows, 1):
                table.row(row, style=FontFace(emphasis="BOLD")
                          if bold_last and n == len(rows) else None)

    def header(self, left: list[str], note: str) -> None:
        """The agency's lines (left, bold, centred), the national motto (right) with ``note``
        (the form's name and date) in italics below it; the cursor goes below both."""
        top = self.pdf.get_y()
        left_end = top
        for line in left:
            left_end = self.text(line, style="B", size=11, align="C", width=self.half - 6,
                                 y=left_end)
        right = MARGIN + self.half
        self.text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style="B", size=11, align="C", x=right,
                  width=self.half, y=top)
        right_end = self.text("Độc lập - Tự do - Hạnh phúc", style="B", size=12, align="C",
                              x=right, width=self.half)
        right_end = self.text(note, style="I", size=11, align="C", x=right, width=self.half,
                              y=right_end + 4)
        self.pdf.set_y(max(left_end, right_end) + 14)

    def signed_columns(self, left_title: str, right_title: str, *, agency_name: str,
                       signed_at: datetime, signer_name: str | None,
                       too_long: SohoaError) -> BuiltPaper:
        """End the page with two signature columns: ``left_title`` signed by hand, the agency's
        digital signature box under ``right_title`` (then ``signer_name``, if any). Raises
        ``too_long`` when the page overflows A4."""
        pdf, half = self.pdf, self.half
        columns = pdf.get_y()
        self.text(left_title, style="B", align="C", width=half, y=columns)
        self.text("(Ký và ghi rõ họ tên)", style="I", size=11, align="C", width=half)
        self.text(right_title, style="B", align="C", x=MARGIN + half, width=half, y=columns)
        below = self.text("(Ký và ghi rõ họ tên)", style="I", size=11, align="C",
                          x=MARGIN + half, width=half)
        text, (box_width, box_height) = box_text(signature_text(agency_name, signed_at),
                                                 half - 12)
        box_left = MARGIN + half + (half - box_width) / 2
        box_top = below + 6
        if signer_name:
            self.text(signer_name, style="B", align="C", x=MARGIN + half, width=half,
                      y=box_top + box_height + 6)
        if max(pdf.get_y(), box_top + box_height) > A4[1] - 20:
            raise too_long
        box = (round(box_left, 2), round(A4[1] - box_top - box_height, 2),
               round(box_left + box_width, 2), round(A4[1] - box_top, 2))
        return BuiltPaper(bytes(pdf.output()), box, text)


def sign_paper(built: BuiltPaper, signing: RecordSigning, *, field: str, reason: str) -> bytes:
    """The paper with the agency's PAdES signature (the records' level, TSA and validation
    data) in its reserved box."""
    return sign_pdf(built.pdf, signing.agency, field=field, visible_box=built.signature_box,
                    appearance_text=built.signature_text, timestamper=signing.timestamper,
                    level=signing.level, validation=signing.validation, border=True,
                    font_file=signing.font_file, reason=reason)
