"""The visible marks that make a scanned page a legal e-copy: a QR code and a conversion mark.

Law 20/2023/QH15 on e-transactions, Art. 12(1)(c), asks a data message converted from paper to carry
"a distinct sign confirming that it was converted from paper, with information about the agency,
organisation or person that converted it"; Circular 01/2023/TT-VPCP asks for a QR code on the e-copy
so that a clerk can read the record's identity from a print-out or a screen. Both go in page 1's
header band above the scan (:mod:`.page_layout` decides where), never over the scanned paper.

QR payload (format version 2)
-----------------------------
One line of UTF-8 text, ``|``-separated ``key=value`` fields in this fixed order::

    v=2|hs=<mã hồ sơ>|tthc=<mã TTHC>|id=<số định danh>|ten=<tên giấy tờ>|ht=<hệ thống>|tg=<thời gian>|ma=<mã hồ sơ điện tử>|url=<địa chỉ tra cứu>

=====  ==================================  =====================================================
key    field (``parse_qr_payload`` name)   value
=====  ==================================  =====================================================
v      ``version``                         format version, ``2`` (``1`` had no ``ma`` and ``url``)
hs     ``dossier_code``                    mã hồ sơ (dossier code)
tthc   ``procedure_code``                  mã thủ tục hành chính (procedure code)
id     ``owner_id_number``                 owner's personal ID number (số định danh cá nhân)
ten    ``title``                           document name (tên giấy tờ), NFC
ht     ``system_name``                     name of the system that issued the e-copy
tg     ``issued_at``                       issue (conversion) time, ISO 8601 with seconds, in
                                           Vietnam time, e.g. ``2026-11-22T14:30:00+07:00``
ma     ``record_id``                       the e-record's id (a UUID), as in its manifest
url    ``verify_url``                      ``SOHOA_PUBLIC_URL/v/<record id>``: the public page
                                           that says whether the record exists and is valid
=====  ==================================  =====================================================

A printed copy thus leads to verification: a phone opens ``url``; a clerk's reader takes ``ma``.
Version 1 payloads (records made before) are still read, without those two fields.

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
from datetime import datetime
from typing import TYPE_CHECKING

import segno

from ..domain import VIETNAM_TIME
from .page_layout import MARK_FONT_SIZE, MARK_LINE_HEIGHT, MARK_PADDING, QR_QUIET_MODULES, Rect

if TYPE_CHECKING:
    from fpdf import FPDF

    from .pdfa import RecordMeta

QR_FORMAT_VERSION = "2"

_FIELDS_V1: tuple[tuple[str, str], ...] = (
    ("v", "version"),
    ("hs", "dossier_code"),
    ("tthc", "procedure_code"),
    ("id", "owner_id_number"),
    ("ten", "title"),
    ("ht", "system_name"),
    ("tg", "issued_at"),
)
_FIELDS = (*_FIELDS_V1, ("ma", "record_id"), ("url", "verify_url"))
_FIELDS_BY_VERSION = {"1": _FIELDS_V1, QR_FORMAT_VERSION: _FIELDS}
_ESCAPES = (("%", "%25"), ("|", "%7C"), ("\r", "%0D"), ("\n", "%0A"))


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
        "record_id": meta.record_id or "",
        "verify_url": meta.verify_url or "",
    }
    fields = (f"{key}={_escape(values[name])}" for key, name in _FIELDS)
    return unicodedata.normalize("NFC", "|".join(fields))


def parse_qr_payload(payload: str) -> dict[str, str]:
    """Read a QR payload (version 2, or 1 of older records) into named fields; raises
    ``ValueError`` for anything else.

    Strict on purpose: a verifier must not accept a code that merely looks like ours.
    """
    parts = payload.split("|")
    version = parts[0].partition("=")[2] if parts[0].startswith("v=") else None
    if version not in _FIELDS_BY_VERSION:
        raise ValueError(f"not a sohoa QR payload, or unsupported version {version!r}")
    spec = _FIELDS_BY_VERSION[version]
    expected = [key for key, _ in spec]
    keys = [part.partition("=")[0] for part in parts]
    if keys != expected or any("=" not in part for part in parts):
        raise ValueError(f"not a sohoa QR payload: expected fields {expected}, got {keys}")
    fields = {name: _unescape(part.partition("=")[2]) for (_, name), part in zip(spec, parts)}
    datetime.fromisoformat(fields["issued_at"])  # raises ValueError when the time is malformed
    return fields


def make_qr(meta: RecordMeta) -> segno.QRCode:
    """The QR symbol of a record: error correction M at least (raised when it costs no size)."""
    return segno.make(qr_payload(meta), error="m", micro=False, eci=False, boost_error=True)


# --- Conversion mark --------------------------------------------------------------------------


def conversion_mark_lines(meta: RecordMeta) -> tuple[str, ...]:
    """The conversion mark's text, in the words of Law 20/2023 Art. 12, time in Vietnam time."""
    local = meta.converted_at.astimezone(VIETNAM_TIME)
    return (
        "Chuyển đổi từ văn bản giấy sang thông điệp dữ liệu",
        f"Thời gian chuyển đổi: {local:%H:%M} ngày {local:%d/%m/%Y}",
        f"Đơn vị chuyển đổi: {meta.converting_unit}",
    )


# --- Drawing ----------------------------------------------------------------------------------


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
    """Draw the QR as vector rectangles, one filled path: crisp at any zoom, no seams between rows.

    The quiet zone is the band's white paper: nothing else is drawn inside ``rect``.
    """
    left = rect[0] + QR_QUIET_MODULES * module
    top = rect[1] + QR_QUIET_MODULES * module
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for y, row in enumerate(symbol.matrix):
            for x, length in _dark_runs(row):
                path.rectangle(left + x * module, top + y * module, length * module, module)


def draw_conversion_mark(pdf: FPDF, lines: Sequence[str], rect: Rect) -> None:
    """Write the conversion mark's (already wrapped) lines in black inside ``rect``.

    ``pdf`` must have the mark font (:data:`~.page_layout.MARK_FONT`) selected, in fill
    (visible) text mode.
    """
    pdf.set_text_color(0, 0, 0)
    pdf.set_font_size(MARK_FONT_SIZE)
    ascent = MARK_FONT_SIZE * 0.93  # DejaVu Sans' ascender: the first baseline under the top
    for index, line in enumerate(lines):
        baseline = rect[1] + MARK_PADDING + ascent + index * MARK_LINE_HEIGHT
        pdf.text(rect[0] + MARK_PADDING, baseline, line)
