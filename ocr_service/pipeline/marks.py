"""The visible marks that make a scanned page a legal e-copy: a QR code and a conversion mark.

Law 20/2023/QH15 on e-transactions, Art. 12(1)(c), asks a data message converted from paper to carry
"a distinct sign confirming that it was converted from paper, with information about the agency,
organisation or person that converted it"; Circular 01/2023/TT-VPCP asks for a QR code on the e-copy
so that a clerk can read the record's identity from a print-out or a screen. Both go on page 1, at
the top left, where Vietnamese administrative documents keep a blank margin (Decree 30/2020: 20-25
mm at the top, 30-35 mm at the left).

QR payload (format version 1)
-----------------------------
One line of UTF-8 text, ``|``-separated ``key=value`` fields in this fixed order::

    v=1|hs=<mã hồ sơ>|tthc=<mã TTHC>|id=<số định danh>|ten=<tên giấy tờ>|ht=<hệ thống>|tg=<thời gian>

=====  ==================================  =====================================================
key    field (``parse_qr_payload`` name)   value
=====  ==================================  =====================================================
v      ``version``                         format version, ``1``
hs     ``dossier_code``                    mã hồ sơ (dossier code)
tthc   ``procedure_code``                  mã thủ tục hành chính (procedure code)
id     ``owner_id_number``                 owner's personal ID number (số định danh cá nhân)
ten    ``title``                           document name (tên giấy tờ), NFC
ht     ``system_name``                     name of the system that issued the e-copy
tg     ``issued_at``                       issue (conversion) time, ISO 8601 with seconds, in
                                           Vietnam time, e.g. ``2026-11-22T14:30:00+07:00``
=====  ==================================  =====================================================

Why this shape: pipe-separated fields are what Vietnamese readers already meet on the chip ID card's
QR code, short fixed keys keep the symbol small (about version 8, 49 modules, for typical values)
while staying self-describing, and the leading version lets the format grow. Values are escaped so
that any text survives: ``%`` becomes ``%25``, ``|`` ``%7C``, CR ``%0D`` and LF ``%0A``; nothing
else is escaped, because percent-encoding Vietnamese letters would triple the payload. The symbol
is byte mode UTF-8 without an ECI header: that is what Vietnamese QR codes do in practice, and some
phone readers still mishandle ECI; zxing-cpp and phone cameras detect UTF-8 on their own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import segno

from ..domain import VIETNAM_TIME

if TYPE_CHECKING:
    from fpdf import FPDF

    from .pdfa import RecordMeta

QR_FORMAT_VERSION = "1"

_FIELDS: tuple[tuple[str, str], ...] = (
    ("v", "version"),
    ("hs", "dossier_code"),
    ("tthc", "procedure_code"),
    ("id", "owner_id_number"),
    ("ten", "title"),
    ("ht", "system_name"),
    ("tg", "issued_at"),
)
_ESCAPES = (("%", "%25"), ("|", "%7C"), ("\r", "%0D"), ("\n", "%0A"))

MM = 72 / 25.4
"""PDF points per millimetre."""
EDGE_INSET = 3 * MM
"""Distance of the marks from the page's top and left edges: inside any printer's margin."""
QR_SYMBOL_SIDE = 20 * MM
"""The symbol (without quiet zone) is about 2 cm: readable by a phone from a print-out."""
QR_MIN_MODULE = 0.33 * MM
"""Smallest module printed: 0.33 mm is still 2.6 pixels at 200 dpi, so long payloads grow the code."""
QR_QUIET_MODULES = 4
"""ISO/IEC 18004 asks for a 4-module light margin around the symbol."""
MARK_FONT_SIZE = 7.0
MARK_LINE_HEIGHT = MARK_FONT_SIZE * 1.25
MARK_GAP = 2 * MM
MARK_PADDING = 1 * MM
MARK_MAX_WIDTH = 95 * MM
"""The conversion mark wraps beyond this width, so that it stays in the top-left corner."""

Rect = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in PDF points, measured from the page's top-left corner."""


# --- QR payload -------------------------------------------------------------------------------


def issued_at_text(moment: datetime) -> str:
    """ISO 8601 time in Vietnam time, to the second: the ``tg`` field of the QR payload."""
    return moment.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")


def _escape(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _unescape(value: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        value = value.replace(escaped, raw)
    return value


def qr_payload(meta: RecordMeta) -> str:
    """The QR text for a record, in the format of this module's docstring (NFC)."""
    values = {
        "version": QR_FORMAT_VERSION,
        "dossier_code": meta.dossier_code,
        "procedure_code": meta.procedure_code,
        "owner_id_number": meta.owner_id_number,
        "title": meta.title,
        "system_name": meta.system_name,
        "issued_at": issued_at_text(meta.converted_at),
    }
    fields = (f"{key}={_escape(values[name])}" for key, name in _FIELDS)
    return unicodedata.normalize("NFC", "|".join(fields))


def parse_qr_payload(payload: str) -> dict[str, str]:
    """Read a QR payload back into named fields; raises ``ValueError`` for anything else.

    Strict on purpose: a verifier must not accept a code that merely looks like ours.
    """
    parts = payload.split("|")
    expected = [key for key, _ in _FIELDS]
    keys = [part.partition("=")[0] for part in parts]
    if keys != expected or any("=" not in part for part in parts):
        raise ValueError(f"not a sohoa QR payload: expected fields {expected}, got {keys}")
    fields = {name: _unescape(part.partition("=")[2]) for (_, name), part in zip(_FIELDS, parts)}
    if fields["version"] != QR_FORMAT_VERSION:
        raise ValueError(f"unsupported sohoa QR payload version {fields['version']!r}")
    datetime.fromisoformat(fields["issued_at"])  # raises ValueError when the time is malformed
    return fields


# --- Conversion mark --------------------------------------------------------------------------


def conversion_mark_lines(meta: RecordMeta) -> tuple[str, ...]:
    """The conversion mark's text, in the words of Law 20/2023 Art. 12, time in Vietnam time."""
    local = meta.converted_at.astimezone(VIETNAM_TIME)
    return (
        "Chuyển đổi từ văn bản giấy sang thông điệp dữ liệu",
        f"Thời gian chuyển đổi: {local:%H:%M} ngày {local:%d/%m/%Y}",
        f"Đơn vị chuyển đổi: {meta.converting_unit}",
    )


# --- Layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkLayout:
    """Where the marks go on page 1 (in points from the top-left corner) and what they cover.

    Exposed so that a later stage (the visible signature box) can keep clear of the marks.
    """

    qr: Rect
    """The QR code with its quiet zone (a white square)."""
    qr_module: float
    """Side of one QR module in points."""
    text: Rect
    """The conversion mark with its white background."""
    covered_lines: int
    """OCR lines the marks overlap; 0 unless the page has no blank top-left corner."""

    @property
    def bounds(self) -> Rect:
        """The smallest rectangle holding both marks."""
        return _union(self.qr, self.text)


def _union(a: Rect, b: Rect) -> Rect:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _covered(rects: Iterable[Rect], text_boxes: Sequence[Rect]) -> int:
    rects = tuple(rects)
    return sum(any(_overlaps(rect, box) for rect in rects) for box in text_boxes)


def make_qr(meta: RecordMeta) -> segno.QRCode:
    """The QR symbol of a record: error correction M at least (raised when it costs no size)."""
    return segno.make(qr_payload(meta), error="m", micro=False, eci=False, boost_error=True)


def _text_size(pdf: FPDF, lines: Sequence[str], page_width: float, left: float) -> tuple[float, float]:
    """Width and height of the conversion mark block, wrapped to the room left on the page."""
    pdf.set_font_size(MARK_FONT_SIZE)
    room = max(page_width - left - EDGE_INSET - 2 * MARK_PADDING, 20 * MM)
    widest = max(pdf.get_string_width(line) for line in lines) + 2 * pdf.c_margin  # cell padding
    width = min(widest, MARK_MAX_WIDTH, room)
    rows = sum(len(pdf.multi_cell(width, MARK_LINE_HEIGHT, line, dry_run=True, output="LINES"))
               for line in lines)
    return width + 2 * MARK_PADDING, rows * MARK_LINE_HEIGHT + 2 * MARK_PADDING


def layout_marks(pdf: FPDF, meta: RecordMeta, symbol: segno.QRCode, page_width: float,
                 text_boxes: Sequence[Rect]) -> MarkLayout:
    """Place the QR at the top-left corner and the conversion mark beside or below it.

    The QR's place is fixed (the Circular puts it at the top left). The conversion mark goes to the
    right of the QR when that covers no OCR line, else below it, else wherever covers fewer lines;
    both are drawn on white, so a mark that must overlap the scan stays legible.
    ``pdf`` must have the mark font selected (it measures the text).
    """
    modules = symbol.symbol_size(border=0)[0]
    module = max(QR_SYMBOL_SIDE / modules, QR_MIN_MODULE)
    side = (modules + 2 * QR_QUIET_MODULES) * module
    qr = (EDGE_INSET, EDGE_INSET, EDGE_INSET + side, EDGE_INSET + side)
    beside_left = qr[2] + MARK_GAP
    width, height = _text_size(pdf, conversion_mark_lines(meta), page_width, beside_left)
    beside = (beside_left, EDGE_INSET, beside_left + width, EDGE_INSET + height)
    below_width, below_height = _text_size(pdf, conversion_mark_lines(meta), page_width, EDGE_INSET)
    below = (EDGE_INSET, qr[3] + MARK_GAP, EDGE_INSET + below_width, qr[3] + MARK_GAP + below_height)
    text = min((beside, below), key=lambda rect: _covered([rect], text_boxes))
    return MarkLayout(qr=qr, qr_module=module, text=text, covered_lines=_covered([qr, text], text_boxes))


# --- Drawing ----------------------------------------------------------------------------------


def _white_box(pdf: FPDF, rect: Rect) -> None:
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1], style="F")


def _dark_runs(row: Sequence[int]) -> Iterable[tuple[int, int]]:
    """(start, length) of each run of dark modules in one row of the QR matrix."""
    start = None
    for column, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            yield start, column - start
            start = None


def draw_qr(pdf: FPDF, symbol: segno.QRCode, rect: Rect, module: float) -> None:
    """Draw the QR as vector rectangles, one filled path: crisp at any zoom, no seams between rows."""
    _white_box(pdf, rect)
    left = rect[0] + QR_QUIET_MODULES * module
    top = rect[1] + QR_QUIET_MODULES * module
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for y, row in enumerate(symbol.matrix):
            for x, length in _dark_runs(row):
                path.rectangle(left + x * module, top + y * module, length * module, module)


def draw_conversion_mark(pdf: FPDF, lines: Sequence[str], rect: Rect) -> None:
    """Write the conversion mark in black on a white box (legible over any scan background)."""
    _white_box(pdf, rect)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font_size(MARK_FONT_SIZE)
    pdf.set_xy(rect[0] + MARK_PADDING, rect[1] + MARK_PADDING)
    for line in lines:
        pdf.set_x(rect[0] + MARK_PADDING)
        pdf.multi_cell(rect[2] - rect[0] - 2 * MARK_PADDING, MARK_LINE_HEIGHT, line,
                       new_x="LMARGIN", new_y="NEXT")


def draw_marks(pdf: FPDF, meta: RecordMeta, page_width: float, text_boxes: Sequence[Rect]) -> MarkLayout:
    """Draw the QR code and the conversion mark on the current page; returns where they went.

    ``pdf`` must have a font covering Vietnamese selected, in fill (visible) text mode.
    """
    symbol = make_qr(meta)
    layout = layout_marks(pdf, meta, symbol, page_width, text_boxes)
    draw_qr(pdf, symbol, layout.qr, layout.qr_module)
    draw_conversion_mark(pdf, conversion_mark_lines(meta), layout.text)
    return layout
