"""Where everything goes on an e-record's pages: the scans, and page 1's header band.

Why it is laid out this way:

* Nothing is drawn over a scan. Page 1 gets a header band above its scan holding the QR code
  (top left), the digitizer's signature box beside it (top left), the agency's signature text (top
  right) and the conversion mark under one of them. A scan is never cropped, stretched or covered.
* The page keeps the paper's size and the scan on page 1 is scaled (uniformly, about 0.88 on A4)
  into the room below the band, rather than the page growing by the band's height: an A4 record
  stays A4, so it prints on A4 without a printer's fit-to-page guess, its pages share one size,
  and the page size says the paper's size. The image itself is not resampled: the file keeps every
  scanned pixel, only the drawing is smaller, and the text layer is scaled with it. The other
  pages are drawn at true size on pages of the paper's size.
* Small documents (ID cards, anything that fits in A5, anything narrower than A5) are placed at
  true physical size on an A4 page, two pages (front and back) per sheet, as a certified paper
  copy is made; the band goes above them on the first sheet.
* After deskew the page keeps the scanned paper's size: clean-up rotates the page on a larger
  canvas so that nothing is cut; the paper is the centred rectangle of the original size
  (:func:`paper_crop`), and only the scanner bed's corners outside it are left out.
* Signature boxes are sized from the font metrics of their text (wrapped to their column) once,
  here; the signer puts them exactly where this layout says.

Coordinates are PDF points (1/72 inch) from the top-left corner of a page, ``(left, top, right,
bottom)``, except :meth:`RecordLayout.pdf_box`, which gives PDF's own bottom-left origin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil, cos, radians, sin
from pathlib import Path

from .sign_appearance import box_text, text_width, wrap_text

MM = 72 / 25.4
"""PDF points per millimetre."""
A4 = (210 * MM, 297 * MM)
A5 = (148 * MM, 210 * MM)
SIZE_SLACK = 3 * MM
"""A scan a little larger than A5 (a scanner's margin) is still an A5-sized document."""
EDGE_INSET = 3 * MM
"""Distance of the band's contents from the page's top and side edges: inside any printer's margin."""
GAP = 2 * MM
"""Space between the band's parts, and under the band."""
SHEET_MARGIN = 10 * MM
"""Margin around small documents on their A4 sheet (pages without a band)."""
CARD_GAP = 8 * MM
"""Space between the front and back of a small document on one sheet."""
SMALL_PER_SHEET = 2
"""Front and back: how many small pages share one A4 sheet."""
MIN_COLUMN = 120.0
"""Narrowest signature column (points); a narrower page stacks the band in one column."""
MIN_SKEW = 0.1
"""Skews smaller than this were not resampled by clean-up (``clean.MIN_SKEW``)."""

QR_SYMBOL_SIDE = 20 * MM
"""The symbol (without quiet zone) is about 2 cm: readable by a phone from a print-out."""
QR_MIN_MODULE = 0.33 * MM
"""Smallest module printed: 0.33 mm is still 2.6 pixels at 200 dpi, so long payloads grow the code."""
QR_QUIET_MODULES = 4
"""ISO/IEC 18004 asks for a 4-module light margin around the symbol."""

MARK_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
"""The conversion mark's font (Debian ``fonts-dejavu-core``; the text layer's font too)."""
MARK_FONT_SIZE = 7.0
MARK_LINE_HEIGHT = MARK_FONT_SIZE * 1.25
MARK_PADDING = 1 * MM

Rect = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in PDF points, measured from the page's top-left corner."""
PixelBox = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels of a page image."""


@dataclass(frozen=True)
class ScanSize:
    """What the layout needs to know of a cleaned page: pixels, resolution, skew removed."""

    width: int
    height: int
    dpi: float
    skew: float = 0.0


@dataclass(frozen=True)
class ScanPlacement:
    """One scan on a sheet: which page, which of its pixels, drawn where."""

    page: int
    """Index of the page in the document (0-based)."""
    crop: PixelBox
    """The pixels shown: the whole image, or the paper's rectangle after deskew."""
    rect: Rect
    """Where those pixels are drawn on the sheet."""

    @property
    def scale(self) -> float:
        """Points per pixel (the same across and down: scans are never stretched)."""
        return (self.rect[2] - self.rect[0]) / (self.crop[2] - self.crop[0])

    def to_sheet(self, x: float, y: float) -> tuple[float, float]:
        """A point of the page image (pixels) on the sheet (points)."""
        return (self.rect[0] + (x - self.crop[0]) * self.scale,
                self.rect[1] + (y - self.crop[1]) * self.scale)


@dataclass(frozen=True)
class Sheet:
    """One PDF page: its size and the scans drawn on it."""

    width: float
    height: float
    scans: tuple[ScanPlacement, ...]


@dataclass(frozen=True)
class SignatureSlot:
    """A visible signature's place in the band and its text, wrapped to fit it."""

    rect: Rect
    text: str


@dataclass(frozen=True)
class Band:
    """Page 1's header band: everything that is not the scan."""

    bottom: float
    """The band ends here; the scan starts below."""
    qr: Rect
    """The QR code with its quiet zone."""
    qr_module: float
    mark: Rect
    """The conversion mark (padding included)."""
    mark_lines: tuple[str, ...]
    """The conversion mark's lines as drawn (wrapped to the mark's column)."""
    digitizer: SignatureSlot
    agency: SignatureSlot

    @property
    def parts(self) -> tuple[Rect, ...]:
        return (self.qr, self.mark, self.digitizer.rect, self.agency.rect)


@dataclass(frozen=True)
class RecordLayout:
    """Every sheet of a record and page 1's band: computed once, used to draw and to sign."""

    sheets: tuple[Sheet, ...]
    band: Band

    def pdf_box(self, rect: Rect) -> tuple[float, float, float, float]:
        """A rectangle of sheet 1 as PDF (and pyHanko) boxes are given: origin at the bottom left."""
        height = self.sheets[0].height
        return (round(rect[0], 2), round(height - rect[3], 2), round(rect[2], 2),
                round(height - rect[1], 2))


# --- Scans ------------------------------------------------------------------------------------


def paper_crop(width: int, height: int, skew: float) -> PixelBox:
    """The paper's rectangle in a page that clean-up deskewed on a grown canvas.

    Clean-up turns a ``w x h`` scan by ``skew`` about its centre onto a canvas of
    ``w·cos + h·sin`` by ``w·sin + h·cos`` so that nothing is cut; solving for ``w`` and ``h`` gives
    back the scanned paper's size, centred on the canvas. Unskewed pages are whole.
    """
    if abs(skew) < MIN_SKEW:
        return (0, 0, width, height)
    c, s = cos(radians(abs(skew))), sin(radians(abs(skew)))
    det = c * c - s * s
    paper_w = min(width, max(1, round((width * c - height * s) / det)))
    paper_h = min(height, max(1, round((height * c - width * s) / det)))
    left, top = (width - paper_w) // 2, (height - paper_h) // 2
    return (left, top, left + paper_w, top + paper_h)


def _paper_points(scan: ScanSize) -> tuple[PixelBox, float, float]:
    crop = paper_crop(scan.width, scan.height, scan.skew)
    return crop, (crop[2] - crop[0]) / scan.dpi * 72, (crop[3] - crop[1]) / scan.dpi * 72


def is_small(width: float, height: float) -> bool:
    """A document that goes onto an A4 sheet at true size: it fits in A5 (either way round), or
    it is narrower than A5, too narrow for the band."""
    short, long = sorted((width, height))
    fits_a5 = short <= A5[0] + SIZE_SLACK and long <= A5[1] + SIZE_SLACK
    return fits_a5 or width < A5[0] - SIZE_SLACK


def _groups(papers: Sequence[tuple[PixelBox, float, float]]) -> list[list[int]]:
    """Pages per sheet: small pages two by two (front and back), any other page alone."""
    groups: list[list[int]] = []
    for index, (_, width, height) in enumerate(papers):
        small = is_small(width, height)
        last = groups[-1] if groups else None
        if (small and last is not None and len(last) < SMALL_PER_SHEET
                and all(is_small(*papers[i][1:]) for i in last)):
            last.append(index)
        else:
            groups.append([index])
    return groups


def _fit(papers: Sequence[tuple[PixelBox, float, float]], pages: list[int], top: float,
         width: float, bottom: float, *, gap: float, margin: float, true_size: bool) -> tuple[ScanPlacement, ...]:
    """Stack ``pages`` centred between ``top`` and ``bottom``, at true size when ``true_size`` and
    there is room, else scaled down uniformly to fit."""
    widths = [papers[i][1] for i in pages]
    heights = [papers[i][2] for i in pages]
    room_w, room_h = width - 2 * margin, bottom - top - gap * (len(pages) - 1)
    scale = min(room_w / max(widths), room_h / sum(heights))
    if true_size:
        scale = min(1.0, scale)
    placements, y = [], top
    for index, w, h in zip(pages, widths, heights):
        left = (width - w * scale) / 2
        placements.append(ScanPlacement(index, papers[index][0], (left, y, left + w * scale, y + h * scale)))
        y += h * scale + gap
    return tuple(placements)


def _sheets(scans: Sequence[ScanSize], band_for: Callable[[float], Band]) -> tuple[tuple[Sheet, ...], Band]:
    papers = [_paper_points(scan) for scan in scans]
    sheets: list[Sheet] = []
    band: Band | None = None
    for number, group in enumerate(_groups(papers)):
        _, width, height = papers[group[0]]
        small = is_small(width, height)
        sheet_w, sheet_h = A4 if small else (width, height)
        top = 0.0
        if number == 0:
            band = band_for(sheet_w)
            top = band.bottom
        if small:
            placed = _fit(papers, group, top + (GAP if number == 0 else SHEET_MARGIN), sheet_w,
                          sheet_h - SHEET_MARGIN, gap=CARD_GAP, margin=SHEET_MARGIN, true_size=True)
        else:
            placed = _fit(papers, group, top, sheet_w, sheet_h, gap=0.0, margin=0.0, true_size=False)
        sheets.append(Sheet(sheet_w, sheet_h, placed))
    assert band is not None  # at least one page
    return tuple(sheets), band


# --- The band ---------------------------------------------------------------------------------


def qr_geometry(modules: int) -> tuple[float, float]:
    """(module side, side with quiet zone) in points of a QR symbol ``modules`` wide."""
    module = max(QR_SYMBOL_SIDE / modules, QR_MIN_MODULE)
    return module, (modules + 2 * QR_QUIET_MODULES) * module


def mark_block(lines: Sequence[str], max_width: float) -> tuple[tuple[str, ...], float, float]:
    """The conversion mark wrapped to ``max_width`` points: its lines, width and height."""
    wrapped = tuple(part for line in lines for part in wrap_text(
        line, max_width - 2 * MARK_PADDING, font_file=MARK_FONT, size=MARK_FONT_SIZE).split("\n"))
    width = max(text_width(line, font_file=MARK_FONT, size=MARK_FONT_SIZE) for line in wrapped)
    return (wrapped, ceil(width) + 2 * MARK_PADDING,
            len(wrapped) * MARK_LINE_HEIGHT + 2 * MARK_PADDING)


def _at(left: float, top: float, size: tuple[float, float]) -> Rect:
    return (left, top, left + size[0], top + size[1])


def layout_band(width: float, *, qr_modules: int, mark_lines: Sequence[str], digitizer_text: str,
                agency_text: str, signature_font: Path) -> Band:
    """Page 1's band on a page ``width`` points wide.

    Two columns where the page is wide enough: the QR code and the digitizer's box in the left
    half, the agency's text in the right half, the conversion mark under whichever of the two
    keeps the band lower. On a narrow page, one column right of the QR code: digitizer, agency
    (right-aligned), conversion mark.
    """
    module, side = qr_geometry(qr_modules)
    qr = (EDGE_INSET, EDGE_INSET, EDGE_INSET + side, EDGE_INSET + side)
    x0 = qr[2] + GAP
    left_room = width / 2 - GAP / 2 - x0
    if left_room >= MIN_COLUMN:
        right_room = width / 2 - GAP / 2 - EDGE_INSET
        d_text, d_size = box_text(digitizer_text, left_room, font_file=signature_font)
        a_text, a_size = box_text(agency_text, right_room, font_file=signature_font)
        digitizer = _at(x0, EDGE_INSET, d_size)
        agency = _at(width - EDGE_INSET - a_size[0], EDGE_INSET, a_size)
        options = []
        for column_left, room, above in ((x0, left_room, digitizer), (None, right_room, agency)):
            lines, mark_w, mark_h = mark_block(mark_lines, room)
            left = column_left if column_left is not None else width - EDGE_INSET - mark_w
            options.append((lines, _at(left, above[3] + GAP, (mark_w, mark_h))))
        lines, mark = min(options, key=lambda option: option[1][3])
    else:
        room = width - EDGE_INSET - x0
        d_text, d_size = box_text(digitizer_text, room, font_file=signature_font)
        a_text, a_size = box_text(agency_text, room, font_file=signature_font)
        digitizer = _at(x0, EDGE_INSET, d_size)
        agency = _at(width - EDGE_INSET - a_size[0], digitizer[3] + GAP, a_size)
        lines, mark_w, mark_h = mark_block(mark_lines, room)
        mark = _at(x0, agency[3] + GAP, (mark_w, mark_h))
    bottom = max(qr[3], mark[3], digitizer[3], agency[3]) + GAP
    return Band(bottom, qr, module, mark, lines, SignatureSlot(digitizer, d_text),
                SignatureSlot(agency, a_text))


def layout_record(scans: Sequence[ScanSize], *, qr_modules: int, mark_lines: Sequence[str],
                  digitizer_text: str, agency_text: str, signature_font: Path) -> RecordLayout:
    """The sheets of a record made of ``scans`` (cleaned pages, in order) and page 1's band."""
    if not scans:
        raise ValueError("a record needs at least one page")
    sheets, band = _sheets(scans, lambda width: layout_band(
        width, qr_modules=qr_modules, mark_lines=mark_lines, digitizer_text=digitizer_text,
        agency_text=agency_text, signature_font=signature_font))
    return RecordLayout(sheets, band)
