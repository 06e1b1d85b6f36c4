"""Training samples for a Vietnamese text-line recognizer: one printed line in its page context.

A recognizer reads crops cut from a page around a detected line box, so its training images must
look like such crops: the target line with bits of the lines just above and below (or a ruled
line, or nothing), in an office font at a scanner's resolution, then scanned, photocopied or
photographed with a phone. Each sample is a small strip (three lines, a few hundred pixels wide)
rather than a page, because the trainer needs tens of thousands of them on two CPU cores.

Text comes from several generators mixed by weight: syllables of the Vietnamese hunspell word
list, generated names, 2025 addresses, dates, ID and phone numbers, form labels with dotted
blanks, numbered headings, snippets of administrative prose. Wording taken from form templates
and paragraphs comes from the ``dev`` pool only, so the benchmark's ``heldout`` pages stay unseen.

Everything is drawn from the sample's seed: the same seed gives the same pixels and text (on the
same installed fonts and library versions). ``split_of`` holds one seed in ten out for validation.
"""

from __future__ import annotations

import calendar
import math
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.domain import Quad
from ocr_service.lexicon.syllables import strip_marks
from sohoa_dev.synth import corpus
from sohoa_dev.synth.corpus import ALLOWED_CHARS, VIETNAMESE_LETTERS
from sohoa_dev.synth.degrade import Strength, _move, degrade_with_matrix, jpeg_grey, photocopy
from sohoa_dev.synth.render import (
    FAMILIES,
    FONT_ROOTS,
    _font,
    _quad,
    _rng,
    installed_font,
    is_held_out_font,
    missing_chars,
    pt_to_px,
    text_length,
)

Split = Literal["train", "heldout"]
Degradation = Literal["scan", "photocopy", "phone"]
DEGRADATIONS: tuple[Degradation, ...] = ("scan", "photocopy", "phone")
DEGRADATION_WEIGHTS = (0.45, 0.25, 0.30)
SCAN_STRENGTHS: tuple[Strength, ...] = ("light", "scan", "heavy")
SCAN_STRENGTH_WEIGHTS = (0.3, 0.5, 0.2)
MIN_HEAVY_PX = 26
"""Smaller text gets "scan" instead of "heavy": a 1.6 px blur wipes out its tone marks."""
MIN_PHONE_PX = 18
"""A phone photo keeps the font at least this many pixels high (see ``phone``)."""

DPI_RANGE = (150, 300)
BODY_PT = (9.0, 14.0)
LINE_SPACING = (1.0, 1.6)
"""Baseline-to-baseline distance as a multiple of the font size."""
MAX_ASPECT = 30.0
"""Longest target box, as width over height: recognizers resize crops to a fixed height and a
bounded width, so a longer line would be squeezed (or need a wider network) for nothing."""

ELLIPSIS = "…"
LINE_CHARS = ALLOWED_CHARS | {ELLIPSIS, "?", "!", "@", "_"}
"""What a line's text may contain: corpus.ALLOWED_CHARS, plus "…" because forms print blanks as
runs of it as well as of dots (evaluation.py already treats both as leaders), the "?" and "!"
of prose, which our forms never print but books and letters do, and e-mail addresses' "@" and
"_"."""
HUNSPELL_VI = Path("/usr/share/hunspell/vi_VN.dic")
"""Debian ``hunspell-vi``: some 6,600 Vietnamese syllables, the vocabulary beyond our templates."""

_REFERENCE = "Hbg"
"""Letters whose tops and bottoms mark a line's normal ascender and descender (see ``_ink_box``)."""
_INK = 224
"""A pixel darker than this (an eighth of full coverage) is ink for the box: antialiasing fringes
fainter than that carry no shape."""


def split_of(seed: int) -> Split:
    """Seeds ending in 9 are held out: a fixed, disjoint tenth the trainer never learns from."""
    return "heldout" if seed % 10 == 9 else "train"


def check_line_text(text: str) -> str:
    """Return ``text`` after asserting it is NFC, not blank, and uses only ``LINE_CHARS``."""
    assert text.strip(), "empty line text"
    assert unicodedata.is_normalized("NFC", text), f"not NFC: {text!r}"
    stray = set(text) - LINE_CHARS
    assert not stray, f"characters outside the line charset: {sorted(stray)} in {text!r}"
    return text


# --- fonts ---------------------------------------------------------------------------------------

COVERAGE_CHARS = "".join(sorted(LINE_CHARS))
"""Every character a line may hold: a font must draw all of them to be used."""


def covers(path: Path, chars: str = COVERAGE_CHARS) -> bool:
    """Whether ``path`` has a real glyph for each of ``chars``.

    A few hard letters are tried first: most fonts under /usr/share/fonts are Noto fonts for other
    scripts, and they fail on the first Vietnamese letter, so the full check is run only ~50 times.
    """
    quick = "".join(ch for ch in "ệĐươẫ" + ELLIPSIS if ch in chars)
    return not missing_chars(path, quick) and not missing_chars(path, chars)


@lru_cache(maxsize=None)
def vietnamese_fonts() -> tuple[Path, ...]:
    """Every installed font file (any face) that draws all of Vietnamese, digits and punctuation.

    Searches all of ``render.FONT_ROOTS`` rather than render's six families: more typefaces make a
    recognizer that does not depend on one font's shapes. Sorted, so a seed picks the same file on
    every run. The second held-out generator's fonts (``render.is_held_out_font``) are never used.
    """
    paths = sorted({
        path for root in FONT_ROOTS if root.is_dir() for path in root.rglob("*")
        if path.suffix.lower() in (".ttf", ".otf") and path.is_file()
        and not is_held_out_font(path)
    })
    return tuple(path for path in paths if covers(path))


@lru_cache(maxsize=None)
def _office_fonts() -> tuple[Path, ...]:
    """The covering files of render's families: the fonts offices actually print with."""
    wanted = {installed_font(name) for family in FAMILIES for name in family.files.values()}
    return tuple(path for path in vietnamese_fonts() if path in wanted)


def face_of(path: Path) -> str:
    """"regular", "bold", "italic" or "bold italic", from the file name (Oblique is italic)."""
    name = path.stem.lower()
    bold, italic = "bold" in name, "italic" in name or "oblique" in name
    if bold and italic:
        return "bold italic"
    return "bold" if bold else "italic" if italic else "regular"


def _choose_font(rng: random.Random) -> Path:
    """Half the time an office family, half the time any covering file (condensed, mono, ...)."""
    office = _office_fonts()
    fonts = office if office and rng.random() < 0.5 else vietnamese_fonts()
    if not fonts:
        raise RuntimeError("No installed font covers Vietnamese; install fonts-dejavu-core, "
                           "fonts-liberation2 or fonts-noto-core (scripts/setup.sh does).")
    return rng.choice(fonts)


# --- text ----------------------------------------------------------------------------------------

_LEADER_RUN = re.compile(r"(?:\{\.\.\}\s*)+")
_CHECKBOX = re.compile(r"^\[[ x]\] ")
_WORD = re.compile(r"[^\W\d_]+")


def _fallback_words() -> tuple[str, ...]:
    """Words of the corpus's dev-pool text and name vocabularies, for machines without the
    hunspell list (the heldout pool's wording stays out of training, as everywhere here)."""
    sources = [*corpus.form_templates("dev"), *(t + " " + b for t, b in corpus.paragraphs("dev")),
               *corpus.SURNAMES, *corpus.COMMUNE_NAMES, *corpus.STREETS, *corpus.OCCUPATIONS]
    text = " ".join(sources)
    words = {word for word in _WORD.findall(re.sub(r"\{\w+\??\}", " ", text))}
    return tuple(sorted(word for word in words if set(word) <= VIETNAMESE_LETTERS))


@lru_cache(maxsize=None)
def dictionary_words(path: Path = HUNSPELL_VI) -> tuple[str, ...]:
    """The hunspell word list (count line skipped, ``/flags`` stripped, NFC), or corpus words.

    Only words made of Vietnamese letters are kept, so every generated line stays in the charset.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
    except OSError:
        return _fallback_words()
    words = (unicodedata.normalize("NFC", line.split("/", 1)[0].strip()) for line in lines)
    kept = tuple(dict.fromkeys(w for w in words if w and set(w) <= VIETNAMESE_LETTERS))
    return kept or _fallback_words()


@lru_cache(maxsize=None)
def _form_segments() -> tuple[str, ...]:
    """Every column of every dev-pool form line, placeholders kept: "Nơi cư trú: {addr?}{..}"."""
    segments: list[str] = []
    for template in corpus.form_templates("dev"):
        for line in template.splitlines():
            token, _, rest = line.partition(" ")
            if token == "--" or not line.strip():
                continue
            text = rest if token in corpus.STYLE_PREFIXES else line
            segments += [_CHECKBOX.sub("", part.strip()) for part in text.split(" || ")]
    return tuple(dict.fromkeys(s for s in segments if s))


@lru_cache(maxsize=None)
def _labels() -> tuple[str, ...]:
    """The labels of the dev forms ("Họ, chữ đệm và tên:"), for label-and-value lines."""
    found = (re.match(r"^([^{}]*?:)", segment) for segment in _form_segments())
    return tuple(dict.fromkeys(m.group(1).strip() for m in found if m and len(m.group(1)) > 3))


def _leader(rng: random.Random) -> str:
    """A printed blank: 5-60 dots, or a run of ellipsis characters."""
    if rng.random() < 0.75:
        return "." * rng.randint(5, 60)
    return ELLIPSIS * rng.randint(2, 20)


def _case(rng: random.Random, text: str) -> str:
    """Sentence, lower, Title or UPPER case: documents use all four."""
    style = rng.choices(("sentence", "lower", "title", "upper"), (0.4, 0.25, 0.2, 0.15))[0]
    if style == "lower":
        return text.lower()
    if style == "upper":
        return text.upper()
    if style == "title":
        return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))
    return text[:1].upper() + text[1:]


def _window(rng: random.Random, words: Sequence[str], low: int, high: int) -> list[str]:
    count = min(len(words), rng.randint(low, high))
    start = rng.randint(0, len(words) - count)
    return list(words[start:start + count])


def _words_line(rng: random.Random) -> str:
    """2-12 dictionary syllables with occasional commas, numbers and closing punctuation."""
    vocabulary = dictionary_words()
    words = [rng.choice(vocabulary) for _ in range(rng.randint(2, 12))]
    for i in range(len(words) - 1):
        if rng.random() < 0.08:
            words[i] += rng.choice((",", ",", ";", ":"))
    if rng.random() < 0.1:
        words.insert(rng.randint(0, len(words)), str(rng.randint(1, 2030)))
    text = _case(rng, " ".join(words))
    if rng.random() < 0.08:
        text = f"({text})" if rng.random() < 0.5 else f"\"{text}\""
    return text + rng.choices(("", ".", ":", ";", ",", "?", "!"),
                              (0.53, 0.25, 0.06, 0.05, 0.04, 0.035, 0.035))[0]


def _prose_line(rng: random.Random) -> str:
    """A run of 3-14 consecutive words of a dev-pool paragraph: real Vietnamese word order.

    A quarter are direct speech as books and letters print it: opened, closed, or both, with the
    sentence's own "?" or "!" inside the closing quote.
    """
    _, body = rng.choice(corpus.paragraphs("dev"))
    filled = corpus.fill(body, corpus.field_values(rng), rng, 1.0)
    text = " ".join(_window(rng, filled.split(), 3, 14))
    speech = rng.random()
    if speech >= 0.25:
        return text
    ending = rng.choice((".", "?", "!", ""))
    if speech < 0.1:
        return f"\"{text}"
    closed = text.rstrip(".,;:") + ending + "\""
    return closed if speech < 0.17 else "\"" + closed


def _name_line(rng: random.Random) -> str:
    someone = corpus.person(rng)
    name = someone.upper_name if rng.random() < 0.5 else someone.name
    title = "Ông " if someone.sex == "Nam" else "Bà "
    prefix = rng.choices(("", "Họ và tên: ", title, "Họ, chữ đệm và tên: "),
                         (0.6, 0.15, 0.15, 0.1))[0]
    return prefix + name


def _address_line(rng: random.Random) -> str:
    text = corpus.address(rng)
    if rng.random() < 0.1:
        text = text.upper()
    prefix = rng.choices(("", "Nơi cư trú: ", "Địa chỉ: ", "Nơi thường trú: ", "Quê quán: "),
                         (0.6, 0.1, 0.1, 0.1, 0.1))[0]
    return prefix + text


def _date_line(rng: random.Random) -> str:
    month, year = rng.randint(1, 12), rng.randint(1940, 2030)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    form = rng.choices(("dmy", "spelled", "dated", "blank", "label"),
                       (0.3, 0.25, 0.2, 0.1, 0.15))[0]
    if form == "dmy":
        return f"{day:02d}/{month:02d}/{year}"
    if form == "spelled":
        text = corpus.spelled_date(day, month, year)
        return text[:1].upper() + text[1:] if rng.random() < 0.3 else text
    if form == "dated":
        place = corpus.commune_name(rng).split(" ", 1)[1]
        return f"{place}, {corpus.spelled_date(day, month, year)}"
    if form == "blank":
        blank = "." * rng.randint(4, 12)
        return f"ngày {blank} tháng {blank} năm {rng.choice((blank, '20' + blank[:6]))}"
    label = rng.choice(("Ngày sinh: ", "Ngày, tháng, năm sinh: ", "Ngày cấp: ", "Có giá trị đến: "))
    return f"{label}{day:02d}/{month:02d}/{year}"


def _id_line(rng: random.Random) -> str:
    someone = corpus.person(rng)
    prefix = rng.choices(("", "Số định danh cá nhân: ", "Số: ", "Căn cước số "),
                         (0.5, 0.2, 0.15, 0.15))[0]
    return prefix + someone.id_number


def _phone_line(rng: random.Random) -> str:
    prefix = rng.choices(("", "Số điện thoại: ", "Điện thoại: ", "ĐT: "), (0.5, 0.2, 0.15, 0.15))[0]
    return prefix + corpus.phone_number(rng)


_MAIL_DOMAINS = ("gmail.com", "gmail.com", "yahoo.com", "yahoo.com.vn", "outlook.com",
                 "hotmail.com", "icloud.com", "vnpt.vn", "fpt.com.vn", "hanoi.gov.vn",
                 "hcmcpv.org.vn", "moj.gov.vn")


def _email_line(rng: random.Random) -> str:
    """An e-mail address as a citizen writes it, alone or after its label: name parts joined by
    ".", "_", "-" or nothing, in any order, with initials or a year. Stage 5 read the dots
    between name parts poorly: forms gave it one style of address, "tên.hđ12"."""
    parts = strip_marks(corpus.person(rng).name).lower().split()
    sep = rng.choice((".", ".", "_", "", "-"))
    user = rng.choice((
        sep.join(parts),
        sep.join([parts[-1], *parts[:-1]]),
        parts[-1] + sep + "".join(p[0] for p in parts[:-1]),
        "".join(p[0] for p in parts[:-1]) + sep + parts[-1],
        parts[0] + sep + parts[-1],
    ))
    if rng.random() < 0.6:
        joint = rng.choice(("", ".", "_"))
        user += joint + str(rng.choice((rng.randint(1, 99), rng.randint(1950, 2010))))
    prefix = rng.choices(("", "Email: ", "E-mail: ", "Thư điện tử: ", "Địa chỉ thư điện tử: "),
                         (0.4, 0.25, 0.15, 0.1, 0.1))[0]
    return f"{prefix}{user}@{rng.choice(_MAIL_DOMAINS)}"


def _label_line(rng: random.Random) -> str:
    """A dev-form line filled or left blank, blanks printed as dot (or ellipsis) leaders."""
    if rng.random() < 0.25:
        label = rng.choice(_labels())
        return label if rng.random() < 0.3 else f"{label} {_leader(rng)}"
    segment = rng.choice(_form_segments())
    filled = corpus.fill(segment, corpus.field_values(rng), rng, fill_rate=rng.random())
    trailing = re.search(r"(?:\{\.\.\}\s*)+$", filled)
    before = filled[:trailing.start()].rstrip() if trailing else ""
    if trailing and before and not before.endswith(":") and rng.random() < 0.4:
        filled = before  # a filled-in value, without the dots after it
    filled = _LEADER_RUN.sub(lambda _: f" {_leader(rng)} ", filled)
    words = filled.split()
    if len(words) > 14:
        words = _window(rng, words, 3, 14)
    if rng.random() < 0.08:
        return " ".join(words).upper()
    return " ".join(words)


_LATIN = "abcdefghijklmnopqrstuvwxyz"
_LATIN_WEIGHTS = [4.0 if letter in "fjwz" else 1.0 for letter in _LATIN]
"""Letters of foreign words, "f", "j", "w" and "z" drawn four times as often: Vietnamese words
never spell them, so neither our dictionary nor our forms hold them (none in 5,000 lines before
``_latin_line``), and stage 6 read "W" as "V" and "Z" as "2"."""
_UNITS = ("kW", "kWh", "MW", "W", "Wh", "GWh", "Hz", "kHz", "MHz", "GHz", "Wi-Fi", "km/h", "ft",
          "DJ", "FM", "ZIP", "JPEG", "PDF", "FAX", "WTO", "WHO", "FIFA", "Jun")
"""Mixed-case units and abbreviations printed in Vietnamese documents with these letters."""


def _foreign_word(rng: random.Random) -> str:
    """An invented Latin word of 2-9 letters, lower, Title or UPPER case, or a unit; invented so
    that the reader learns the letters, not a vocabulary."""
    if rng.random() < 0.15:
        return rng.choice(_UNITS)
    word = "".join(rng.choices(_LATIN, _LATIN_WEIGHTS, k=rng.randint(2, 9)))
    style = rng.choices(("lower", "title", "upper"), (0.45, 0.3, 0.25))[0]
    return word.upper() if style == "upper" else word.title() if style == "title" else word


def _latin_line(rng: random.Random) -> str:
    """Vietnamese words with one to three foreign words or units among them ("công suất 220 kW",
    "ứng dụng Zewaf"), as names, brands and units appear in Vietnamese text."""
    words = [rng.choice(dictionary_words()) for _ in range(rng.randint(1, 9))]
    for _ in range(rng.randint(1, 3)):
        word = _foreign_word(rng)
        if rng.random() < 0.2:
            word = f"{rng.randint(1, 999)} {word}"
        words.insert(rng.randint(0, len(words)), word)
    text = " ".join(words)
    return text[:1].upper() + text[1:] + rng.choice(("", "", ".", ",", ":"))


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _heading_line(rng: random.Random) -> str:
    """A numbered heading ("1.", "a)", "II.", "Điều 3." ...), then a title or a few words."""
    n = rng.randint(1, 12)
    letter, roman = "abcdđeghiklm"[n - 1], _ROMAN[n - 1]
    number = rng.choice((
        f"{n}.", f"{n})", f"{letter})", f"{letter}.", f"{roman}.", f"Điều {rng.randint(1, 99)}.",
        f"Khoản {n}.", f"Chương {roman}", f"{n}.{rng.randint(1, 9)}.", "-",
    ))
    if rng.random() < 0.5:
        title = rng.choice(corpus.paragraphs("dev"))[0]
    else:
        title = " ".join(rng.choice(dictionary_words()) for _ in range(rng.randint(1, 8)))
    return f"{number} {_case(rng, title)}"


_GENERATORS: tuple[tuple[Callable[[random.Random], str], float], ...] = (
    (_words_line, 0.25), (_prose_line, 0.12), (_name_line, 0.08), (_address_line, 0.08),
    (_date_line, 0.07), (_id_line, 0.05), (_phone_line, 0.04), (_email_line, 0.04),
    (_label_line, 0.22), (_heading_line, 0.09), (_latin_line, 0.06),
)


def line_text(rng: random.Random) -> str:
    """One line of training text from a weighted mix of generators; NFC, in ``LINE_CHARS``."""
    generator = rng.choices([g for g, _ in _GENERATORS], [w for _, w in _GENERATORS])[0]
    text = unicodedata.normalize("NFC", " ".join(generator(rng).split()))
    return check_line_text(text)


# --- geometry of one line ------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _reference_rows(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """Top and bottom of ``_REFERENCE`` relative to the baseline: every box spans at least these
    rows, so a line of digits or dots is as high as a line of words (and cannot dodge the width
    cap by being flat)."""
    top, bottom = font.getbbox(_REFERENCE, anchor="ls")[1::2]
    return top, bottom


def _fit(font: ImageFont.FreeTypeFont, text: str, max_width: float) -> str:
    """``text`` cut at a word boundary to at most ``max_width`` pixels of advance.

    A leader (dots or ellipses) at the cut is shortened rather than dropped; a single word longer
    than the line is kept (it does not happen with our generators and sizes).
    """
    words = text.split(" ")
    space = text_length(font, " ")
    kept: list[str] = []
    used = 0.0
    for word in words:
        needed = text_length(font, word) + (space if kept else 0.0)
        if used + needed > max_width:
            if word and set(word) <= {".", ELLIPSIS}:
                room = max_width - used - (space if kept else 0.0)
                count = int(room // text_length(font, word[0]))
                if count >= 3:
                    kept.append(word[0] * count)
            break
        kept.append(word)
        used += needed
    return " ".join(kept) if kept else words[0]


def _fit_aspect(font: ImageFont.FreeTypeFont, text: str) -> str:
    """``text`` cut so that its box is at most ``MAX_ASPECT`` times as wide as it is high.

    The box is at least as high as the reference letters, so capping against their height is
    safe without measuring the line's own glyphs (that costs as much as drawing them). Ink may
    overhang the advance width (italics) by a pixel or two: keep those in hand.
    """
    top, bottom = _reference_rows(font)
    return _fit(font, text, MAX_ASPECT * (bottom - top) - 3)


# --- drawing -------------------------------------------------------------------------------------

Neighbour = Literal["text", "blank", "rule"]


@dataclass(frozen=True)
class _Layout:
    """Where the three lines go on the strip; chosen from the seed before anything is drawn."""

    size: tuple[int, int]
    baselines: tuple[float, float, float]
    starts: tuple[float, float, float]
    texts: tuple[str, str, str]
    """Above, target, below; "" where the neighbour is blank or a rule."""
    kinds: tuple[Neighbour, Neighbour]
    """Above and below."""
    ink: int


def _layout(rng: random.Random, font: ImageFont.FreeTypeFont) -> _Layout:
    size = font.size
    spacing = round(size * rng.uniform(*LINE_SPACING))
    ascent, descent = font.getmetrics()
    left = size * rng.uniform(0.3, 2.0)
    texts: list[str] = []
    kinds: list[Neighbour] = []
    for slot in range(3):
        kind: Neighbour = "text"
        if slot != 1:
            kind = rng.choices(("text", "blank", "rule"), (0.72, 0.18, 0.10))[0]
            kinds.append(kind)
        texts.append(_fit_aspect(font, line_text(rng)) if kind == "text" else "")
    starts = [left + (size * 2.0 if rng.random() < 0.15 else 0.0) for _ in range(3)]
    widths = [text_length(font, text) for text in texts]
    width = math.ceil(max(s + w for s, w in zip(starts, widths)) + size * rng.uniform(0.3, 1.5))
    top = size * rng.uniform(0.1, 0.5)
    first = top + (spacing - size) / 2 + ascent
    baselines = (first, first + spacing, first + 2 * spacing)
    height = math.ceil(baselines[2] + descent + size * rng.uniform(0.1, 0.5))
    return _Layout(size=(width, height), baselines=baselines,
                   starts=tuple(starts),  # type: ignore[arg-type]
                   texts=tuple(texts),  # type: ignore[arg-type]
                   kinds=tuple(kinds),  # type: ignore[arg-type]
                   ink=rng.randint(0, 40))


def _draw(layout: _Layout, font: ImageFont.FreeTypeFont, rng: random.Random,
          dpi: int) -> tuple[np.ndarray, Quad]:
    """Draw the strip; return it and the target's box.

    The box is the target's ink, like render.py's ``textbbox`` boxes (ink of the line's own
    glyphs) but measured on the pixels, so it is tight in x too; in y it spans at least the
    reference letters' ascender and descender (render's boxes agree on any line holding such
    letters, which nearly every line of words does).
    """
    image = Image.new("L", layout.size, 255)
    draw = ImageDraw.Draw(image)
    baseline, start, text = layout.baselines[1], layout.starts[1], layout.texts[1]
    draw.text((start, baseline), text, font=font, fill=layout.ink, anchor="ls")
    # Only the target is drawn yet, so all ink on the strip is its own.
    ink = np.asarray(image) < _INK
    columns, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    if columns.size:
        x0, x1, y0, y1 = columns[0], columns[-1] + 1.0, rows[0], rows[-1] + 1.0
    else:  # nothing dark enough (a hairline face at a tiny size): PIL's box of the glyphs
        x0, y0, x1, y1 = draw.textbbox((start, baseline), text, font=font, anchor="ls")
    top, bottom = _reference_rows(font)
    y0, y1 = min(float(y0), baseline + top), max(float(y1), baseline + bottom)
    for slot, kind in zip((0, 2), layout.kinds):
        if kind == "text":
            draw.text((layout.starts[slot], layout.baselines[slot]), layout.texts[slot],
                      font=font, fill=layout.ink, anchor="ls")
        elif kind == "rule":
            y = layout.baselines[slot] + (0 if slot == 0 else -font.size * 0.1)
            x_end = layout.size[0] * rng.uniform(0.4, 1.0)
            draw.line((rng.uniform(0, x0), y, x_end, y), fill=layout.ink,
                      width=max(1, dpi // 150))
    return np.asarray(image), _quad((x0, y0, x1, y1), layout.size)


# --- degradations --------------------------------------------------------------------------------


def _inside(box: Quad, shape: tuple[int, ...]) -> bool:
    height, width = shape[:2]
    return all(0.0 <= x <= width - 1.0 and 0.0 <= y <= height - 1.0 for x, y in box)


def _clamp(box: Quad, shape: tuple[int, ...]) -> Quad:
    height, width = shape[:2]
    return tuple((min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0))
                 for x, y in box)  # type: ignore[return-value]


def scan(image: np.ndarray, box: Quad, seed: int, strength: Strength) -> tuple[np.ndarray, Quad]:
    """``degrade.degrade`` on a strip, the box moved with the text.

    degrade() also slides a page by up to 5 mm, which would push a strip's line out of the strip;
    a strip is a window on a page, so the slide means nothing here. Passing ``dpi=0`` makes it
    0 px while every other step (skew about the centre, tint, blur, noise, JPEG) is drawn as for
    a page; the corners the skew uncovers take the paper colour, as the rest of the page would.
    """
    bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out, matrix = degrade_with_matrix(bgr, seed, strength, dpi=0)
    grey = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    return grey, _clamp(_move(box, matrix), grey.shape)


def _phone_warp(shape: tuple[int, ...], box: Quad, rng: np.random.Generator) -> np.ndarray:
    """A 3 x 3 homography: rotation up to 2 degrees about the target plus a slight perspective,
    halved until the target's box stays inside the strip."""
    height, width = shape[:2]
    centre = np.mean(np.array(box), axis=0)
    angle = rng.uniform(-2.0, 2.0)
    jitter = rng.uniform(-1, 1, (4, 2)) * (width * 0.01, height * 0.04)
    corners = np.array([(0, 0), (width, 0), (width, height), (0, height)], dtype=np.float32)
    for scale in (1.0, 0.5, 0.25, 0.125, 0.0):
        rotation = np.vstack([cv2.getRotationMatrix2D(tuple(centre), angle * scale, 1.0),
                              (0, 0, 1)])
        tilt = cv2.getPerspectiveTransform(corners, (corners + jitter * scale).astype(np.float32))
        matrix = tilt @ rotation
        if _inside(_project(box, matrix), shape):
            return matrix
    return np.eye(3)


def _project(box: Quad, matrix: np.ndarray) -> Quad:
    points = cv2.perspectiveTransform(np.array([box], dtype=np.float64), matrix)[0]
    return tuple((float(x), float(y)) for x, y in points)  # type: ignore[return-value]


def _lighting(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A phone's uneven light: a ramp in a random direction, sometimes a soft-edged shadow
    (a hand or the phone itself). Float32 gains, about 0.45-1.0."""
    height, width = shape[:2]
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    theta = rng.uniform(0, 2 * np.pi)
    ramp = np.float32(np.cos(theta)) * xs + np.float32(np.sin(theta) * height / width) * ys
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    light = np.float32(rng.uniform(0.75, 1.0)) - np.float32(rng.uniform(0.0, 0.3)) * ramp
    if rng.random() < 0.35:
        edge, softness = rng.uniform(0.2, 0.8), rng.uniform(0.02, 0.15)
        across = xs if rng.random() < 0.7 else ys
        depth = rng.uniform(0.15, 0.4)
        light = light * (1 - depth / (1 + np.exp((across - edge) / softness))).astype(np.float32)
    return light


def phone(image: np.ndarray, box: Quad, rng: np.random.Generator,
          font_px: int) -> tuple[np.ndarray, Quad]:
    """A phone photo of the page: tilt, focus blur, uneven light, a lower effective resolution
    with sensor noise, then strong JPEG. The box follows the tilt.

    The photo is "taken" at 40-85 % of the strip's resolution and scaled back up: light and noise
    are applied at that size, which is both what a sensor does and much cheaper. Blur and scale
    are bounded by the font size so the text stays at least 18 px high: below that the dot of "ạ"
    or the hook of "ả" is gone, and the ground truth would teach the recognizer to guess them.
    """
    height, width = image.shape[:2]
    matrix = _phone_warp(image.shape, box, rng)
    out = cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    box = _project(box, matrix)
    out = cv2.GaussianBlur(out, (0, 0), sigmaX=rng.uniform(0.3, min(1.3, 0.035 * font_px)))
    factor = rng.uniform(min(0.85, max(0.4, MIN_PHONE_PX / font_px)), 0.85)
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    taken = cv2.resize(out, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    taken *= _lighting(taken.shape, rng)
    taken += rng.standard_normal(taken.shape, dtype=np.float32) * np.float32(rng.uniform(2, 7))
    taken = np.clip(taken, 0, 255)
    out = cv2.resize(taken, (width, height), interpolation=cv2.INTER_LINEAR)
    result = out.round().astype(np.uint8)
    return jpeg_grey(result, int(rng.integers(35, 81))), _clamp(box, result.shape)


# --- samples -------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LineSample:
    """One training image and its ground truth."""

    image: np.ndarray
    """H x W uint8 grey strip: the target line with the lines just above and below it."""
    text: str
    """NFC ground truth of the target line only."""
    box: Quad
    """The target line in strip pixels: ink-tight in x; in y from the ascender ("b") or the
    line's highest mark, whichever is higher, to the descender ("g") or its lowest ink."""
    font: str
    """Family name, as the font file states it."""
    face: str
    dpi: int
    degradation: str
    """One of ``DEGRADATIONS``."""
    seed: int


def line_sample(seed: int) -> LineSample:
    """Render and degrade the sample of ``seed``; the same seed gives identical pixels and text."""
    rng = _rng("lines", seed)
    path = _choose_font(rng)
    dpi = rng.randint(*DPI_RANGE)
    font = _font(path, max(8, pt_to_px(rng.uniform(*BODY_PT), dpi)))
    layout = _layout(rng, font)
    image, box = _draw(layout, font, rng, dpi)
    degradation = rng.choices(DEGRADATIONS, DEGRADATION_WEIGHTS)[0]
    noise = np.random.default_rng(rng.getrandbits(64))
    if degradation == "scan":
        strength = rng.choices(SCAN_STRENGTHS, SCAN_STRENGTH_WEIGHTS)[0]
        if strength == "heavy" and font.size < MIN_HEAVY_PX:
            strength = "scan"
        image, box = scan(image, box, rng.getrandbits(32), strength)
    elif degradation == "photocopy":
        image = photocopy(image, noise, font.size)
    else:
        image, box = phone(image, box, noise, font.size)
    return LineSample(image=np.ascontiguousarray(image), text=layout.texts[1], box=box,
                      font=font.getname()[0], face=face_of(path), dpi=dpi,
                      degradation=degradation, seed=seed)
