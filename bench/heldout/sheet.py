"""Lay out A4 pages with fpdf2 and raster them with PDFium: a drawing path the project never uses.

``sohoa_dev.synth`` draws with Pillow's FreeType; this module writes a PDF (fpdf2, its own text
measuring and kerning) and rasters it with PDFium (its own glyph rasteriser and anti-aliasing), in
fonts the project reserves for this generator (``sohoa_dev.synth.render.HELD_OUT_FONT_PREFIXES``):
GNU FreeFont (FreeSerif is metric-close to Times, FreeSans to Arial) and Open Sans.

Ground truth is what was written, in reading order (rows top to bottom, cells left to right).
Leaders are furniture: dotted ones are written into the truth as "....", which
``sohoa_dev.evaluation`` ignores; an underscore blank is left out of the truth altogether, so a
reader that prints "____" is charged for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from fpdf import FPDF

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FAMILIES: dict[str, dict[str, str]] = {
    "FreeSerif": {"": "FreeSerif.ttf", "B": "FreeSerifBold.ttf", "I": "FreeSerifItalic.ttf"},
    "FreeSans": {"": "FreeSans.ttf", "B": "FreeSansBold.ttf", "I": "FreeSansOblique.ttf"},
    "OpenSans": {"": "OpenSans-Regular.ttf", "B": "OpenSans-Bold.ttf",
                 "I": "OpenSans-Italic.ttf"},
}
FAMILY_WEIGHTS = {"FreeSerif": 3, "FreeSans": 1, "OpenSans": 1}
LEADERS = ("……", "....", "____", ". . ")
"""A blank's unit, repeated to fill it: ellipsis characters, full stops, underscores, spaced dots."""
A4 = (210.0, 297.0)


@lru_cache(maxsize=None)
def font_file(name: str) -> Path:
    for root in FONT_DIRS:
        for path in sorted(root.rglob(name)) if root.is_dir() else ():
            return path
    raise FileNotFoundError(f"{name} is not installed: run scripts/setup.sh "
                            "(fonts-freefont-ttf, fonts-open-sans)")


def truth_leader(unit: str) -> str:
    return "" if unit == "____" else "...."


@dataclass
class Sheet:
    """One page being written: a cursor going down, and the truth of what was written."""

    rng: random.Random
    family: str
    pt: float
    leader: str
    margins: tuple[float, float] = (25.0, 15.0)
    """Left and right, mm."""
    y: float = 18.0
    """Baseline of the next row, mm from the top."""
    size: tuple[float, float] = A4
    """Page width and height, mm (an ID card is 85.6 x 53.98)."""
    truth: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pdf = FPDF(unit="mm", format=self.size)
        self.pdf.set_auto_page_break(False)
        self.pdf.add_page()
        for style, name in FAMILIES[self.family].items():
            self.pdf.add_font(self.family, style, str(font_file(name)))
        self.font("", self.pt)

    # -- geometry --

    @property
    def left(self) -> float:
        return self.margins[0]

    @property
    def right(self) -> float:
        return self.size[0] - self.margins[1]

    def line_step(self, pt: float | None = None, spacing: float = 1.5) -> float:
        return (pt or self.pt) * 0.3528 * spacing

    def font(self, style: str, pt: float) -> None:
        self.pdf.set_font(self.family, style, pt)

    def width(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    def room(self, lines: int = 1) -> bool:
        return self.y + lines * self.line_step() < self.size[1] - 15

    def advance(self, spacing: float = 1.5, pt: float | None = None) -> None:
        self.y += self.line_step(pt, spacing)

    # -- writing --

    def put(self, x: float, text: str, style: str = "", pt: float | None = None) -> float:
        """Write ``text`` with its left end at ``x`` on the current baseline; return its right end."""
        self.font(style, pt or self.pt)
        self.pdf.text(x, self.y, text)
        return x + self.width(text)

    def centred(self, text: str, style: str = "", pt: float | None = None,
                span: tuple[float, float] | None = None, record: bool = True) -> None:
        lo, hi = span or (self.left, self.right)
        self.font(style, pt or self.pt)
        self.put((lo + hi - self.width(text)) / 2, text, style, pt)
        if record:
            self.truth.append(text)

    def columns(self, left: str, right: str, style: tuple[str, str] = ("B", "B"),
                pt: float | None = None, split: float = 0.42) -> None:
        """One row of a two-column heading, each half centred in its column; read left first."""
        middle = self.left + (self.right - self.left) * split
        row = []
        for text, span, face in ((left, (self.left - 8, middle), style[0]),
                                 (right, (middle, self.right + 5), style[1])):
            if text:
                self.centred(text, face, pt, span, record=False)
                row.append(text)
        self.truth.append(" ".join(row))

    def fill(self, x: float, end: float, pt: float | None = None) -> str:
        """Draw the page's leader from ``x`` to ``end``; return its truth ("" when none fits)."""
        self.font("", pt or self.pt)
        unit_w = self.width(self.leader)
        count = int((end - x) // unit_w) if unit_w > 0 else 0
        if count < 2:
            return ""
        self.pdf.text(x, self.y, self.leader * count)
        return truth_leader(self.leader)

    def fields(self, parts: list[tuple[str, str]], wrap: bool = True) -> None:
        """A row of "label: value" blanks, the row's width shared between them; each blank is
        its value (if any) followed by a leader to the end of its share. A single part whose
        value does not fit goes on over the next rows."""
        shares = self._shares(parts)
        truth: list[str] = []
        x = self.left
        if len(parts) == 1 and wrap:
            label, value = parts[0]
            first, rest = self._split(label + " ", value, self.right - self.left)
            end = self.put(x, label + " " + first if first else label)
            truth.append((label + " " + first).strip())
            while rest:
                self.truth.append(" ".join(truth))
                truth = []
                self.advance()
                line, rest = self._split("", rest, self.right - self.left)
                end = self.put(x, line)
                truth.append(line)
            leader = self.fill(end + 1.5, self.right)
            self.truth.append(" ".join(t for t in (*truth, leader) if t))
            return
        for (label, value), share in zip(parts, shares):
            text = f"{label} {value}".strip()
            end = self.put(x, text)
            leader = self.fill(end + 1.5, x + share - 2)
            truth += [t for t in (text, leader) if t]
            x += share
        self.truth.append(" ".join(truth))

    def rows(self, *rows: list[tuple[str, str]]) -> None:
        """``fields`` row after row, each followed by a line step."""
        for parts in rows:
            self.fields(parts)
            self.advance()

    def line(self, text: str, style: str = "") -> None:
        """One left-aligned line of print (a caption, an instruction), set smaller when it would
        run past the right margin."""
        pt = self.pt
        self.font(style, pt)
        while self.width(text) > self.right - self.left and pt > 4:
            pt -= 0.25
            self.font(style, pt)
        self.put(self.left, text, style, pt)
        self.truth.append(text)

    def monospace(self, lines: tuple[str, ...], x: float, pt: float, step: float) -> None:
        """Lines in FreeMono (an MRZ), ``step`` mm apart."""
        self.pdf.add_font("FreeMono", "", str(font_file("FreeMono.ttf")))
        self.pdf.set_font("FreeMono", "", pt)
        for text in lines:
            self.pdf.text(x, self.y, text)
            self.truth.append(text)
            self.y += step

    def _shares(self, parts: list[tuple[str, str]]) -> list[float]:
        total = self.right - self.left
        needs = [self.width(f"{label} {value}") + 12 for label, value in parts]
        spare = max(0.0, total - sum(needs))
        return [need + spare / len(parts) for need in needs]

    def _split(self, prefix: str, value: str, width: float) -> tuple[str, str]:
        """The words of ``value`` that fit after ``prefix`` within ``width`` (less a short
        leader), and the rest."""
        words = value.split()
        kept: list[str] = []
        while words and self.width(prefix + " ".join([*kept, words[0]])) < width - 8:
            kept.append(words.pop(0))
        if not kept and words and not prefix:
            kept.append(words.pop(0))
        return " ".join(kept), " ".join(words)

    def paragraph(self, text: str, indent: float = 10.0, style: str = "",
                  align: str = "J", spacing: float = 1.35) -> None:
        """Justified prose; the first line indented. The whole text is one truth entry (line
        breaks are whitespace to the measure)."""
        self.font(style, self.pt)
        step = self.line_step(spacing=spacing)
        top = self.y - self.pt * 0.3528 * 0.8
        self.pdf.set_xy(self.left, top)
        self.pdf.set_x(self.left)
        lines = self.pdf.multi_cell(self.right - self.left - indent, step, text, dry_run=True,
                                    output="LINES")
        first = lines[0] if lines else ""
        self.pdf.set_xy(self.left + indent, top)
        self.pdf.multi_cell(self.right - self.left - indent, step, first, align="L")
        rest = " ".join(text.split()[len(first.split()):])
        if rest:
            self.pdf.set_xy(self.left, top + step)
            self.pdf.multi_cell(self.right - self.left, step, rest, align=align)
        self.y = self.pdf.get_y() + self.pt * 0.3528 * 0.8
        self.truth.append(text)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """A ruled table, one text line per cell; header bold. Read row by row."""
        pt = self.pt - 1
        height = self.line_step(pt, 1.6)
        x0 = self.left
        scale = (self.right - self.left) / sum(widths)
        widths = [w * scale for w in widths]
        for r, cells in enumerate([header, *rows]):
            top = self.y - height * 0.7
            x = x0
            for text, w in zip(cells, widths):
                self.pdf.rect(x, top, w, height)
                self.font("B" if r == 0 else "", pt)
                size = pt
                while self.width(text) > w - 1.5 and size > 6:
                    size -= 0.5
                    self.font("B" if r == 0 else "", size)
                self.pdf.text(x + (w - self.width(text)) / 2, self.y, text)
                x += w
            self.truth.append(" ".join(c for c in cells if c))
            self.y += height
        self.y += self.line_step(pt, 0.4)

    # -- output --

    def raster(self, dpi: int) -> np.ndarray:
        """The page as H x W x 3 BGR uint8 at ``dpi``, rastered by PDFium."""
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(bytes(self.pdf.output()))
        try:
            image = document[0].render(scale=dpi / 72.0).to_pil().convert("RGB")
        finally:
            document.close()
        return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])

    @property
    def text(self) -> str:
        return "\n".join(t for t in self.truth if t)


def new_sheet(rng: random.Random, pt_range: tuple[float, float] = (9.0, 14.0)) -> Sheet:
    """A page in a family, size and leader style drawn from ``rng``."""
    family = rng.choices(list(FAMILY_WEIGHTS), weights=list(FAMILY_WEIGHTS.values()))[0]
    pt = round(rng.uniform(*pt_range) * 2) / 2
    return Sheet(rng, family, pt, rng.choice(LEADERS),
                 margins=(rng.uniform(18, 30), rng.uniform(12, 20)), y=rng.uniform(14, 22))
