"""Chip ID cards (căn cước công dân), front and back, laid out and drawn by this generator.

The front carries the card number, name, birth date, sex, nationality, place of origin, place of
residence and expiry (or "Không thời hạn" for a card valid for life); the back the personal marks,
the issue date, the issuer and the MRZ, composed here with its own check digits (ICAO 9303 TD1).
No QR code: the figures measure reading the print. Each side is drawn on a card-sized PDF page,
rastered at a scanner's resolution and spoiled like the forms.
"""

from __future__ import annotations

import random

from bench.heldout import content as c
from bench.heldout.sheet import Sheet

CARD_MM = (85.6, 53.98)
MARKS = ("Nốt ruồi C: 1cm dưới sau đuôi mắt trái", "Sẹo chấm C: 2cm trên trước đầu mày phải",
         "Nốt ruồi cách 1,5cm trên cánh mũi phải", "Sẹo chấm C: 1cm dưới môi")


def _check(text: str) -> str:
    values = [int(ch) if ch.isdigit() else (0 if ch == "<" else ord(ch) - 55) for ch in text]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


def _ascii(name: str) -> str:
    return c.strip(name).upper()


def mrz(person: c.Person, expiry: str) -> tuple[str, str, str]:
    """TD1 lines: document number (last 9 digits), ID number, birth, sex, expiry, name."""
    document = person.id_number[-9:]
    line1 = f"IDVNM{document}{_check(document)}{person.id_number}".ljust(30, "<")
    d, m, y = person.born
    birth = f"{y % 100:02d}{m:02d}{d:02d}"
    ends = "991231" if expiry == "Không thời hạn" else expiry[8:10] + expiry[3:5] + expiry[0:2]
    line2 = f"{birth}{_check(birth)}{'M' if person.sex == 'Nam' else 'F'}{ends}{_check(ends)}VNM"
    line2 = line2.ljust(29, "<")
    line2 += _check(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    surname, *rest = _ascii(person.name).split()
    line3 = (surname + "<<" + "<".join(rest))[:30].ljust(30, "<")
    return line1, line2, line3


def expiry_of(person: c.Person, issued_year: int) -> str:
    """Valid to the 25th, 40th or 60th birthday after issue; for life when issued after 58."""
    d, m, y = person.born
    age = issued_year - y
    for limit in (25, 40, 60):
        if age <= limit - 2:
            return f"{d:02d}/{m:02d}/{y + limit}"
    return "Không thời hạn"


def card_sides(rng: random.Random) -> tuple[Sheet, Sheet, dict[str, object]]:
    """(front, back, expected fields) of one card."""
    person = c.person(rng, years=(1950, 2004))
    issued = (rng.randint(1, 28), rng.randint(1, 12), rng.randint(2021, 2024))
    expiry = expiry_of(person, issued[2])
    commune, province = c.place(rng)
    origin = f"{commune}, {province}"
    residence = c.address(rng)
    family = rng.choice(("FreeSans", "OpenSans", "FreeSerif"))
    front, back = (Sheet(rng, family, rng.choice((6.0, 6.5)), "....", margins=(4.0, 3.0), y=5.5,
                         size=CARD_MM) for _ in range(2))
    left = 27.0  # right of the photo
    front.centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "B", 6.0, span=(left, 83))
    front.advance(1.2, 6.0)
    front.centred("Độc lập - Tự do - Hạnh phúc", "B", 6.0, span=(left, 83))
    front.advance(1.5, 6.0)
    front.centred("CĂN CƯỚC CÔNG DÂN", "B", 9.0, span=(left, 83))
    front.advance(1.1, 9.0)
    front.centred("Citizen Identity Card", "", 6.0, span=(left, 83))
    front.advance(1.6, 6.0)
    front.pdf.ellipse(8.0, 3.0, 12.0, 12.0)  # the national emblem's place
    front.pdf.rect(4.0, 17.0, 21.0, 26.0)  # photo
    front.margins = (left, 3.0)
    front.line(f"Số / No.: {person.id_number}", "B")
    front.advance(1.4)
    for text in ("Họ và tên / Full name:", person.name):
        front.line(text, "B" if text == person.name else "")
        front.advance(1.35)
    front.line(f"Ngày sinh / Date of birth: {person.date}")
    front.advance(1.35)
    front.line(f"Giới tính / Sex: {person.sex}      Quốc tịch / Nationality: Việt Nam")
    front.advance(1.35)
    front.line("Quê quán / Place of origin:")
    front.advance(1.35)
    front.line(origin)
    front.advance(1.35)
    first, rest = residence.split(", ", 1)
    front.line(f"Nơi thường trú / Place of residence: {first},")
    front.advance(1.35)
    front.line(rest)
    front.margins = (4.0, 3.0)
    front.y = 47.0
    front.line(f"Có giá trị đến: {expiry}")
    front.advance(1.2)
    front.line("Date of expiry", "I")
    back.line("Đặc điểm nhân dạng / Personal identification:")
    back.advance(1.4)
    back.line(rng.choice(MARKS))
    back.advance(1.6)
    back.line(f"Ngày, tháng, năm / Date, month, year: {issued[0]:02d}/{issued[1]:02d}/{issued[2]}")
    back.advance(1.6)
    back.line("CỤC TRƯỞNG CỤC CẢNH SÁT", "B")
    back.advance(1.3)
    back.line("QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", "B")
    back.advance(3.2)
    back.line(c.person(rng).name.title(), "B")
    back.y = 40.0
    back.monospace(mrz(person, expiry), 6.0, 9.2, 4.4)
    expected = {
        "id_number": person.id_number, "full_name": person.name, "date_of_birth": person.date,
        "sex": person.sex, "nationality": "Việt Nam", "place_of_origin": origin,
        "place_of_residence": residence, "date_of_expiry": expiry,
        "date_of_issue": f"{issued[0]:02d}/{issued[1]:02d}/{issued[2]}",
    }
    return front, back, expected
