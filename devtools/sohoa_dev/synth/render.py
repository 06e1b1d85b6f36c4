"""Draw synthetic A4 pages with PIL and record where every line of text went.

A page is laid out top to bottom like a word-processed office document: centred bold headings,
label lines whose blanks are printed dot leaders, justified paragraphs with an indented first
line, a right-hand signature block. The fonts are those offices use, or metric-compatible ones
(Liberation for Times New Roman / Arial), plus DejaVu and Noto, in sizes 11-14 pt at the page's
resolution (down to 9 pt when a caller asks for a smaller body size, as offices print dense
forms). A font is used for a page only if it has a real glyph for every character on it: a
missing precomposed Vietnamese letter would otherwise be drawn as an empty box while the ground
truth says "ễ", and every OCR figure measured on that page would be wrong.

Ground truth is one entry per drawn line (one per column where a line has columns), in reading
order, with its ink box in page pixels. Text that does not fit the page is not drawn and not in
the ground truth.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.domain import Quad
from sohoa_dev.synth.corpus import KINDS, Block, Kind, PageContent, Pool, Segment, page_content

A4_MM = (210.0, 297.0)
MIN_DPI, MAX_DPI = 72, 600
MIN_PT, MAX_PT = 9.0, 14.0
"""Body sizes a caller may ask for; the seed alone draws 11-13.5 pt."""
EXTRA_FONT_DIRS_ENV = "SOHOA_DEV_FONT_DIRS"
FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
              *(Path(d) for d in os.environ.get(EXTRA_FONT_DIRS_ENV, "").split(os.pathsep) if d))
"""Where fonts are looked for: the system's, then the directories named in
``SOHOA_DEV_FONT_DIRS`` (``os.pathsep``-separated). Training adds ``training/fonts.sh``'s typefaces
that way, without installing them, so the pages and lines of every other run keep their fonts."""
Face = Literal["regular", "bold", "italic"]
LINE_SPACING: dict[str, tuple[float, float]] = {"form": (1.45, 1.8), "prose": (1.2, 1.45)}
"""Line height as a multiple of the font size; forms leave room to write on the blanks."""


# --- fonts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontFamily:
    name: str
    files: dict[Face, str] = field(hash=False)
    """File name of each face; found anywhere under ``FONT_ROOTS``."""


FAMILIES: tuple[FontFamily, ...] = (
    FontFamily("Liberation Serif", {"regular": "LiberationSerif-Regular.ttf",
                                    "bold": "LiberationSerif-Bold.ttf",
                                    "italic": "LiberationSerif-Italic.ttf"}),
    FontFamily("Liberation Sans", {"regular": "LiberationSans-Regular.ttf",
                                   "bold": "LiberationSans-Bold.ttf",
                                   "italic": "LiberationSans-Italic.ttf"}),
    FontFamily("DejaVu Serif", {"regular": "DejaVuSerif.ttf", "bold": "DejaVuSerif-Bold.ttf",
                                "italic": "DejaVuSerif-Italic.ttf"}),
    FontFamily("DejaVu Sans", {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf",
                               "italic": "DejaVuSans-Oblique.ttf"}),
    FontFamily("Noto Serif", {"regular": "NotoSerif-Regular.ttf", "bold": "NotoSerif-Bold.ttf",
                              "italic": "NotoSerif-Italic.ttf"}),
    FontFamily("Noto Sans", {"regular": "NotoSans-Regular.ttf", "bold": "NotoSans-Bold.ttf",
                             "italic": "NotoSans-Italic.ttf"}),
)


HELD_OUT_FONT_PREFIXES: tuple[str, ...] = ("FreeMono", "FreeSans", "FreeSerif", "OpenSans-")
"""File names of fonts reserved for the second held-out generator (``bench/heldout/``): Debian
``fonts-freefont-ttf`` and ``fonts-open-sans``. Nothing here draws with them, so no model is
trained and no rule tuned on their shapes, and that generator's pages stay truly unseen."""


HELD_OUT_KIN_PREFIXES: tuple[str, ...] = ("texgyretermes", "texgyreheros", "texgyrecursor", "Nimbus")
"""File names of the fonts drawn from the same URW originals (Nimbus Roman, Sans and Mono) as
the reserved FreeSerif, FreeSans and FreeMono: training on them would be training on the held-out
generator's shapes. Debian ``fonts-texgyre`` (Termes, Heros, Cursor) and ``fonts-urw-base35``."""


def is_held_out_font(path: Path) -> bool:
    """Whether ``path`` is one of the fonts only the second held-out generator may use, or kin of
    one (``HELD_OUT_KIN_PREFIXES``)."""
    return path.name.startswith(HELD_OUT_FONT_PREFIXES + HELD_OUT_KIN_PREFIXES)


@lru_cache(maxsize=None)
def _installed_fonts() -> dict[str, Path]:
    """File name -> path. Where a name is installed twice, the path sorting last wins, so
    ``truetype/liberation2/`` (2.x, with Vietnamese) beats ``truetype/liberation/`` (1.07, without).
    Held-out fonts (``is_held_out_font``) are left out."""
    found: dict[str, Path] = {}
    for root in FONT_ROOTS:
        for path in sorted(root.rglob("*.[ot]tf")) if root.is_dir() else ():
            if not is_held_out_font(path):
                found[path.name] = path
    return found


def installed_font(file_name: str) -> Path | None:
    """Where a font file (``"DejaVuSans.ttf"``) is installed, whichever Debian package has it."""
    return _installed_fonts().get(file_name)


def font_path(family: FontFamily, face: Face) -> Path | None:
    return installed_font(family.files[face])


@lru_cache(maxsize=None)
def _font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=65536)
def text_length(font: ImageFont.FreeTypeFont, text: str) -> float:
    """Advance width of ``text``, cached: words repeat a lot and FreeType measuring is slow."""
    return font.getlength(text)


@lru_cache(maxsize=None)
def _glyph_print(path: Path, char: str) -> tuple[tuple[int, int], bytes]:
    mask = _font(path, 48).getmask(char)
    return mask.size, bytes(mask)


def missing_chars(path: Path, chars: str) -> frozenset[str]:
    """Characters of ``chars`` that ``path`` draws as its .notdef glyph (it has no glyph for them).

    A code point no font maps (U+10FFFD, private use) always renders as .notdef; any character
    that renders to the very same bitmap is missing too. Spaces are never "missing".
    """
    notdef = _glyph_print(path, "\U0010fffd")
    return frozenset(
        ch for ch in set(chars) if not ch.isspace() and _glyph_print(path, ch) == notdef
    )


def covering_families(chars: str) -> tuple[FontFamily, ...]:
    """Installed families whose every face has a glyph for every character of ``chars``."""

    def covers(family: FontFamily) -> bool:
        paths = [font_path(family, face) for face in family.files]
        return all(p is not None and not missing_chars(p, chars) for p in paths)

    return tuple(family for family in FAMILIES if covers(family))


# --- styles and page geometry --------------------------------------------------------------------

Align = Literal["left", "centre", "right", "right_half", "justify"]


@dataclass(frozen=True)
class Style:
    align: Align
    face: Face = "regular"
    pt_delta: float = 0.0
    """Added to the page's body size (points), then clamped to 11-14 pt (to the body size, when
    that is smaller, up to 14)."""
    space_before: float = 0.0
    """Extra space above, in line heights."""
    underline: bool = False
    indent: bool = False
    """First line of a paragraph is indented."""


STYLES: dict[str, Style] = {
    "title": Style("centre", "bold", pt_delta=1.5, space_before=0.6),
    "heading": Style("centre", "bold"),
    "motto": Style("centre", "bold", underline=True),
    "centre": Style("centre"),
    "centre_italic": Style("centre", "italic"),
    "dateline": Style("right", "italic"),
    "sign_title": Style("right_half", "bold"),
    "sign_note": Style("right_half", "italic", pt_delta=-1.0),
    "sign_name": Style("right_half", "bold"),
    "paragraph": Style("justify", indent=True),
    "section": Style("left", "bold", space_before=0.3),
    "field": Style("left"),
    "gap": Style("left", space_before=0.5),
}


def mm_to_px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def pt_to_px(pt: float, dpi: int) -> int:
    return round(pt * dpi / 72)


@dataclass(frozen=True)
class PageStyle:
    """Everything chosen once per page from its seed."""

    dpi: int
    family: FontFamily
    body_pt: float
    line_spacing: float
    margins_mm: tuple[float, float, float, float]
    """left, top, right, bottom."""
    ink: int
    """Grey level of the text, 0 (black) to about 50 (dark toner)."""

    @property
    def size(self) -> tuple[int, int]:
        return mm_to_px(A4_MM[0], self.dpi), mm_to_px(A4_MM[1], self.dpi)

    @property
    def frame(self) -> tuple[int, int, int, int]:
        """Text area: left, top, right, bottom in pixels."""
        left, top, right, bottom = (mm_to_px(m, self.dpi) for m in self.margins_mm)
        width, height = self.size
        return left, top, width - right, height - bottom

    def font(self, style: Style) -> ImageFont.FreeTypeFont:
        pt = min(14.0, max(min(11.0, self.body_pt), self.body_pt + style.pt_delta))
        path = font_path(self.family, style.face)
        assert path is not None
        return _font(path, pt_to_px(pt, self.dpi))

    def line_height(self, style: Style) -> int:
        return round(self.font(style).size * self.line_spacing)


def choose_page_style(rng: random.Random, dpi: int, content: PageContent) -> PageStyle:
    families = covering_families(content.chars)
    if not families:
        raise RuntimeError(
            "No installed font covers the page's Vietnamese text; install fonts-dejavu-core or "
            f"fonts-noto-core. Tried: {', '.join(f.name for f in FAMILIES)}"
        )
    return PageStyle(
        dpi=dpi,
        family=rng.choice(families),
        body_pt=rng.choice((11.0, 11.5, 12.0, 12.5, 13.0, 13.5)),
        line_spacing=rng.uniform(*LINE_SPACING[content.kind]),
        margins_mm=(rng.uniform(20, 30), rng.uniform(15, 22), rng.uniform(15, 20),
                    rng.uniform(15, 20)),
        ink=rng.randint(0, 50),
    )


# --- drawing -------------------------------------------------------------------------------------

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1."""


def _union(boxes: list[Box]) -> Box | None:
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _quad(box: Box, size: tuple[int, int]) -> Quad:
    x0, y0 = max(0.0, box[0]), max(0.0, box[1])
    x1, y1 = min(size[0] - 1.0, box[2]), min(size[1] - 1.0, box[3])
    return (x0, y0), (x1, y0), (x1, y1), (x0, y1)


def wrap(words: list[str], font: ImageFont.FreeTypeFont, width: float,
         indent: float = 0.0) -> list[list[str]]:
    """Greedy line breaking; the first line is ``indent`` narrower.

    Widths are sums of cached word widths (kerning across spaces ignored); a word wider than the
    line gets a line of its own.
    """
    space = text_length(font, " ")
    lines: list[list[str]] = []
    current: list[str] = []
    used = 0.0
    for word in words:
        room = width - (indent if not lines else 0.0)
        needed = text_length(font, word) + (space if current else 0.0)
        if current and used + needed > room:
            lines.append(current)
            current, used, needed = [], 0.0, text_length(font, word)
        current.append(word)
        used += needed
    if current or not lines:
        lines.append(current)
    return lines


class PageCanvas:
    """A page being drawn: a cursor moving down the text frame, and the ground truth so far."""

    def __init__(self, page: PageStyle) -> None:
        self.page = page
        self.image = Image.new("L", page.size, 255)
        self.draw = ImageDraw.Draw(self.image)
        self.left, self.y, self.right, self.bottom = page.frame
        self.lines: list[tuple[str, Quad]] = []
        self.full = False

    # -- primitives --

    def text(self, x: float, baseline: float, text: str, font: ImageFont.FreeTypeFont) -> Box:
        self.draw.text((x, baseline), text, font=font, fill=self.page.ink, anchor="ls")
        return self.draw.textbbox((x, baseline), text, font=font, anchor="ls")

    def dots(self, x: float, end: float, baseline: float,
             font: ImageFont.FreeTypeFont, leader: str = ".") -> tuple[str, Box | None]:
        """A printed leader of ``leader`` characters ("." dots, "…" ellipses, "_" a rule of
        underscores) from ``x`` to ``end``; fewer than three is no leader."""
        count = int((end - x) // text_length(font, leader))
        if count < 3:
            return "", None
        return leader * count, self.text(x, baseline, leader * count, font)

    def checkbox(self, x: float, baseline: float, font: ImageFont.FreeTypeFont,
                 ticked: bool) -> float:
        """Draw a box (ticked or not) ending on the baseline; return where the text starts."""
        side = round(font.size * 0.7)
        stroke = max(1, font.size // 14)
        box = (x, baseline - side, x + side, baseline)
        self.draw.rectangle(box, outline=self.page.ink, width=stroke)
        if ticked:
            inset = side * 0.2
            self.draw.line((x + inset, baseline - side + inset, x + side - inset, baseline - inset),
                           fill=self.page.ink, width=stroke + 1)
            self.draw.line((x + inset, baseline - inset, x + side - inset, baseline - side + inset),
                           fill=self.page.ink, width=stroke + 1)
        return x + side + font.size * 0.4

    def record(self, text: str, boxes: list[Box]) -> None:
        box = _union(boxes)
        if text.strip() and box is not None:
            self.lines.append((text, _quad(box, self.page.size)))

    # -- lines --

    def next_line(self, style: Style) -> float | None:
        """Advance the cursor by one line; return its baseline, or None when the page is full."""
        font, height = self.page.font(style), self.page.line_height(style)
        if self.y + height > self.bottom:
            self.full = True
            return None
        ascent, _ = font.getmetrics()
        baseline = self.y + (height - font.size) / 2 + ascent
        self.y += height
        return baseline

    def span(self, style: Style) -> tuple[float, float]:
        if style.align == "right_half":
            return (self.left + self.right) / 2, self.right
        return self.left, self.right

    def line_start(self, style: Style, width: float, first: bool) -> float:
        start, end = self.span(style)
        if style.align in ("centre", "right_half"):
            return start + (end - start - width) / 2
        if style.align == "right":
            return end - width
        return start + (self.page.font(style).size * 2.0 if style.indent and first else 0.0)

    def words_line(self, style: Style, words: list[str], baseline: float, x: float,
                   stretch: bool) -> list[Box]:
        """Draw words from ``x``; ``stretch`` spreads them to the right edge (justified text)."""
        font = self.page.font(style)
        text = " ".join(words)
        if not stretch or len(words) < 2:
            return [self.text(x, baseline, text, font)] if text else []
        natural = text_length(font, " ")
        spare = self.right - x - sum(text_length(font, w) for w in words)
        gap = max(natural, min(spare / (len(words) - 1), natural * 3))
        start = x
        for word in words:
            self.draw.text((x, baseline), word, font=font, fill=self.page.ink, anchor="ls")
            last, x = x, x + text_length(font, word) + gap
        # Same glyphs as the unstretched line, so the same top, bottom and left edge.
        left, top, _, bottom = self.draw.textbbox((start, baseline), text, font=font, anchor="ls")
        right = self.draw.textbbox((last, baseline), words[-1], font=font, anchor="ls")[2]
        return [(left, top, right, bottom)]

    # -- blocks --

    def block(self, block: Block) -> None:
        style = STYLES[block.style]
        self.y += round(self.page.line_height(style) * style.space_before)
        if block.style == "gap":
            return
        if len(block.segments) == 1 or not self.columns(style, block.segments):
            for segment in block.segments:
                self.paragraph(style, segment)

    def paragraph(self, style: Style, segment: Segment) -> None:
        """One segment as wrapped lines, with a check box before and a dot leader after."""
        font = self.page.font(style)
        start, end = self.span(style)
        box_room = font.size * 1.1 if segment.checkbox is not None else 0.0
        indent = font.size * 2.0 if style.indent else 0.0
        lines = wrap(segment.text.split(), font, end - start - box_room, indent)
        for number, words in enumerate(lines):
            baseline = self.next_line(style)
            if baseline is None:
                return
            text = " ".join(words)
            last = number == len(lines) - 1
            x = self.line_start(style, text_length(font, text), first=number == 0)
            if number == 0 and segment.checkbox is not None:
                x = self.checkbox(x, baseline, font, segment.checkbox)
            boxes = self.words_line(style, words, baseline, x,
                                    stretch=style.align == "justify" and not last)
            if last and segment.leader and style.align in ("left", "justify"):
                text_end = x + text_length(font, text) + (text_length(font, " ") if text else 0.0)
                dots, box = self.dots(text_end, end, baseline, font)
                text, boxes = (f"{text} {dots}".strip(), boxes + [box]) if box else (text, boxes)
            self.record(text, boxes)

    def columns(self, style: Style, segments: tuple[Segment, ...]) -> bool:
        """Lay the segments out on one line, column i no further left than i/n of the width.

        Each column's leader runs to the next column. Returns False (nothing drawn) when the
        segments do not fit on one line, so the caller can put them on lines of their own.
        """
        font = self.page.font(style)
        width = self.right - self.left
        starts: list[float] = []
        x = self.left
        for i, segment in enumerate(segments):
            x = max(x, self.left + width * i / len(segments))
            starts.append(x)
            box_room = 1.1 if segment.checkbox is not None else 0.0
            x += text_length(font, segment.text) + font.size * (2.0 + box_room)
        if x - font.size * 2.0 > self.right:
            return False
        baseline = self.next_line(style)
        if baseline is None:
            return True
        ends = [*starts[1:], self.right]
        for segment, start, end in zip(segments, starts, ends):
            self.column(style, segment, baseline, start, end - font.size)
        return True

    def column(self, style: Style, segment: Segment, baseline: float, start: float,
               end: float) -> None:
        font = self.page.font(style)
        x = start
        if segment.checkbox is not None:
            x = self.checkbox(x, baseline, font, segment.checkbox)
        boxes = [self.text(x, baseline, segment.text, font)] if segment.text else []
        text = segment.text
        if segment.leader:
            text_end = x + text_length(font, text) + (text_length(font, " ") if text else 0.0)
            dots, box = self.dots(text_end, end, baseline, font)
            if box:
                text, boxes = f"{text} {dots}".strip(), boxes + [box]
        self.record(text, boxes)

    def underline_last(self, style: Style) -> None:
        """The short rule under the motto line, as on every administrative document."""
        if not self.lines:
            return
        (x0, _), (x1, _), (_, y1), _ = self.lines[-1][1]
        y = y1 + self.page.font(style).size * 0.2
        self.draw.line((x0, y, x1, y), fill=self.page.ink, width=max(1, self.page.dpi // 150))


def draw_content(canvas: PageCanvas, content: PageContent) -> None:
    for block in content.blocks:
        before = len(canvas.lines)
        canvas.block(block)
        if STYLES[block.style].underline and len(canvas.lines) > before:
            canvas.underline_last(STYLES[block.style])
        if canvas.full:
            return


# --- the page ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SynthPage:
    """A rendered page and its ground truth."""

    image: np.ndarray
    """H x W x 3 BGR uint8, a full A4 page at ``dpi``."""
    dpi: int
    lines: tuple[tuple[str, Quad], ...]
    """(text, box) per drawn line in reading order; boxes in page pixels."""
    kind: Kind
    font: str
    seed: int
    pool: Pool
    body_pt: float = 12.0
    """The body type size, which a photocopy's stroke changes depend on (``degrade.photocopy``)."""
    dpi_known: bool = True
    """False for a photo (``photos.photograph_page``): ``dpi`` is then what intake estimates from
    the frame, as for a camera's JPEG, not the sheet's resolution."""

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.lines)


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(("sohoa-synth", *map(str, parts))))


def choose_kind(seed: int, pool: Pool) -> Kind:
    return _rng("kind", pool, seed).choice(KINDS)


def render_page(seed: int, pool: Pool = "dev", kind: Kind | None = None,
                dpi: int = 200, body_pt: float | None = None) -> SynthPage:
    """Render one synthetic page; the same arguments always give the same pixels and text.

    ``body_pt`` replaces the seed's body size (11-13.5 pt), keeping every other choice, so that
    tuning can also see the 9-10.5 pt type of dense official forms.
    """
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi must be within {MIN_DPI}-{MAX_DPI}, not {dpi}")
    if body_pt is not None and not MIN_PT <= body_pt <= MAX_PT:
        raise ValueError(f"body_pt must be within {MIN_PT}-{MAX_PT}, not {body_pt}")
    kind = kind or choose_kind(seed, pool)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    rng = _rng("page", pool, kind, seed)
    content = page_content(rng, pool, kind)
    style = choose_page_style(rng, dpi, content)
    if body_pt is not None:
        style = replace(style, body_pt=body_pt)
    canvas = PageCanvas(style)
    draw_content(canvas, content)
    grey = np.asarray(canvas.image, dtype=np.uint8)
    return SynthPage(
        image=np.repeat(grey[:, :, None], 3, axis=2),
        dpi=dpi,
        lines=tuple(canvas.lines),
        kind=kind,
        font=style.family.name,
        seed=seed,
        pool=pool,
        body_pt=style.body_pt,
    )

