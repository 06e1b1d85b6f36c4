"""Filled, scan-degraded Vietnamese forms with the field values an extractor should find.

The form extractor needs documents whose right answer is known field by field, and real citizen
dossiers cannot be committed. This module invents people, ID numbers and addresses (in the real
2025 communes and provinces, so a validator that checks place names accepts them), types them into
three common dossier documents and makes the result look scanned or photographed:

- ``cccd``: the citizen ID card, front and back (``sohoa_dev.synth.cards`` draws it), in the
  2021 "Căn cước công dân" and the 2024 "Căn cước" layouts;
- ``birth_registration``: the birth registration declaration of Circular 04/2024/TT-BTP;
- ``residence_change``: the residence information change declaration CT01 of Circular
  66/2023/TT-BCA, with its table of household members.

``make_unknown_sample`` gives documents of other kinds (the existing synthetic forms and prose),
which an extractor must recognise as none of the three.

Each :class:`FormSample` carries its degraded pages, the ground-truth text lines with their boxes
(for tests that bypass OCR) and ``expected``: the normalised field values (dates ``dd/mm/yyyy``,
names upper case as printed, sex ``Nam``/``Nữ``, ID numbers as 12 digits, phone digits only,
everything else as printed with single spaces; ``None`` for a field left blank or absent; the
household ``members`` of CT01 as a list of dicts with ``MEMBER_FIELDS``).

Everything is deterministic by (form type, seed, pool); the ``dev`` and ``heldout`` pools draw from
disjoint random streams over the same vocabularies.
"""

from __future__ import annotations

import hashlib
import io
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageFont

from ocr_service.domain import Quad
from ocr_service.lexicon import strip_marks
from sohoa_dev.synth.corpus import (
    ALLOWED_CHARS,
    COMMUNE_NAMES,
    ETHNIC_GROUPS,
    GIVEN_NAMES,
    MIDDLE_NAMES,
    POOLS,
    PROVINCES,
    STREETS,
    SURNAMES,
    Pool,
    personal_id,
    phone_number,
    spelled_date,
)
from sohoa_dev.synth.degrade import Strength, degrade_page
from sohoa_dev.synth.photos import camera_dpi, photograph_page
from sohoa_dev.synth.render import (
    Box,
    FontFamily,
    PageCanvas,
    PageStyle,
    SynthPage,
    _font,
    covering_families,
    font_path,
    pt_to_px,
    render_page,
    text_length,
    wrap,
)

FormType = Literal["cccd", "birth_registration", "residence_change"]
FORM_TYPES: tuple[FormType, ...] = ("cccd", "birth_registration", "residence_change")
UNKNOWN = "unknown"

FIELDS: dict[str, tuple[str, ...]] = {
    "cccd": ("id_number", "full_name", "date_of_birth", "sex", "nationality", "place_of_origin",
             "place_of_residence", "date_of_expiry", "date_of_issue"),
    "birth_registration": (
        "recipient", "requester_name", "requester_residence", "requester_id_number",
        "relationship", "child_name", "child_date_of_birth", "child_sex", "child_ethnicity",
        "child_nationality", "child_place_of_birth", "child_hometown", "mother_name",
        "mother_birth_year", "father_name", "father_birth_year"),
    "residence_change": (
        "recipient", "full_name", "date_of_birth", "sex", "id_number", "phone", "email",
        "household_head_name", "relationship_to_head", "household_head_id_number",
        "request_content", "members"),
    UNKNOWN: (),
}
"""The field names of each form type: a contract with the extractor and its tests."""
MEMBER_FIELDS = ("full_name", "date_of_birth", "sex", "id_number")
"""Keys of each entry of ``residence_change``'s ``members`` list."""

FileFormat = Literal["jpg", "png", "pdf", "tiff"]
FILE_FORMATS: tuple[FileFormat, ...] = ("jpg", "png", "pdf", "tiff")
_ALIASES = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "pdf": "pdf", "tif": "tiff",
            "tiff": "tiff"}
FILE_JPEG_QUALITY = 70
"""JPEG quality of written files: scanner noise makes files large, and 70 still keeps every
value legible at 200 dpi."""
FIXED_DATE = datetime(2025, 7, 1, tzinfo=timezone.utc).timetuple()
"""Stamped into PDFs instead of "now", so the same sample always gives the same bytes."""
NATIONALITY = "Việt Nam"
A4_DPIS = (200, 200, 240, 250, 300)
"""Scan resolutions of A4 forms; the Circular 01/2023 minimum (200 dpi) is the most common."""
TEXT_CHARS = "".join(sorted(ALLOWED_CHARS)) + "@_."
"""Every character a form may print (e-mail addresses add ``@`` and ``_``)."""


# --- random streams ------------------------------------------------------------------------------


def _rng(*parts: object) -> random.Random:
    """A stream named by its parts; the pool is always one of them, so pools never share one."""
    return random.Random(":".join(("sohoa-forms", *map(str, parts))))


def _seed32(rng: random.Random) -> int:
    return rng.getrandbits(32)


def _check_pool(pool: str) -> None:
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, not {pool!r}")


# --- places: the real 2025 communes and provinces ------------------------------------------------


@dataclass(frozen=True)
class Province:
    name: str
    """Official name without the unit word for provinces: "Thành phố Hà Nội", "Tuyên Quang"."""
    short: str
    """"Hà Nội", "Tuyên Quang"."""
    city: bool
    id_code: str
    """The 3-digit code that opens the personal ID number of someone born there."""
    wards: tuple[str, ...]
    """Commune-level units as officially named: "Xã Thượng Lâm", "Phường Ba Đình"."""


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """The 34 provinces and their communes, as the form validators know them
    (``ocr_service.forms.units``, from the ``vietnam_provinces`` package data)."""
    from ocr_service.forms import units

    codes = {name: code for name, code, _ in PROVINCES}
    result = tuple(Province(p.name, p.short_name, p.kind == "thành phố", codes[p.short_name],
                            p.communes) for p in units.provinces())
    assert len(result) == 34
    return result


@dataclass(frozen=True)
class Place:
    """A commune of a province, and how this document writes the two."""

    province: Province
    ward: str
    lower: bool
    """Write the unit words in lower case ("xã Thượng Lâm, tỉnh Tuyên Quang")."""

    @property
    def ward_text(self) -> str:
        unit, _, name = self.ward.partition(" ")
        if unit == "Đặc":  # "Đặc khu Côn Đảo"
            unit, _, name = self.ward.partition(" khu ")
            unit += " khu"
        return f"{unit.lower() if self.lower else unit} {name}"

    @property
    def province_text(self) -> str:
        unit = "Thành phố" if self.province.city else "Tỉnh"
        return f"{unit.lower() if self.lower else unit} {self.province.short}"

    @property
    def ward_name(self) -> str:
        """The commune's name without its unit word, as a place-and-date line uses it."""
        return self.ward_text.split(" ", 2)[-1] if self.ward.startswith("Đặc") else \
            self.ward_text.split(" ", 1)[1]

    def text(self) -> str:
        return f"{self.ward_text}, {self.province_text}"


def random_place(rng: random.Random, province: Province | None = None,
                 lower: bool | None = None) -> Place:
    province = province or rng.choice(provinces())
    lower = rng.random() < 0.5 if lower is None else lower
    return Place(province, rng.choice(province.wards), lower)


def street_address(rng: random.Random, place: Place) -> str:
    """A house on a street, or a hamlet, in the place's commune: the way residences are written."""
    if place.ward.startswith("Phường") and rng.random() < 0.75:
        number = f"{rng.randint(1, 250)}"
        if rng.random() < 0.2:
            number += f"/{rng.randint(2, 40)}"
        head = f"Số {number}, đường {rng.choice(STREETS)}"
        if rng.random() < 0.3:
            head = f"Tổ dân phố {rng.randint(1, 30)}, " + head
    else:
        unit = rng.choice(("Thôn", "Xóm", "Ấp", "Bản", "Tổ dân phố", "Khu phố"))
        label = str(rng.randint(1, 15)) if rng.random() < 0.5 else rng.choice(COMMUNE_NAMES)
        head = f"{unit} {label}"
    return f"{head}, {place.text()}"


def hometown(rng: random.Random) -> str:
    place = random_place(rng)
    return place.text()[0].upper() + place.text()[1:]


# --- people --------------------------------------------------------------------------------------


def dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def person_name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    """Title-case full name: surname, middle name, given name."""
    return " ".join((surname or rng.choice(SURNAMES), rng.choice(MIDDLE_NAMES[sex]),
                     rng.choice(GIVEN_NAMES[sex])))


@dataclass(frozen=True)
class Citizen:
    name: str
    """Title case, as in the QR code; forms print ``name.upper()``."""
    sex: str
    born: date
    id_number: str
    birth_province: Province


def citizen(rng: random.Random, sex: str | None = None, born: date | None = None,
            first: date = date(1950, 1, 1), last: date = date(2006, 12, 31),
            surname: str | None = None) -> Citizen:
    """An invented person whose ID number agrees with birth province, sex and birth year."""
    sex = sex or rng.choice(("Nam", "Nữ"))
    born = born or random_date(rng, first, last)
    province = rng.choice(provinces())
    return Citizen(person_name(rng, sex, surname), sex, born,
                   personal_id(rng, province.id_code, sex, born.year), province)


def email_for(rng: random.Random, name: str, born: date) -> str:
    parts = strip_marks(name).lower().split()  # as people write e-mail addresses
    user = rng.choice((
        "".join(parts) + str(born.year % 100),
        parts[-1] + "." + "".join(p[0] for p in parts[:-1]) + str(rng.randint(1, 99)),
        parts[-1] + parts[0] + str(born.year),
        parts[-1] + "_" + parts[0] + str(rng.randint(10, 999)),
    ))
    return f"{user}@{rng.choice(('gmail.com', 'yahoo.com', 'outlook.com', 'gmail.com'))}"


_UNITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _two_digits(n: int, after_hundreds: bool) -> str:
    """0-99 in words; ``linh`` marks a lone unit after hundreds (một trăm linh năm)."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return ("linh " if after_hundreds else "") + _UNITS[unit] if unit else ""
    head = "mười" if tens == 1 else f"{_UNITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        return f"{head} lăm"
    if unit == 1 and tens > 1:
        return f"{head} mốt"
    if unit == 4 and tens > 1:
        return f"{head} tư"
    return f"{head} {_UNITS[unit]}"


def number_words(n: int) -> str:
    """0-9999 in Vietnamese words, as a date is written out in full ("ghi bằng chữ")."""
    if n == 0:
        return "không"
    thousands, rest = divmod(n, 1000)
    hundreds, tail = divmod(rest, 100)
    words = []
    if thousands:
        words.append(f"{_UNITS[thousands]} nghìn")
    if hundreds or (thousands and tail):
        words.append(f"{_UNITS[hundreds]} trăm")
    if tail:
        words.append(_two_digits(tail, after_hundreds=bool(thousands or hundreds)))
    return " ".join(words)


def date_words(day: date) -> str:
    """"Ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi lăm"."""
    day_words = ("mồng " if day.day <= 10 else "") + number_words(day.day)
    month_words = "tư" if day.month == 4 else number_words(day.month)
    return f"Ngày {day_words} tháng {month_words} năm {number_words(day.year)}"


# --- the sample ----------------------------------------------------------------------------------

Line = tuple[str, Quad]


@dataclass(frozen=True, eq=False)
class FormSample:
    """One synthetic document: its degraded pages, their text lines, and the expected fields."""

    form_type: str
    seed: int
    pool: Pool
    pages: tuple[np.ndarray, ...]
    """Degraded pages, H x W x 3 BGR uint8."""
    dpi: int
    lines: tuple[tuple[Line, ...], ...]
    """Per page, (text, box) of each printed line in reading order, in degraded-page pixels.

    A box's corners follow the text (its first corner is the text's top-left), so on a page
    turned by 90° or 180° the quad is turned with it.
    """
    expected: dict
    """``{"form_type": ..., "fields": {name: value or None, ...}}``; see the module docstring."""
    turns: tuple[int, ...] = field(default=())
    """Per page, quarter turns counter-clockwise applied after rendering (0 = upright)."""
    variant: str = ""
    """The layout drawn, where a type has several: "2021" or "2024" for ``cccd``."""
    photo: bool = False
    """Photographed with a phone: a colour JPEG with no real resolution (``to_file``), as a
    camera writes it; ``dpi`` is then what intake estimates from the frame."""

    @property
    def text(self) -> str:
        """All ground-truth text, pages separated by a form feed."""
        return "\f".join("\n".join(text for text, _ in page) for page in self.lines)

    @property
    def default_format(self) -> FileFormat:
        """The format this sample is written in by default, drawn by seed.

        The set mixes single images (JPEG, PNG) with scanned PDFs and multi-page TIFFs, the
        formats clerks upload; a document of several pages can only be a PDF or a TIFF.
        """
        rng = _rng("format", self.pool, self.form_type, self.seed)
        if self.photo and len(self.pages) == 1:
            return "jpg"
        if len(self.pages) > 1:
            return rng.choice(("pdf", "pdf", "tiff"))
        if self.dpi > 240:  # a lossless page this large would be megabytes
            return rng.choices(("jpg", "pdf", "tiff"), weights=(4, 3, 2))[0]
        return rng.choices(FILE_FORMATS, weights=(4, 1, 3, 2))[0]

    def to_file(self, fmt: str | None = None) -> tuple[bytes, str]:
        """The document as an uploaded file: (bytes, suffix with its dot, like ``Path.suffix``).

        ``fmt`` is jpg, png, pdf or tiff (a leading dot, "jpeg" and "tif" are accepted); jpg and
        png hold one page. Files are grey, as most offices scan, with JPEG inside PDFs and TIFFs
        to keep them small as scanners do, and record the dpi. The bytes are the same on every
        run.
        """
        fmt = _ALIASES.get((fmt or self.default_format).lower().lstrip("."), fmt)
        if fmt not in FILE_FORMATS:
            raise ValueError(f"format must be one of {FILE_FORMATS}, not {fmt!r}")
        if fmt in ("jpg", "png") and len(self.pages) != 1:
            raise ValueError(f"{fmt} holds one page; this document has {len(self.pages)}")
        images = [self._pil(page) for page in self.pages]
        out = io.BytesIO()
        dpi = (self.dpi, self.dpi)
        if fmt == "jpg" and self.photo:  # a camera's JPEG: colour, and no resolution in it
            Image.fromarray(cv2.cvtColor(self.pages[0], cv2.COLOR_BGR2RGB)).save(
                out, "JPEG", quality=FILE_JPEG_QUALITY)
        elif fmt == "jpg":
            images[0].save(out, "JPEG", quality=FILE_JPEG_QUALITY, optimize=True, dpi=dpi)
        elif fmt == "png":
            images[0].save(out, "PNG", dpi=dpi, optimize=True)
        elif fmt == "pdf":
            images[0].save(out, "PDF", save_all=True, append_images=images[1:],
                           resolution=float(self.dpi), quality=FILE_JPEG_QUALITY,
                           creationDate=FIXED_DATE, modDate=FIXED_DATE,
                           producer="sohoa samples", title=f"{self.form_type}-{self.seed}")
        else:
            images[0].save(out, "TIFF", save_all=True, append_images=images[1:],
                           compression="jpeg", quality=FILE_JPEG_QUALITY, dpi=dpi)
        return out.getvalue(), f".{fmt}"

    @staticmethod
    def _pil(page: np.ndarray) -> Image.Image:
        return Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))


def _check_expected(form_type: str, expected: dict) -> dict:
    """Assert the expected dict keeps the contract: known keys only, NFC strings."""
    fields = expected["fields"]
    assert tuple(fields) == FIELDS[form_type], (form_type, tuple(fields))
    for value in fields.values():
        if isinstance(value, str):
            assert unicodedata.is_normalized("NFC", value) and value == value.strip()
    return expected


# --- page geometry helpers -----------------------------------------------------------------------


def turn_quad(quad: Quad, size: tuple[int, int], turns: int) -> Quad:
    """Where a box lands when its page (``size`` = width, height) is turned ``turns`` quarter
    turns counter-clockwise, as ``np.rot90`` turns it; the corner order follows the text."""
    points = []
    for x, y in quad:
        width, height = size
        for _ in range(turns % 4):
            x, y = y, width - 1 - x
            width, height = height, width
        points.append((float(x), float(y)))
    return tuple(points)  # type: ignore[return-value]


def turn_page(image: np.ndarray, lines: Sequence[Line], turns: int) -> tuple[np.ndarray,
                                                                              tuple[Line, ...]]:
    if turns % 4 == 0:
        return image, tuple(lines)
    size = (image.shape[1], image.shape[0])
    turned = np.ascontiguousarray(np.rot90(image, turns % 4))
    return turned, tuple((text, turn_quad(box, size, turns)) for text, box in lines)


PageLook = Strength | Literal["phone"]
"""How a form's pages are made to look: a scanner's or copier's ``Strength``, or photographed on
a desk with a phone (``photos.photograph_page``)."""


def scan_pages(canvases: Sequence[PageCanvas], rng: random.Random, pool: Pool, seed: int,
               font: str, turn_rate: float = 0.12, strength: PageLook | None = None
               ) -> tuple[list[np.ndarray], list[tuple[Line, ...]], list[int]]:
    """Degrade rendered pages like an office scanner (skew, blur, noise, JPEG), sometimes
    feeding a page in sideways or upside down.

    Most pages get the ``scan`` strength, the rest ``light`` (a newer scanner): the forms' values
    must stay readable by a good OCR, and the sample files stay smaller. ``strength`` gives every
    page one degradation instead (a tuning set of photocopied or photographed dossiers); the
    seed's other choices stay as they were.
    """
    images, lines, turns = [], [], []
    for canvas in canvases:
        grey = np.asarray(canvas.image, dtype=np.uint8)
        page = SynthPage(np.repeat(grey[:, :, None], 3, axis=2), canvas.page.dpi,
                         tuple(canvas.lines), "form", font, seed, pool, canvas.page.body_pt)
        seed32 = _seed32(rng)  # drawn before the strength, as always: the same documents
        drawn: Strength = "scan" if rng.random() < 0.6 else "light"
        page = (photograph_page(page, seed32) if strength == "phone"
                else degrade_page(page, seed32, strength or drawn))
        turn = rng.choice((1, 2, 3)) if rng.random() < turn_rate else 0
        image, page_lines = turn_page(page.image, page.lines, turn)
        images.append(image)
        lines.append(page_lines)
        turns.append(turn)
    return images, lines, turns


# --- typed A4 forms ------------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont


@lru_cache(maxsize=1)
def text_families() -> tuple[FontFamily, ...]:
    """Families with a glyph for every character a form prints."""
    families = covering_families(TEXT_CHARS)
    if not families:
        raise RuntimeError("No installed font covers Vietnamese; install fonts-dejavu-core")
    return families


def family_font(family: FontFamily, face: str, pt: float, dpi: int) -> Font:
    path = font_path(family, face)  # type: ignore[arg-type]
    assert path is not None
    return _font(path, pt_to_px(pt, dpi))


@dataclass(frozen=True)
class Cell:
    """A printed label and the value typed after it; ``None`` leaves the blank (dots)."""

    label: str
    value: str | None
    boxes: int = 0
    """Type the value one digit per box, in this many boxes (ID numbers on CT01)."""


class FormFlow:
    """Typed form pages: lines flow down the text frame onto new pages as needed.

    Labels are printed in the form's font, values typed in the filler's (the same or another),
    blanks are dot leaders. Each drawn line (one per column) is recorded as ground truth with
    the canvas's own ``record``.
    """

    def __init__(self, rng: random.Random, dpi: int) -> None:
        families = text_families()
        self.family = rng.choice(families)
        self.value_family = self.family if rng.random() < 0.5 else rng.choice(families)
        self.pt = rng.choice((11.5, 12.0, 12.5, 13.0, 13.5))
        self.style = PageStyle(
            dpi=dpi, family=self.family, body_pt=self.pt,
            line_spacing=rng.uniform(1.4, 1.75),
            margins_mm=(rng.uniform(20, 30), rng.uniform(12, 20), rng.uniform(12, 20),
                        rng.uniform(12, 18)),
            ink=rng.randint(0, 50))
        value_face = "bold" if rng.random() < 0.3 else "regular"
        self.label = self.font("regular")
        self.bold = self.font("bold")
        self.italic = self.font("italic")
        self.value = family_font(self.value_family, value_face, self.pt, dpi)
        self.leaders_after_values = rng.random() < 0.8
        # Drawn from a stream of its own, so that adding it changed no other draw of a seed.
        variety = random.Random(f"flow:{rng.getstate()[1][:4]}")
        self.call_style = variety.choice(("({})", "({})", " ({})", "( {})", "({} )"))
        """How footnote calls after labels are typed ("Kính gửi(1):", "Kính gửi ( 1):")."""
        self.leader = variety.choice((".", ".", "…", "_"))
        """The blank's character: dot leaders mostly, ellipses ("……") or a rule ("____")."""
        self.wrap_share = 1.0 if variety.random() < 0.6 else variety.uniform(0.75, 0.92)
        """Share of the text width a long value fills before it wraps: whoever typed it may
        break lines early, so a wrapped line need not reach the right edge."""
        self.canvases: list[PageCanvas] = []
        self.new_page()

    def font(self, face: str, delta: float = 0.0) -> Font:
        return family_font(self.family, face, self.pt + delta, self.style.dpi)

    def call(self, number: int) -> str:
        """A footnote call in this form's style: "(1)", " (1)", "( 1)" or "(1 )"."""
        return self.call_style.format(number)

    @property
    def canvas(self) -> PageCanvas:
        return self.canvases[-1]

    def new_page(self) -> None:
        self.canvases.append(PageCanvas(self.style))

    def line_height(self, font: Font | None = None) -> int:
        return round((font or self.label).size * self.style.line_spacing)

    def take(self, height: float) -> float:
        """Reserve ``height`` pixels of the frame; a new page when they do not fit."""
        canvas = self.canvas
        if canvas.y + height > canvas.bottom and canvas.y > canvas.page.frame[1]:
            self.new_page()
            canvas = self.canvas
        top = canvas.y
        canvas.y += height
        return top

    def baseline(self, font: Font | None = None) -> float:
        font = font or self.label
        height = self.line_height(font)
        top = self.take(height)
        ascent, _ = font.getmetrics()
        return top + (height - font.size) / 2 + ascent

    def space(self, lines: float) -> None:
        self.canvas.y += round(self.line_height() * lines)

    # -- whole lines --

    def aligned(self, text: str, font: Font, align: str = "centre",
                span: tuple[float, float] | None = None, underline: bool = False) -> None:
        start, end = span or (self.canvas.left, self.canvas.right)
        for words in wrap(text.split(), font, end - start):
            line = " ".join(words)
            width = text_length(font, line)
            baseline = self.baseline(font)
            x = {"centre": start + (end - start - width) / 2, "right": end - width}.get(align,
                                                                                        start)
            box = self.canvas.text(x, baseline, line, font)
            self.canvas.record(line, [box])
            if underline:
                y = box[3] + font.size * 0.25
                self.canvas.draw.line((box[0], y, box[2], y), fill=self.style.ink,
                                      width=max(1, self.style.dpi // 150))

    def paragraph(self, text: str, font: Font | None = None, indent: bool = True) -> None:
        font = font or self.label
        room = self.canvas.right - self.canvas.left
        first_indent = font.size * 2.0 if indent else 0.0
        for number, words in enumerate(wrap(text.split(), font, room, first_indent)):
            line = " ".join(words)
            baseline = self.baseline(font)
            x = self.canvas.left + (first_indent if number == 0 else 0.0)
            self.canvas.record(line, [self.canvas.text(x, baseline, line, font)])

    # -- label + value lines --

    def row(self, *cells: Cell) -> None:
        """Cells side by side on one line when they fit, otherwise one below the other."""
        if len(cells) > 1 and self._row_fits(cells):
            baseline = self.baseline()
            width = self.canvas.right - self.canvas.left
            x = self.canvas.left
            starts = []
            for i, cell in enumerate(cells):
                x = max(x, self.canvas.left + width * i / len(cells))
                starts.append(x)
                x += self._natural(cell) + self.label.size * 2.0
            ends = [*starts[1:], self.canvas.right + self.label.size]
            for cell, start, end in zip(cells, starts, ends):
                self._cell_line(cell, baseline, start, end - self.label.size)
            return
        for cell in cells:
            self._cell_lines(cell)

    def _natural(self, cell: Cell) -> float:
        width = text_length(self.label, cell.label) + text_length(self.label, " ")
        if cell.boxes:
            return width + cell.boxes * self._box_side()
        return width + (text_length(self.value, cell.value) if cell.value else 0.0) + \
            3 * text_length(self.label, ".")

    def _row_fits(self, cells: Sequence[Cell]) -> bool:
        width = self.canvas.right - self.canvas.left
        x = self.canvas.left
        for i, cell in enumerate(cells):
            x = max(x, self.canvas.left + width * i / len(cells))
            x += self._natural(cell) + self.label.size * 2.0
        return x - self.label.size * 2.0 <= self.canvas.right

    def _box_side(self) -> float:
        return round(self.value.size * 1.05)

    def _cell_line(self, cell: Cell, baseline: float, start: float, end: float) -> None:
        """One cell on one line from ``start`` to ``end``: label, value or boxes, leader."""
        canvas = self.canvas
        boxes = [canvas.text(start, baseline, cell.label, self.label)]
        x = start + text_length(self.label, cell.label) + text_length(self.label, " ")
        text = cell.label
        if cell.boxes:
            text, box = self._digit_boxes(cell, x, baseline)
            canvas.record(text, boxes + [box])
            return
        if cell.value:
            boxes.append(canvas.text(x, baseline, cell.value, self.value))
            text = f"{text} {cell.value}"
            x += text_length(self.value, cell.value) + text_length(self.label, " ")
        if not cell.value or self.leaders_after_values:
            dots, box = canvas.dots(x, end, baseline, self.label, self.leader)
            if box:
                text, boxes = f"{text} {dots}", boxes + [box]
        canvas.record(text, boxes)

    def _digit_boxes(self, cell: Cell, x: float, baseline: float) -> tuple[str, Box]:
        """A row of boxes with one digit typed in each; the text reads the digits spaced."""
        canvas, side = self.canvas, self._box_side()
        stroke = max(1, self.style.dpi // 150)
        digits = cell.value or ""
        top = baseline - self.value.size * 0.85
        for i in range(cell.boxes):
            x0 = x + i * side
            canvas.draw.rectangle((x0, top, x0 + side, top + side), outline=self.style.ink,
                                  width=stroke)
            if i < len(digits):
                width = text_length(self.value, digits[i])
                canvas.text(x0 + (side - width) / 2, baseline, digits[i], self.value)
        return f"{cell.label} {' '.join(digits)}".strip(), (x, top, x + cell.boxes * side,
                                                            top + side)

    def _cell_lines(self, cell: Cell) -> None:
        """One cell from the left margin; a long value wraps onto lines of its own."""
        canvas = self.canvas
        if cell.boxes or not cell.value:
            self._cell_line(cell, self.baseline(), canvas.left, canvas.right)
            return
        label_w = text_length(self.label, cell.label) + text_length(self.label, " ")
        width = (canvas.right - canvas.left) * self.wrap_share
        lines = wrap(cell.value.split(), self.value, width, indent=label_w)
        for number, words in enumerate(lines):
            piece = " ".join(words)
            baseline = self.baseline()
            canvas = self.canvas
            last = number == len(lines) - 1
            if number == 0:
                self._cell_line(Cell(cell.label, piece), baseline, canvas.left,
                                canvas.right if last else canvas.left)
                continue
            box = canvas.text(canvas.left, baseline, piece, self.value)
            text, boxes = piece, [box]
            if last and self.leaders_after_values:
                x = box[2] + text_length(self.label, " ")
                dots, dot_box = canvas.dots(x, canvas.right, baseline, self.label, self.leader)
                if dot_box:
                    text, boxes = f"{piece} {dots}", boxes + [dot_box]
            canvas.record(text, boxes)

    def checkbox_line(self, parts: Sequence[tuple[str, bool | None]]) -> None:
        """Text pieces, each followed by a check box (ticked, empty, or none for None)."""
        baseline = self.baseline()
        canvas = self.canvas
        x, texts, boxes = canvas.left, [], []
        for text, ticked in parts:
            boxes.append(canvas.text(x, baseline, text, self.label))
            texts.append(text)
            x += text_length(self.label, text) + text_length(self.label, " ")
            if ticked is not None:
                x = canvas.checkbox(x, baseline, self.label, ticked) + self.label.size * 0.6
        canvas.record(" ".join(texts), boxes)

    # -- signature blocks and tables --

    def signature_blocks(self, blocks: Sequence[tuple[str, str, str | None]],
                         gap_lines: float = 3.0) -> None:
        """Side-by-side (title, note, typed name) blocks, each centred in its share of the
        width, kept together on one page."""
        canvas = self.canvas
        width = canvas.right - canvas.left
        share = width / len(blocks)
        spans = [(canvas.left + share * i, canvas.left + share * (i + 1))
                 for i in range(len(blocks))]
        if len(blocks) == 1:
            spans = [((canvas.left + canvas.right) / 2, canvas.right)]
        title_lines = max(len(wrap(t.split(), self.bold, spans[0][1] - spans[0][0]))
                          for t, _, _ in blocks)
        need = self.line_height() * (title_lines + 2 + gap_lines)
        if canvas.y + need > canvas.bottom:
            self.new_page()
        top = self.canvas.y
        bottom = top
        for (title, note, name), span in zip(blocks, spans):
            self.canvas.y = top
            self.aligned(title, self.bold, "centre", span)
            self.aligned(note, self.italic, "centre", span)
            self.space(gap_lines)
            if name:
                self.aligned(name, self.bold, "centre", span)
            bottom = max(bottom, self.canvas.y)
        self.canvas.y = bottom

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], shares: Sequence[float],
              empty_rows: int) -> None:
        """A ruled table; the header is repeated when the table runs onto a new page."""
        left, right = self.canvas.left, self.canvas.right
        total = sum(shares)
        edges = [left]
        for share in shares:
            edges.append(edges[-1] + (right - left) * share / total)
        pad = self.label.size * 0.3
        head_font = self.font("bold", -2.0)
        cell_pt = self.pt - 1.0
        cell_font = family_font(self.value_family, "regular", cell_pt, self.style.dpi)
        for row in rows:  # shrink the typed text until every cell fits its column
            for text, x0, x1 in zip(row, edges, edges[1:]):
                while text_length(cell_font, text) > x1 - x0 - 2 * pad and cell_pt > 8.0:
                    cell_pt -= 0.5
                    cell_font = family_font(self.value_family, "regular", cell_pt,
                                            self.style.dpi)
        head_lines = [wrap(h.split(), head_font, x1 - x0 - 2 * pad)
                      for h, x0, x1 in zip(header, edges, edges[1:])]
        head_lh = round(head_font.size * 1.25)
        head_h = head_lh * max(len(lines) for lines in head_lines) + 2 * pad
        row_h = round(cell_font.size * 1.9)
        stroke = max(1, self.style.dpi // 150)

        def rule(top: float, height: float) -> None:
            """One ruled table row: its outline and the lines between its cells."""
            draw = self.canvas.draw
            draw.rectangle((left, top, right, top + height), outline=self.style.ink,
                           width=stroke)
            for x in edges[1:-1]:
                draw.line((x, top, x, top + height), fill=self.style.ink, width=stroke)

        def draw_header() -> None:
            top = self.take(head_h)
            canvas = self.canvas
            rule(top, head_h)
            for lines, x0, x1 in zip(head_lines, edges, edges[1:]):
                y = top + (head_h - head_lh * len(lines)) / 2
                for words in lines:
                    text = " ".join(words)
                    ascent, _ = head_font.getmetrics()
                    baseline = y + (head_lh - head_font.size) / 2 + ascent
                    x = x0 + (x1 - x0 - text_length(head_font, text)) / 2
                    canvas.record(text, [canvas.text(x, baseline, text, head_font)])
                    y += head_lh

        draw_header()
        for row in [*rows, *([[""] * len(header)] * empty_rows)]:
            pages = len(self.canvases)
            top = self.take(row_h)
            if len(self.canvases) != pages:
                self.canvas.y = top
                draw_header()
                top = self.take(row_h)
            canvas = self.canvas
            rule(top, row_h)
            ascent, _ = cell_font.getmetrics()
            baseline = top + (row_h - cell_font.size) / 2 + ascent
            for number, (text, x0, x1) in enumerate(zip(row, edges, edges[1:])):
                if not text:
                    continue
                width = text_length(cell_font, text)
                x = x0 + pad if number in (1, 4) else x0 + (x1 - x0 - width) / 2
                canvas.record(text, [canvas.text(x, baseline, text, cell_font)])


MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def _motto(flow: FormFlow) -> None:
    flow.aligned(MOTTO[0], flow.font("bold", -0.5))
    flow.aligned(MOTTO[1], flow.font("bold", 0.0), underline=True)
    flow.space(0.6)


# --- birth registration --------------------------------------------------------------------------

PLEDGE = ("Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự "
          "thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật. Tôi chịu hoàn "
          "toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.")
GRANDPARENTS = ("Ông nội", "Bà nội", "Ông ngoại", "Bà ngoại")


def birth_registration(rng: random.Random, pool: Pool, seed: int) -> tuple[list[PageCanvas],
                                                                            dict, str]:
    """Tờ khai đăng ký khai sinh (Circular 04/2024/TT-BTP), typed in; returns pages, expected
    fields and the font used."""
    office = random_place(rng)
    child_born = random_date(rng, date(2024, 1, 1), date(2026, 6, 30))
    signed = child_born + timedelta(days=rng.randint(1, 60))
    mother = citizen(rng, "Nữ", first=date(child_born.year - 42, 1, 1),
                     last=date(child_born.year - 18, 12, 31))
    father = None
    if rng.random() < 0.85:
        father = citizen(rng, "Nam", first=date(child_born.year - 50, 1, 1),
                         last=date(child_born.year - 19, 12, 31))
    child_sex = rng.choice(("Nam", "Nữ"))
    child = person_name(rng, child_sex, (father or mother).name.split()[0])
    relation = rng.choice(("Cha", "Mẹ", "Mẹ", rng.choice(GRANDPARENTS)) if father else
                          ("Mẹ", "Mẹ", rng.choice(GRANDPARENTS)))
    if relation == "Cha":
        requester = father
    elif relation == "Mẹ":
        requester = mother
    else:
        surname = father.name.split()[0] if father and relation == "Ông nội" else None
        requester = citizen(rng, "Nam" if relation.startswith("Ông") else "Nữ",
                            first=date(child_born.year - 80, 1, 1),
                            last=date(child_born.year - 40, 12, 31), surname=surname)
    assert requester is not None
    home = Place(office.province, office.ward if rng.random() < 0.7 else
                 rng.choice(office.province.wards), rng.random() < 0.5)
    residence = street_address(rng, home)
    ethnicity = rng.choice(ETHNIC_GROUPS)
    father_ethnicity = ethnicity if rng.random() < 0.9 else rng.choice(ETHNIC_GROUPS)
    birth_place = rng.choice((
        f"Bệnh viện Đa khoa {office.province_text}",
        f"Bệnh viện Sản Nhi {office.province_text}",
        f"Trung tâm Y tế {office.ward_text}, {office.province_text}",
        f"Trạm Y tế {office.text()}",
    ))
    birth_place = birth_place[0].upper() + birth_place[1:]
    child_hometown = hometown(rng) if rng.random() < 0.9 else None
    recipient = f"Ủy ban nhân dân {office.text()}"

    flow = FormFlow(rng, rng.choice(A4_DPIS))
    name_label = rng.choice(("Họ, chữ đệm, tên", "Họ, chữ đệm và tên", "Họ chữ đệm tên"))

    def name_of(person: Citizen | None) -> str | None:
        """Names are typed in capitals, as the form asks."""
        return person.name.upper() if person else None

    _motto(flow)
    flow.space(0.3)
    flow.aligned("TỜ KHAI ĐĂNG KÝ KHAI SINH", flow.font("bold", 2.0))
    flow.space(0.3)
    flow.row(Cell("Kính gửi:", recipient))
    flow.row(Cell(f"{name_label} người yêu cầu:", name_of(requester)))
    flow.row(Cell("Nơi cư trú:", residence))
    flow.row(Cell("Giấy tờ tùy thân:", f"Căn cước số {requester.id_number}"))
    flow.row(Cell("Quan hệ với người được đăng ký khai sinh:", relation))
    flow.paragraph("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", flow.bold,
                   indent=False)
    flow.row(Cell(f"{name_label}:", child.upper()))
    flow.row(Cell("Ngày, tháng, năm sinh:", dmy(child_born)),
             Cell("ghi bằng chữ:", date_words(child_born)))
    flow.row(Cell("Giới tính:", child_sex), Cell("Dân tộc:", ethnicity),
             Cell("Quốc tịch:", NATIONALITY))
    flow.row(Cell("Nơi sinh:", birth_place))
    flow.row(Cell("Quê quán:", child_hometown))
    for who, parent, ethnic in (("mẹ", mother, ethnicity), ("cha", father, father_ethnicity)):
        flow.row(Cell(f"{name_label} người {who}:", name_of(parent)))
        flow.row(Cell("Năm sinh:", str(parent.born.year) if parent else None),
                 Cell("Dân tộc:", ethnic if parent else None),
                 Cell("Quốc tịch:", NATIONALITY if parent else None))
        lives = residence if parent is requester or rng.random() < 0.6 else \
            street_address(rng, random_place(rng))
        flow.row(Cell("Nơi cư trú:", lives if parent else None))
    flow.paragraph(PLEDGE)
    copies = rng.random() < 0.7
    flow.checkbox_line((("Đề nghị cấp bản sao:", None), ("Có", copies), ("Không", not copies),
                        ("Số lượng:", None),
                        (f"{rng.randint(1, 3):02d} bản" if copies else "..... bản", None)))
    flow.space(0.3)
    signed_text = spelled_date(signed.day, signed.month, signed.year)
    flow.row(Cell("Làm tại:", f"{office.text()}, {signed_text}"))
    flow.signature_blocks((("NGƯỜI YÊU CẦU", "(Ký, ghi rõ họ, chữ đệm, tên)", requester.name),))

    fields = {
        "recipient": recipient,
        "requester_name": requester.name.upper(),
        "requester_residence": residence,
        "requester_id_number": requester.id_number,
        "relationship": relation,
        "child_name": child.upper(),
        "child_date_of_birth": dmy(child_born),
        "child_sex": child_sex,
        "child_ethnicity": ethnicity,
        "child_nationality": NATIONALITY,
        "child_place_of_birth": birth_place,
        "child_hometown": child_hometown,
        "mother_name": mother.name.upper(),
        "mother_birth_year": str(mother.born.year),
        "father_name": father.name.upper() if father else None,
        "father_birth_year": str(father.born.year) if father else None,
    }
    return flow.canvases, fields, flow.family.name


# --- residence change (CT01) ---------------------------------------------------------------------

CT01_NOTE = ("Mẫu CT01 ban hành kèm theo Thông tư số 66/2023/TT-BCA ngày 17/11/2023 "
             "của Bộ trưởng Bộ Công an")
TABLE_HEADER = ("TT", "Họ, chữ đệm và tên", "Ngày, tháng, năm sinh", "Giới tính",
                "Số định danh cá nhân", "Mối quan hệ với chủ hộ")
TABLE_SHARES = (0.6, 3.0, 1.7, 1.1, 2.3, 1.7)


def household_member(rng: random.Random, head: Citizen,
                     latest: int = 2025) -> tuple[Citizen, str]:
    """Someone of the head's household, born by ``latest``, and their relation to the head, of
    a plausible age, sex and surname."""
    year = head.born.year
    relation = rng.choice(("Vợ" if head.sex == "Nam" else "Chồng", "Con", "Con", "Cháu",
                           "Cha" if rng.random() < 0.5 else "Mẹ", "Anh", "Chị", "Em",
                           "Con dâu" if rng.random() < 0.5 else "Con rể"))
    sex = {"Vợ": "Nữ", "Chồng": "Nam", "Cha": "Nam", "Mẹ": "Nữ", "Anh": "Nam",
           "Chị": "Nữ", "Con dâu": "Nữ", "Con rể": "Nam"}.get(relation)
    span = {"Vợ": (-8, 8), "Chồng": (-8, 8), "Con": (20, 40), "Cháu": (40, 65),
            "Cha": (-40, -20), "Mẹ": (-40, -18), "Anh": (-10, -1), "Chị": (-10, -1),
            "Em": (1, 10), "Con dâu": (18, 40), "Con rể": (18, 40)}[relation]
    last = min(latest, year + span[1])
    first = min(year + span[0], last)
    surname = head.name.split()[0] if relation in ("Con", "Cha", "Anh", "Chị", "Em") else None
    member = citizen(rng, sex, first=date(first, 1, 1), last=date(last, 12, 31),
                     surname=surname)
    return member, relation


def _request(rng: random.Random, head_name: str | None, target: str) -> str:
    """What the declarant asks for; ``head_name`` when joining someone else's household."""
    today = random_date(rng, date(2025, 7, 1), date(2026, 6, 30))
    later = today + timedelta(days=rng.choice((180, 365, 730)))
    joining = (f"Đăng ký thường trú vào hộ gia đình ông/bà {head_name} tại {target}",) \
        if head_name else ()
    return rng.choice((
        *joining,
        f"Đăng ký thường trú tại chỗ ở hợp pháp: {target}",
        f"Đăng ký tạm trú tại {target} từ ngày {dmy(today)} đến ngày {dmy(later)}",
        f"Tách hộ tại địa chỉ {target}",
        f"Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú: thay đổi nơi thường trú "
        f"đến {target}",
        f"Gia hạn tạm trú tại {target} đến ngày {dmy(later)}",
    ))


def residence_change(rng: random.Random, pool: Pool, seed: int) -> tuple[list[PageCanvas],
                                                                          dict, str]:
    """Tờ khai thay đổi thông tin cư trú (CT01), typed in, with its members table."""
    office = random_place(rng)
    signed = random_date(rng, date(2025, 7, 1), date(2026, 6, 30))
    is_head = rng.random() < 0.4
    if is_head:
        declarant = head = citizen(rng, first=date(1950, 1, 1), last=date(2006, 12, 31))
        relation = "Chủ hộ"
    else:
        head = citizen(rng, first=date(1950, 1, 1), last=date(1990, 12, 31))
        declarant, relation = household_member(rng, head, latest=2007)
    members = [household_member(rng, head, latest=signed.year - 1)
               for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4)))]
    phone = phone_number(rng)
    email = email_for(rng, declarant.name, declarant.born) if rng.random() < 0.6 else None
    target = street_address(rng, Place(office.province, office.ward, office.lower))
    request = _request(rng, None if is_head else head.name.upper(), target)
    recipient = f"Công an {office.text()}"
    boxed = rng.random() < 0.5

    flow = FormFlow(rng, rng.choice(A4_DPIS))
    flow.aligned(CT01_NOTE, flow.font("italic", -2.5), "right",
                 ((flow.canvas.left + flow.canvas.right) / 2, flow.canvas.right))
    _motto(flow)
    flow.aligned("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", flow.font("bold", 2.0))
    flow.space(0.3)
    flow.row(Cell(f"Kính gửi{flow.call(1)}:", recipient))
    name_label = rng.choice(("1. Họ, chữ đệm và tên:", "1. Họ, chữ đệm, tên:", "1. Họ và tên:"))
    flow.row(Cell(name_label, declarant.name.upper()))
    flow.row(Cell("2. Ngày, tháng, năm sinh:", dmy(declarant.born)),
             Cell("3. Giới tính:", declarant.sex))
    flow.row(Cell("4. Số định danh cá nhân:", declarant.id_number, boxes=12 if boxed else 0))
    flow.row(Cell("5. Số điện thoại liên hệ:", phone), Cell("6. Email:", email))
    flow.row(Cell("7. Họ, chữ đệm và tên chủ hộ:", head.name.upper()),
             Cell("8. Mối quan hệ với chủ hộ:", relation))
    flow.row(Cell("9. Số định danh cá nhân của chủ hộ:", head.id_number,
                  boxes=12 if boxed else 0))
    flow.row(Cell(f"10. Nội dung đề nghị{flow.call(2)}:", request))
    flow.paragraph("11. Những thành viên trong hộ gia đình cùng thay đổi:", indent=False)
    rows = [(str(i), m.name.upper(), dmy(m.born), m.sex, m.id_number, r)
            for i, (m, r) in enumerate(members, start=1)]
    flow.table(TABLE_HEADER, rows, TABLE_SHARES, empty_rows=rng.randint(1, 4 - min(3, len(rows))))
    flow.space(0.5)
    day = spelled_date(signed.day, signed.month, signed.year)
    flow.aligned(f"{office.ward_name}, {day}", flow.italic, "right")
    blocks = [(f"Ý KIẾN CỦA CHỦ HỘ{flow.call(3)}", "(Ghi rõ nội dung, ký, ghi rõ họ tên)",
               None if is_head else head.name),
              ("NGƯỜI KÊ KHAI", "(Ký, ghi rõ họ tên)", declarant.name)]
    if rng.random() < 0.4:
        blocks.insert(1, (f"Ý KIẾN CỦA CHỦ SỞ HỮU CHỖ Ở HỢP PHÁP{flow.call(4)}",
                          "(Ghi rõ nội dung, ký, ghi rõ họ tên)", None))
    flow.signature_blocks(blocks)

    fields = {
        "recipient": recipient,
        "full_name": declarant.name.upper(),
        "date_of_birth": dmy(declarant.born),
        "sex": declarant.sex,
        "id_number": declarant.id_number,
        "phone": phone.replace(" ", ""),
        "email": email,
        "household_head_name": head.name.upper(),
        "relationship_to_head": relation,
        "household_head_id_number": head.id_number,
        "request_content": request,
        "members": [{"full_name": m.name.upper(), "date_of_birth": dmy(m.born), "sex": m.sex,
                     "id_number": m.id_number} for m, _ in members],
    }
    return flow.canvases, fields, flow.family.name


# --- public API ----------------------------------------------------------------------------------

_A4_FORMS: dict[str, Callable[[random.Random, Pool, int], tuple[list[PageCanvas], dict, str]]] = {
    "birth_registration": birth_registration,
    "residence_change": residence_change,
}


def make_form_sample(form_type: str, seed: int, pool: Pool = "dev",
                     strength: PageLook | None = None) -> FormSample:
    """A filled, degraded document of ``form_type`` and its expected fields.

    The same (form_type, seed, pool) always gives the same pixels, lines and expected values.
    ``strength`` degrades every page of an A4 form that one way (``"photocopy"``: a copied
    dossier; ``"phone"``: photographed on a desk, written as a camera's JPEG) instead of the
    seed's scan; an ID card keeps its own photograph or scan.
    """
    _check_pool(pool)
    if form_type not in FORM_TYPES:
        raise ValueError(f"form_type must be one of {FORM_TYPES}, not {form_type!r}")
    rng = _rng("sample", pool, form_type, seed)
    if form_type == "cccd":
        from sohoa_dev.synth.cards import card_sample

        card = card_sample(rng, pool, seed)
        expected = {"form_type": form_type, "fields": card.fields}
        return FormSample(form_type, seed, pool, card.pages, card.dpi, card.lines,
                          _check_expected(form_type, expected), turns=card.turns,
                          variant=card.layout)
    canvases, fields, font = _A4_FORMS[form_type](rng, pool, seed)
    images, lines, turns = scan_pages(canvases, rng, pool, seed, font, strength=strength)
    expected = {"form_type": form_type, "fields": fields}
    photo = strength == "phone"
    dpi = camera_dpi(max(images[0].shape[:2])) if photo else canvases[0].page.dpi
    return FormSample(form_type, seed, pool, tuple(images), dpi, tuple(lines),
                      _check_expected(form_type, expected), turns=tuple(turns), photo=photo)


OUR_TITLES = ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "CĂN CƯỚC")


def _is_ours(page: SynthPage) -> bool:
    return any(title in text for text, _ in page.lines for title in OUR_TITLES)


def make_unknown_sample(seed: int, pool: Pool = "dev") -> FormSample:
    """A document of another kind (other forms, prose): the extractor must call it unknown."""
    _check_pool(pool)
    rng = _rng("unknown", pool, seed)
    dpi = rng.choice((200, 240, 300))
    pages: list[SynthPage] = []
    for _ in range(rng.choice((1, 1, 2))):
        while True:
            page = render_page(rng.randrange(1 << 30), pool, rng.choice(("form", "form", "prose")),
                               dpi)
            if not _is_ours(page):
                break
        pages.append(degrade_page(page, _seed32(rng), "scan"))
    turns = tuple(2 if rng.random() < 0.1 else 0 for _ in pages)
    turned = [turn_page(p.image, p.lines, turn) for p, turn in zip(pages, turns)]
    expected = {"form_type": UNKNOWN, "fields": {}}
    return FormSample(UNKNOWN, seed, pool, tuple(image for image, _ in turned), dpi,
                      tuple(lines for _, lines in turned), expected, turns=turns)


def sample_digest(sample: FormSample) -> str:
    """A short hash of the pages' pixels, for determinism checks."""
    digest = hashlib.sha256()
    for page in sample.pages:
        digest.update(page.tobytes())
    return digest.hexdigest()[:16]
