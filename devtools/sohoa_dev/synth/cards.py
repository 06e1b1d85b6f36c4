"""Synthetic Vietnamese chip ID cards, front and back, photographed or scanned.

Citizens attach their ID card to almost every dossier, usually as a phone photo or a scan of
both sides. The card is small (ID-1, 85.6 × 53.98 mm) and its text tiny (5-9 pt), so an extractor
must cope with large resolutions, bilingual labels, values below their label, a QR code and the
machine-readable zone. Two layouts are drawn:

- 2021 "CĂN CƯỚC CÔNG DÂN / Citizen Identity Card": the front holds the QR code and every personal
  field including place of origin and the expiry date; the back the identifying marks, the date
  of issue, the issuer's title, fingerprints and the MRZ.
- 2024 "CĂN CƯỚC / IDENTITY CARD": the front holds name, birth date, sex and nationality; the back
  residence, place of birth registration, issue and expiry dates, the QR code and the MRZ. There
  is no place of origin, so that field is expected to be ``None``.

The MRZ comes from ``ocr_service.forms.mrz.compose_td1``, the same code the extractor checks it
with, so the synthetic cards and the reader agree on its format by construction.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

import cv2
import numpy as np
import segno
from PIL import Image, ImageDraw

from sohoa_dev.synth.corpus import Pool
from sohoa_dev.synth.degrade import _move, degrade_page
from sohoa_dev.synth.forms import (
    NATIONALITY,
    Citizen,
    Font,
    Line,
    citizen,
    dmy,
    family_font,
    hometown,
    person_name,
    random_date,
    random_place,
    street_address,
    text_families,
    turn_page,
)
from sohoa_dev.synth.render import (
    Box,
    FontFamily,
    SynthPage,
    _font,
    _installed_fonts,
    _quad,
    _union,
    mm_to_px,
    pt_to_px,
    text_length,
    wrap,
)

CARD_MM = (85.6, 53.98)
CORNER_MM = 3.18
CARD_DPIS = (400, 450, 500, 600)
MONO_FONTS = ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf")
"""Monospaced stand-ins for OCR-B, the MRZ typeface (not installed)."""
MIN_PT = 4.2
"""Smallest text drawn: still about 23 pixels high at 400 dpi."""
RGB = tuple[int, int, int]
INK: RGB = (25, 25, 30)
LABEL: RGB = (45, 45, 60)
RED: RGB = (200, 30, 35)
FEATURES = (
    "Nốt ruồi C:1cm trên sau đầu mày trái", "Sẹo chấm C:2cm dưới trước đuôi mắt phải",
    "Nốt ruồi C:1,5cm dưới sau mép trái", "Sẹo chấm C:3cm trên trước cánh mũi phải",
    "Nốt ruồi C:2cm dưới trước dái tai trái", "Sẹo chấm C:1cm trên đầu mày phải",
)
DIRECTOR_VI = "CỤC TRƯỞNG CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI"
DIRECTOR_EN = ("DIRECTOR GENERAL OF THE POLICE DEPARTMENT FOR ADMINISTRATIVE MANAGEMENT OF "
               "SOCIAL ORDER")
HEADER = (("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 6.2, "bold"),
          ("SOCIALIST REPUBLIC OF VIET NAM", 5.2, "bold"),
          ("Độc lập - Tự do - Hạnh phúc", 5.6, "bold"),
          ("Independence - Freedom - Happiness", 5.0, "regular"))


@dataclass(frozen=True)
class CardHolder:
    """Everything printed on one card."""

    layout: str
    """"2021" (Căn cước công dân) or "2024" (Căn cước)."""
    person: Citizen
    old_id: str
    residence: str
    origin: str
    """Quê quán (2021) or the place of birth registration (2024)."""
    issued: date
    expires: date
    features: str
    director: str

    @property
    def name(self) -> str:
        return self.person.name.upper()


@dataclass(frozen=True)
class CardSample:
    pages: tuple[np.ndarray, ...]
    dpi: int
    lines: tuple[tuple[Line, ...], ...]
    fields: dict
    turns: tuple[int, ...]
    layout: str


def _birthday(born: date, years: int) -> date:
    year = born.year + years
    return born.replace(year=year) if (born.month, born.day) != (2, 29) else date(year, 2, 28)


def expiry(born: date, issued: date) -> date:
    """Cards run to the 25th, 40th or 60th birthday; one issued within two years of such a
    birthday runs to the next one (Law on Identification 2023, art. 21)."""
    for age in (25, 40, 60):
        if _birthday(born, age - 2) > issued:
            return _birthday(born, age)
    raise ValueError("holders of 58 or more get a card without expiry; not generated")


def card_holder(rng: random.Random) -> CardHolder:
    layout = rng.choice(("2021", "2024"))
    if layout == "2021":
        issued = random_date(rng, date(2021, 3, 1), date(2024, 6, 30))
    else:
        issued = random_date(rng, date(2024, 7, 1), date(2026, 6, 30))
    person = citizen(rng, first=issued - timedelta(days=round(57.5 * 365.25)),
                     last=issued - timedelta(days=round(14.2 * 365.25)))
    old_id = "".join(str(rng.randint(0, 9)) for _ in range(9)) \
        if rng.random() < (0.7 if layout == "2021" else 0.3) else ""
    return CardHolder(layout, person, old_id, street_address(rng, random_place(rng)),
                      hometown(rng), issued, expiry(person.born, issued), rng.choice(FEATURES),
                      person_name(rng, "Nam"))


def qr_payload(holder: CardHolder) -> str:
    """"ID12|OLD9|Full Name|DDMMYYYY|Nam|address|DDMMYYYY", as the card's QR code encodes it."""
    person = holder.person
    return "|".join((person.id_number, holder.old_id, person.name,
                     person.born.strftime("%d%m%Y"), person.sex, holder.residence,
                     holder.issued.strftime("%d%m%Y")))


class CardCanvas:
    """One side of a card, drawn in millimetres; records each printed line as ground truth."""

    def __init__(self, dpi: int, rng: random.Random, tint: RGB, family: FontFamily) -> None:
        self.dpi = dpi
        self.family = family
        self.size = (mm_to_px(CARD_MM[0], dpi), mm_to_px(CARD_MM[1], dpi))
        self.image = Image.new("RGB", self.size, tint)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[Line] = []
        self._pattern(rng, tint)

    def px(self, mm: float) -> float:
        return mm / 25.4 * self.dpi

    def font(self, pt: float, face: str = "regular") -> Font:
        return family_font(self.family, face, max(MIN_PT, pt), self.dpi)

    def _pattern(self, rng: random.Random, tint: RGB) -> None:
        """Faint guilloche waves and a large rosette, as security print; low contrast, so the
        text stays as legible as on a real card."""
        shade = tuple(max(0, c - 14) for c in tint)
        width, height = self.size
        step = self.px(1.6)
        phase = rng.uniform(0, math.tau)
        xs = np.linspace(0, width, 120)
        y = -step
        while y < height + step:
            points = [(float(x), float(y + step * 0.6 * math.sin(x / width * 9 + phase + y / 40)))
                      for x in xs]
            self.draw.line(points, fill=shade, width=max(1, self.dpi // 300))
            y += step
        cx, cy, radius = width * 0.55, height * 0.55, self.px(14)
        for k in range(24):
            angle = k * math.tau / 24
            self.draw.ellipse((cx + radius * 0.5 * math.cos(angle) - radius * 0.5,
                               cy + radius * 0.5 * math.sin(angle) - radius * 0.5,
                               cx + radius * 0.5 * math.cos(angle) + radius * 0.5,
                               cy + radius * 0.5 * math.sin(angle) + radius * 0.5),
                              outline=shade, width=max(1, self.dpi // 300))

    # -- text --

    def put(self, x_mm: float, baseline_mm: float, parts: list[tuple[str, float, str, RGB]],
            max_mm: float, align: str = "left", gap_at: float | None = None) -> None:
        """Draw ``parts`` (text, pt, face, colour) on one baseline, shrunk together to fit
        ``max_mm``; ``gap_at`` puts the third part at that x (mm) when there is room."""
        scale = 1.0
        while True:
            fonts = [self.font(pt * scale, face) for _, pt, face, _ in parts]
            width = sum(text_length(f, text) for (text, *_), f in zip(parts, fonts))
            if width <= self.px(max_mm) or all(f.size <= pt_to_px(MIN_PT, self.dpi)
                                                for f in fonts):
                break
            scale *= 0.95
        x = self.px(x_mm)
        if align == "centre":
            x += (self.px(max_mm) - width) / 2
        baseline = self.px(baseline_mm)
        boxes: list[Box] = []
        for number, ((text, _, _, colour), font) in enumerate(zip(parts, fonts)):
            if number == 2 and gap_at is not None and self.px(gap_at) > x and \
                    self.px(gap_at) + width - (x - self.px(x_mm)) < self.px(x_mm + max_mm):
                x = self.px(gap_at)
            self.draw.text((x, baseline), text, font=font, fill=colour, anchor="ls")
            boxes.append(self.draw.textbbox((x, baseline), text, font=font, anchor="ls"))
            x += text_length(font, text)
        self.record(" ".join(" ".join(p[0] for p in parts).split()), boxes)

    def record(self, text: str, boxes: list[Box]) -> None:
        box = _union(boxes)
        if text.strip() and box is not None:
            self.lines.append((text, _quad(box, self.size)))

    def wrapped(self, x_mm: float, baseline_mm: float, text: str, pt: float, face: str,
                colour: RGB, max_mm: float, max_lines: int, step_mm: float,
                align: str = "left") -> None:
        """``text`` on up to ``max_lines`` lines, shrinking the size until it fits in them."""
        while True:
            font = self.font(pt, face)
            lines = wrap(text.split(), font, self.px(max_mm))
            if len(lines) <= max_lines or pt <= MIN_PT:
                break
            pt -= 0.25
        for number, words in enumerate(lines):
            self.put(x_mm, baseline_mm + number * step_mm, [(" ".join(words), pt, face, colour)],
                     max_mm, align)

    def mrz(self, lines: tuple[str, str, str], rng: random.Random) -> None:
        """The three 30-character MRZ lines across the bottom, in a monospaced face."""
        installed = _installed_fonts()
        path = installed.get(rng.choice(MONO_FONTS)) or installed[MONO_FONTS[0]]
        width = self.px(rng.uniform(74.0, 78.0))
        font = _font(path, 100)
        size = int(100 * width / text_length(font, lines[0]))
        font = _font(path, size)
        x = (self.size[0] - text_length(font, lines[0])) / 2
        for number, line in enumerate(lines):
            baseline = self.px(41.6 + 4.6 * number)
            self.draw.text((x, baseline), line, font=font, fill=INK, anchor="ls")
            self.record(line, [self.draw.textbbox((x, baseline), line, font=font, anchor="ls")])

    # -- pictures --

    def emblem(self, cx_mm: float, cy_mm: float, r_mm: float) -> None:
        cx, cy, r = self.px(cx_mm), self.px(cy_mm), self.px(r_mm)
        self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(205, 40, 40),
                          outline=(225, 180, 60), width=max(2, self.dpi // 120))
        star = [(cx + r * (0.6 if k % 2 == 0 else 0.24) * math.sin(k * math.pi / 5),
                 cy - r * (0.6 if k % 2 == 0 else 0.24) * math.cos(k * math.pi / 5))
                for k in range(10)]
        self.draw.polygon(star, fill=(250, 215, 60))

    def photo(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float, rng: random.Random) -> None:
        """A stand-in portrait: head and shoulders on a pale blue ground, clipped to its frame."""
        w, h = round(self.px(w_mm)), round(self.px(h_mm))
        portrait = Image.new("RGB", (w, h), (rng.randint(200, 225), 215, 232))
        draw = ImageDraw.Draw(portrait)
        tone = (rng.randint(150, 200), rng.randint(130, 170), rng.randint(110, 150))
        draw.ellipse((0, h * 0.7, w, h * 1.4), fill=(70, 70, 85))
        draw.ellipse((w * 0.26, h * 0.16, w * 0.74, h * 0.66), fill=tone)
        draw.pieslice((w * 0.23, h * 0.1, w * 0.77, h * 0.5), 180, 360, fill=(30, 28, 28))
        self.image.paste(portrait, (round(self.px(x_mm)), round(self.px(y_mm))))

    def qr(self, payload: str, x_mm: float, y_mm: float, side_mm: float) -> None:
        code = segno.make(payload, error="m", micro=False, encoding="utf-8")
        matrix = np.array([list(row) for row in code.matrix], dtype=bool)
        quiet = 2
        count = matrix.shape[0] + 2 * quiet
        module = max(2, int(self.px(side_mm) // count))
        x0, y0 = round(self.px(x_mm)), round(self.px(y_mm))
        self.draw.rectangle((x0, y0, x0 + module * count - 1, y0 + module * count - 1),
                            fill=(255, 255, 255))
        for row, col in zip(*np.nonzero(matrix)):
            left, top = x0 + (col + quiet) * module, y0 + (row + quiet) * module
            self.draw.rectangle((left, top, left + module - 1, top + module - 1), fill=INK)

    def fingerprint(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> None:
        x0, y0, x1, y1 = (self.px(v) for v in (x_mm, y_mm, x_mm + w_mm, y_mm + h_mm))
        self.draw.rectangle((x0, y0, x1, y1), outline=LABEL, width=max(1, self.dpi // 200))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for k in range(2, 14):
            rx, ry = (x1 - x0) * 0.03 * k, (y1 - y0) * 0.032 * k
            self.draw.arc((cx - rx, cy - ry, cx + rx, cy + ry), 200 - k * 6, 340 + k * 6,
                          fill=(110, 110, 120), width=max(1, self.dpi // 250))

    def chip(self, x_mm: float, y_mm: float) -> None:
        x0, y0, x1, y1 = (self.px(v) for v in (x_mm, y_mm, x_mm + 10.5, y_mm + 8.5))
        self.draw.rounded_rectangle((x0, y0, x1, y1), radius=self.px(1.2), fill=(214, 178, 92),
                                    outline=(150, 120, 50), width=max(1, self.dpi // 200))
        for frac in (0.33, 0.66):
            self.draw.line((x0, y0 + (y1 - y0) * frac, x1, y0 + (y1 - y0) * frac),
                           fill=(150, 120, 50), width=max(1, self.dpi // 200))
        self.draw.line(((x0 + x1) / 2, y0, (x0 + x1) / 2, y1), fill=(150, 120, 50),
                       width=max(1, self.dpi // 200))

    def signature(self, cx_mm: float, cy_mm: float, rng: random.Random) -> None:
        points = [(self.px(cx_mm - 8 + k * 0.5), self.px(cy_mm + 1.5 * math.sin(k * 0.9 +
                                                                              rng.random())))
                  for k in range(33)]
        self.draw.line(points, fill=(40, 50, 120), width=max(2, self.dpi // 150))


def _header(card: CardCanvas, title: tuple[str, str]) -> None:
    for (text, pt, face), baseline in zip(HEADER, (4.6, 7.0, 9.6, 11.9)):
        card.put(15.0, baseline, [(text, pt, face, INK)], 54.0, "centre")
    card.put(15.0, 16.1, [(title[0], 9.5, "bold", RED)], 54.0, "centre")
    card.put(15.0, 18.9, [(title[1], 6.0, "bold", RED)], 54.0, "centre")


def _label_value(card: CardCanvas, x: float, baseline: float, label: str, value: str,
                 max_mm: float, value_pt: float = 6.5) -> None:
    card.put(x, baseline, [(label + " ", 5.0, "regular", LABEL), (value, value_pt, "bold", INK)],
             max_mm)


def _sex_and_nationality(card: CardCanvas, x: float, y: float, sex: str, room: float) -> None:
    """The one line both layouts print sex and nationality on."""
    card.put(x, y, [("Giới tính / Sex: ", 5.0, "regular", LABEL), (sex, 6.5, "bold", INK),
                    ("Quốc tịch / Nationality: ", 5.0, "regular", LABEL),
                    (NATIONALITY, 6.5, "bold", INK)], room, gap_at=x + 22.0)


def front_2021(card: CardCanvas, holder: CardHolder, rng: random.Random) -> None:
    person = holder.person
    card.emblem(8.5, 8.5, 5.5)
    card.qr(qr_payload(holder), 70.0, 1.6, 14.0)
    _header(card, ("CĂN CƯỚC CÔNG DÂN", "Citizen Identity Card"))
    card.photo(2.8, 20.6, 19.0, 24.0, rng)
    x, room = 24.5, 59.0
    _label_value(card, x, 23.0, "Số / No.:", person.id_number, room, 8.5)
    card.put(x, 26.2, [("Họ và tên / Full name:", 5.0, "regular", LABEL)], room)
    card.put(x, 29.8, [(holder.name, 8.0, "bold", INK)], room)
    _label_value(card, x, 33.0, "Ngày sinh / Date of birth:", dmy(person.born), room)
    _sex_and_nationality(card, x, 36.2, person.sex, room)
    card.put(x, 39.4, [("Quê quán / Place of origin:", 5.0, "regular", LABEL)], room)
    card.wrapped(x, 42.6, holder.origin, 6.5, "bold", INK, room, 1, 3.2)
    card.put(x, 45.8, [("Nơi thường trú / Place of residence:", 5.0, "regular", LABEL)], room)
    card.wrapped(x, 49.0, holder.residence, 6.5, "bold", INK, room, 2, 3.0)
    card.put(2.2, 47.8, [("Có giá trị đến: ", 4.8, "regular", LABEL),
                         (dmy(holder.expires), 5.6, "bold", INK)], 21.5)
    card.put(2.2, 50.6, [("Date of expiry", 4.6, "italic", LABEL)], 21.5)


def back_2021(card: CardCanvas, holder: CardHolder, rng: random.Random) -> None:
    room = 52.0
    card.put(3.0, 5.0, [("Đặc điểm nhân dạng / Personal identification:", 5.0, "regular",
                         LABEL)], room)
    card.wrapped(3.0, 8.4, holder.features, 6.0, "bold", INK, room, 1, 3.0)
    _label_value(card, 3.0, 12.6, "Ngày, tháng, năm / Date, month, year:", dmy(holder.issued),
                 room, 6.0)
    card.wrapped(3.0, 16.4, DIRECTOR_VI, 5.2, "bold", INK, room, 2, 2.6, "centre")
    card.wrapped(3.0, 21.8, DIRECTOR_EN, 4.6, "regular", LABEL, room, 2, 2.4, "centre")
    card.signature(29.0, 28.5, rng)
    card.put(3.0, 34.6, [(holder.director, 5.8, "bold", INK)], room, "centre")
    for x, vi, en in ((57.0, "Ngón trỏ trái", "Left index finger"),
                      (70.6, "Ngón trỏ phải", "Right index finger")):
        card.put(x, 4.6, [(vi, 4.6, "regular", LABEL)], 12.6, "centre")
        card.put(x, 7.0, [(en, 4.4, "italic", LABEL)], 12.6, "centre")
        card.fingerprint(x + 0.3, 8.4, 12.0, 26.0)
    card.mrz(compose_mrz(holder), rng)


def front_2024(card: CardCanvas, holder: CardHolder, rng: random.Random) -> None:
    person = holder.person
    card.emblem(8.5, 8.5, 5.5)
    _header(card, ("CĂN CƯỚC", "IDENTITY CARD"))
    card.photo(2.8, 20.6, 19.0, 24.0, rng)
    card.chip(6.8, 45.2)
    x, room = 24.5, 59.0
    card.put(x, 23.0, [("Số định danh cá nhân / Personal identification number:", 5.0,
                        "regular", LABEL)], room)
    card.put(x, 27.0, [(person.id_number, 9.0, "bold", INK)], room)
    card.put(x, 30.6, [("Họ, chữ đệm và tên khai sinh / Full name:", 5.0, "regular", LABEL)],
             room)
    card.put(x, 34.2, [(holder.name, 8.0, "bold", INK)], room)
    _label_value(card, x, 37.8, "Ngày, tháng, năm sinh / Date of birth:", dmy(person.born), room)
    _sex_and_nationality(card, x, 41.4, person.sex, room)


def back_2024(card: CardCanvas, holder: CardHolder, rng: random.Random) -> None:
    card.qr(qr_payload(holder), 2.0, 2.0, 15.5)
    x, room = 19.8, 63.5
    card.put(x, 5.0, [("Nơi cư trú / Place of residence:", 5.0, "regular", LABEL)], room)
    card.wrapped(x, 8.4, holder.residence, 6.5, "bold", INK, room, 2, 3.0)
    card.put(x, 15.0, [("Nơi đăng ký khai sinh / Place of birth:", 5.0, "regular", LABEL)], room)
    card.wrapped(x, 18.4, holder.origin, 6.5, "bold", INK, room, 1, 3.0)
    _label_value(card, x, 22.0, "Ngày, tháng, năm cấp / Date of issue:", dmy(holder.issued),
                 room, 6.0)
    _label_value(card, x, 25.4, "Ngày, tháng, năm hết hạn / Date of expiry:",
                 dmy(holder.expires), room, 6.0)
    card.put(x, 29.6, [("BỘ CÔNG AN", 6.2, "bold", INK)], room, "centre")
    card.put(x, 32.2, [("MINISTRY OF PUBLIC SECURITY", 5.0, "regular", LABEL)], room, "centre")
    card.signature(x + room / 2, 35.0, rng)
    card.mrz(compose_mrz(holder), rng)


def compose_mrz(holder: CardHolder) -> tuple[str, str, str]:
    from ocr_service.forms.mrz import compose_td1

    person = holder.person
    return compose_td1(person.id_number, dmy(person.born), person.sex, dmy(holder.expires),
                       person.name)


# --- photographing the card ----------------------------------------------------------------------

SURFACES: tuple[RGB, ...] = ((120, 90, 60), (200, 200, 195), (245, 245, 240), (60, 60, 65),
                             (150, 120, 90), (225, 215, 200))
"""Desk, paper, scanner lid and cloth colours a card is laid on."""


def _rounded_mask(size: tuple[int, int], dpi: int) -> np.ndarray:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1),
                                           radius=mm_to_px(CORNER_MM, dpi), fill=255)
    return np.asarray(mask, dtype=np.float32) / 255.0


def photograph(card: CardCanvas, rng: random.Random, tight: bool) -> tuple[np.ndarray,
                                                                           tuple[Line, ...]]:
    """Lay the card on a surface: a tight crop (scanner) or with a border and a tilt of up to
    3° (phone photo). Returns the BGR picture and the moved lines."""
    dpi, (width, height) = card.dpi, card.size
    if tight:
        margins = [rng.uniform(1.2, 2.5) for _ in range(4)]
        angle = rng.uniform(-0.5, 0.5)
    else:
        margins = [rng.uniform(5.0, 12.0) for _ in range(4)]
        angle = rng.uniform(-3.0, 3.0)
    left, top, right, bottom = (mm_to_px(m, dpi) for m in margins)
    size = (width + left + right, height + top + bottom)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[:, 2] += (left, top)
    base = np.array(rng.choice(SURFACES), dtype=np.float32)
    ramp = np.linspace(-1, 1, size[0], dtype=np.float32)[None, :, None] * rng.uniform(-18, 18)
    surface = np.clip(base[None, None, :] + ramp, 0, 255) * np.ones((size[1], 1, 1), np.float32)
    rgb = np.asarray(card.image, dtype=np.float32)
    warped = cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(_rounded_mask(card.size, dpi), matrix, size,
                           flags=cv2.INTER_LINEAR)[:, :, None]
    out = np.clip(warped * alpha + surface * (1 - alpha), 0, 255).round().astype(np.uint8)
    lines = tuple((text, _move(box, matrix)) for text, box in card.lines)
    return cv2.cvtColor(out, cv2.COLOR_RGB2BGR), lines


TINTS: dict[str, tuple[RGB, ...]] = {
    "2021": ((234, 242, 238), (238, 240, 232), (230, 238, 242)),
    "2024": ((232, 238, 247), (236, 240, 246), (240, 238, 244)),
}


def card_sample(rng: random.Random, pool: Pool, seed: int) -> CardSample:
    """Both sides of an invented card, photographed or scanned, and its expected fields."""
    holder = card_holder(rng)
    dpi = rng.choice(CARD_DPIS)
    tint = rng.choice(TINTS[holder.layout])
    tight = rng.random() < 0.5
    family = rng.choice([f for f in text_families() if "Sans" in f.name] or
                        list(text_families()))
    sides = (front_2021, back_2021) if holder.layout == "2021" else (front_2024, back_2024)
    pages, lines, turns = [], [], []
    for number, draw in enumerate(sides):
        card = CardCanvas(dpi, rng, tint, family)
        draw(card, holder, rng)
        image, side_lines = photograph(card, rng, tight)
        turn = 2 if number == 1 and rng.random() < 0.25 else 0
        image, side_lines = turn_page(image, side_lines, turn)
        page = SynthPage(image, dpi, side_lines, "form", card.family.name, seed, pool)
        page = degrade_page(page, rng.getrandbits(32), "light")
        pages.append(page.image)
        lines.append(page.lines)
        turns.append(turn)
    person = holder.person
    fields = {
        "id_number": person.id_number,
        "full_name": holder.name,
        "date_of_birth": dmy(person.born),
        "sex": person.sex,
        "nationality": NATIONALITY,
        "place_of_origin": holder.origin if holder.layout == "2021" else None,
        "place_of_residence": holder.residence,
        "date_of_expiry": dmy(holder.expires),
        "date_of_issue": dmy(holder.issued),
    }
    return CardSample(tuple(pages), dpi, tuple(lines), fields, tuple(turns), holder.layout)

