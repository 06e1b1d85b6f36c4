"""The visible part of a signature: its text, font, box size and place on the page.

Why it is written the way it is:

* The digitizer's signature (personal certificate) shows a bordered box with name and time; the
  agency's (organisation certificate) shows text only: the copy form, the agency's name and the ISO
  8601 time, in a Times-compatible 10 pt font, black, no image (Circular 01/2023/TT-VPCP).
* The appearance text is Vietnamese, so the font is embedded (Liberation Serif: metric-compatible
  with Times New Roman, full Vietnamese coverage) through pyHanko's OpenType support; the standard
  14 fonts cannot show tone marks and are not allowed in PDF/A.
* Boxes are sized from the font's metrics before anything is drawn, so the page layout
  (:mod:`.page_layout`) reserves their place in the header band once and the signer puts them
  exactly there.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import TextStampStyle

Box = tuple[float, float, float, float]
"""(x1, y1, x2, y2) in PDF points, origin at the bottom left of the page."""

DEFAULT_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
"""Debian ``fonts-liberation2``: Times New Roman metrics, every Vietnamese letter."""
FONT_SIZE = 10
MARGIN = 18.0
"""Distance of a signature box placed by :func:`corner_box` from the page edges (a quarter inch)."""
PADDING = 4.0
LEADING = 1.2
"""Line distance as a multiple of the font size."""
COPY_FORM_DEFAULT = "Bản sao điện tử được chuyển đổi từ bản giấy"
"""Default copy form stated by the agency signature (Decree 45/2020, Art. 3: bản sao điện tử)."""


@lru_cache(maxsize=4)
def _font_metrics(font_file: Path) -> tuple[dict[int, str], Any, int]:
    font = TTFont(str(font_file), lazy=True)
    return font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm


def text_width(text: str, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE) -> float:
    """Width in points of one line of ``text``: boxes are sized to the text so it never shrinks."""
    cmap, hmtx, units = _font_metrics(font_file)
    advance = sum(hmtx[cmap.get(ord(ch), ".notdef")][0] for ch in text)
    return advance * size / units


def text_box_size(
    text: str, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE
) -> tuple[float, float]:
    """(width, height) in points that hold ``text`` at ``size`` with the stamp's padding."""
    lines = text.split("\n")
    width = max(text_width(line, font_file=font_file, size=size) for line in lines)
    return width + 2 * PADDING + 2, len(lines) * round(size * LEADING) + 2 * PADDING


def wrap_text(
    text: str, width: float, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE
) -> str:
    """``text`` with each line broken at spaces so that no line is wider than ``width`` points.

    A single word wider than ``width`` stays whole on its own line (never cut inside a word): the
    caller sees it in the measured size and gives the box more room.
    """
    out: list[str] = []
    for line in text.split("\n"):
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and text_width(candidate, font_file=font_file, size=size) > width:
                out.append(current)
                current = word
            else:
                current = candidate
        out.append(current)
    return "\n".join(out)


def box_text(
    text: str, max_width: float, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE
) -> tuple[str, tuple[float, float]]:
    """``text`` wrapped to fit a signature box at most ``max_width`` wide, and that box's size."""
    wrapped = wrap_text(text, max_width - 2 * PADDING - 2, font_file=font_file, size=size)
    return wrapped, text_box_size(wrapped, font_file=font_file, size=size)


def media_box(pdf: bytes, page: int = 0) -> Box:
    """The media box of a page, normalised to (left, bottom, right, top), in points."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    page_ref, _ = reader.find_page_for_modification(page)
    node = page_ref.get_object()
    while "/MediaBox" not in node:  # the media box may be inherited from the page tree
        node = node["/Parent"].get_object()
    x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def corner_box(
    pdf: bytes,
    corner: Literal["top-left", "top-right"],
    size: tuple[float, float],
    *,
    page: int = 0,
    margin: float = MARGIN,
    offset: tuple[float, float] = (0.0, 0.0),
) -> Box:
    """A box of ``size`` in a top corner of ``page``.

    ``offset`` moves it right and down, e.g. past the QR code at the top left.
    """
    left_edge, _, right_edge, top_edge = media_box(pdf, page)
    width, height = size
    top = top_edge - margin - offset[1]
    if corner == "top-left":
        left = left_edge + margin + offset[0]
    else:
        left = right_edge - margin - offset[0] - width
    return (round(left, 2), round(top - height, 2), round(left + width, 2), round(top, 2))


def iso_time(when: datetime) -> str:
    """ISO 8601 with the UTC offset, to the second: what the agency text and manifests show."""
    return when.replace(microsecond=0).isoformat()


def digitizer_text(name: str, when: datetime) -> str:
    """Visible text of the digitizer's signature."""
    return f"Người số hóa: {name}\nKý lúc: {iso_time(when)}"


def agency_text(copy_form: str, agency: str, when: datetime) -> str:
    """Visible text of the agency's signature: the copy form, the agency and the ISO 8601 time."""
    return f"{copy_form}\n{agency}\nThời gian: {iso_time(when)}"


@lru_cache(maxsize=4)
def _font_at_1000_upem(font_file: Path) -> bytes:
    """The font rescaled to 1000 units per em.

    pyHanko 0.38 writes glyph widths (``/W``) and ``TJ`` adjustments in the font's own units, but
    PDF reads both as thousandths of an em: a TrueType font with 2048 units (Liberation, Times New
    Roman, DejaVu) comes out with every letter spaced twice too wide. Rescaling the font fixes it.
    """
    font = TTFont(str(font_file))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class EmbeddedFontFactory(FontEngineFactory):
    """pyHanko font engine factory for an OpenType/TrueType font, subset and embedded."""

    font_file: Path
    font_size: int = FONT_SIZE

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_at_1000_upem(self.font_file)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def stamp_style(font_file: Path, font_size: int, border: bool) -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(
            font=EmbeddedFontFactory(font_file, font_size),
            font_size=font_size,
            leading=round(font_size * LEADING),
            # No margin inside the text box: the stamp's layout below adds PADDING once, so the
            # natural size is what text_box_size() computes and the text never gets shrunk.
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MID, margins=Margins()
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(PADDING),
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
        border_width=1 if border else 0,
        background=None,
    )


