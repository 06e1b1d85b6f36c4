"""The machine-readable zone (ICAO Doc 9303 TD1: 3 lines x 30) on the back of the chip ID card.

The MRZ repeats the front side (ID number, date of birth, sex, expiry, name) with check digits, so
it is a second, independent reading: a failing check digit means the OCR misread the MRZ, and a
field that differs from the front means the OCR misread one side or the sides do not belong to
the same card. Vietnamese layout: document number = last 9 digits of the personal ID number, the
full 12-digit number in the optional data of line 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ocr_service.domain import ReviewReason
from ocr_service.forms.dates import normalize_date, today_vn
from ocr_service.forms.enums import normalize_sex
from ocr_service.forms.ids import normalize_id_number
from ocr_service.forms.text import fold, mismatch, nfc, reason

LINE_LENGTH = 30
FILLER = "<"
COUNTRY = "VNM"
_WEIGHTS = (7, 3, 1)
_CHAR_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {FILLER: 0}
_FILLER_LOOKALIKES = str.maketrans({c: FILLER for c in "«‹〈＜≪⟨<"})
_TO_DIGIT = str.maketrans("OQDIL|ZSBG", "0001112586")
_TO_LETTER = str.maketrans("012586", "OIZSBG")
# Expected character class per position: N digit, A letter, X anything (filler allowed anywhere),
# F filler only (after the 12-digit ID number; between nationality and the final check digit):
# whatever was read there is a '<' misread ("K", "C", "L", "E" are common).
_LAYOUT = (
    "AAAAA" + "N" * 10 + "N" * 12 + "FFF",
    "N" * 7 + "A" + "N" * 7 + "AAA" + "F" * 11 + "N",
    "A" * LINE_LENGTH,
)
_NAME_TAIL = re.compile(r"(?<=<)[KCLE<]{2,}$")
"""The fillers closing the name line, some read as letters ("BINH<KKKCKK")."""
_LINE1 = re.compile(r"I.VNM")
_LINE2 = re.compile(r"\d{7}[MF<]\d{7}")
_SEX = {"Nam": "M", "Nữ": "F"}
_SOURCE = ("MRZ", "mã MRZ")


def check_digit(data: str) -> str:
    """ICAO 9303 check digit of ``data`` (weights 7, 3, 1; '<' = 0, A-Z = 10-35), as a character."""
    try:
        total = sum(_CHAR_VALUES[c] * _WEIGHTS[i % 3] for i, c in enumerate(data))
    except KeyError as error:
        raise ValueError(f"not an MRZ character: {error.args[0]!r}") from None
    return str(total % 10)


def _composite_data(line1: str, line2: str) -> str:
    return line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]


def _failing_checks(line1: str, line2: str) -> list[tuple[str, str]]:
    """English and Vietnamese names of the parts whose check digit does not match."""
    checks = (
        ("document number", "số thẻ", line1[5:14], line1[14]),
        ("date of birth", "ngày sinh", line2[0:6], line2[6]),
        ("date of expiry", "ngày hết hạn", line2[8:14], line2[14]),
        ("whole zone (composite)", "toàn vùng", _composite_data(line1, line2), line2[29]),
    )
    return [(name_en, name_vi) for name_en, name_vi, data, digit in checks
            if check_digit(data) != digit]


def mrz_name(full_name: str) -> str:
    """A name as the MRZ writes it: "Đỗ Thị Hà" → "DO<<THI<HA" (ASCII, surname first, unpadded)."""
    words = re.sub(r"[^A-Z]+", " ", fold(full_name).upper()).split()
    if not words:
        return ""
    return words[0] + (FILLER * 2 + FILLER.join(words[1:]) if len(words) > 1 else "")


def _yymmdd(value: str) -> str:
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", value) is None:
        raise ValueError(f"expected dd/mm/yyyy, got {value!r}")
    return value[8:10] + value[3:5] + value[0:2]


def compose_td1(
    id_number: str, date_of_birth: str, sex: str, date_of_expiry: str, full_name: str
) -> tuple[str, str, str]:
    """The three MRZ lines of a Vietnamese chip ID card (dates "dd/mm/yyyy", sex "Nam"/"Nữ")."""
    if re.fullmatch(r"\d{12}", id_number) is None:
        raise ValueError("the ID number must have 12 digits")
    document = id_number[-9:]
    line1 = "IDVNM" + document + check_digit(document) + id_number.ljust(15, FILLER)
    birth, expiry = _yymmdd(date_of_birth), _yymmdd(date_of_expiry)
    line2 = (
        birth + check_digit(birth) + _SEX.get(nfc(sex), FILLER)
        + expiry + check_digit(expiry) + COUNTRY + FILLER * 11
    )
    line2 += check_digit(_composite_data(line1, line2))
    line3 = mrz_name(full_name)[:LINE_LENGTH].ljust(LINE_LENGTH, FILLER)
    return line1, line2, line3


# --- reading --------------------------------------------------------------------------------------


def _mrz_date(yymmdd: str, not_before: tuple[int, int, int] | None) -> str | None:
    """dd/mm/yyyy for a 2-digit-year MRZ date, in the first century that fits.

    Birth dates (``not_before`` None) take the latest century that is not in the future; expiry
    dates the earliest century not before the birth date.
    """
    if re.fullmatch(r"\d{6}", yymmdd) is None:
        return None
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if not_before is None:
        today = today_vn()
        recent = 2000 + yy
        in_future = (recent, month, day) > (today.year, today.month, today.day)
        year = recent - 100 if in_future else recent
    else:
        year = next(c + yy for c in (1900, 2000, 2100) if (c + yy, month, day) >= not_before)
    return f"{day:02d}/{month:02d}/{year:04d}"


def _ymd(value: str | None) -> tuple[int, int, int] | None:
    return None if value is None else (int(value[6:]), int(value[3:5]), int(value[:2]))


@dataclass(frozen=True)
class Td1:
    """A TD1 MRZ as read, with its fields decoded (dates dd/mm/yyyy, sex "Nam"/"Nữ")."""

    id_number: str
    document_number: str
    date_of_birth: str | None
    sex: str | None
    date_of_expiry: str | None
    name: str
    """ASCII name with spaces, surname first: "NGUYEN VAN AN"."""
    lines: tuple[str, str, str]
    """The three lines after position-based repairs, 30 characters each."""

    def problems(self) -> list[ReviewReason]:
        """One ``mrz.check_digit`` reason per failing check digit; ``mrz.inconsistent`` when the
        document number is not the end of the ID number."""
        problems = [
            reason(
                "mrz.check_digit",
                f"The MRZ check digit of the {name_en} does not match: a character was misread.",
                f"Chữ số kiểm tra của {name_vi} trong mã MRZ không khớp: có ký tự bị đọc sai.",
            )
            for name_en, name_vi in _failing_checks(*self.lines[:2])
        ]
        if not self.id_number.endswith(self.document_number):
            problems.append(
                reason(
                    "mrz.inconsistent",
                    "The MRZ document number is not the end of the ID number in the same zone.",
                    "Số thẻ trong mã MRZ không trùng với phần cuối của số định danh cá nhân.",
                )
            )
        return problems


def parse_td1(line1: str, line2: str, line3: str) -> Td1:
    """Decode three TD1 lines of 30 MRZ characters (A-Z, 0-9, '<'), e.g. from ``compose_td1``."""
    for line in (line1, line2, line3):
        if re.fullmatch(r"[A-Z0-9<]{30}", line) is None:
            raise ValueError(f"not a 30-character MRZ line ({len(line)} characters)")
    birth = _mrz_date(line2[0:6], None)
    surname, _, given = line3.partition(FILLER * 2)
    name = " ".join(f"{surname} {given}".replace(FILLER, " ").split())
    return Td1(
        id_number=line1[15:30].rstrip(FILLER),
        document_number=line1[5:14],
        date_of_birth=birth,
        sex={"M": "Nam", "F": "Nữ"}.get(line2[7]),
        date_of_expiry=_mrz_date(line2[8:14], _ymd(birth) or (1900, 1, 1)),
        name=name,
        lines=(line1, line2, line3),
    )


def _clean(text: str) -> str:
    """Upper-case MRZ characters only: spaces dropped, look-alikes of '<' turned into '<'."""
    upper = nfc(text).translate(_FILLER_LOOKALIKES).upper()
    return re.sub(r"[^A-Z0-9<]", "", upper)


def _fit(line: str) -> str:
    """Bring a 29-31 character reading to 30 by growing or shrinking its longest '<' run."""
    if len(line) == LINE_LENGTH:
        return line
    runs = list(re.finditer(r"<+", line))
    end = max(runs, key=lambda m: len(m.group(0))).end() if runs else len(line)
    if len(line) < LINE_LENGTH:
        return line[:end] + FILLER + line[end:]
    return line[: end - 1] + line[end:]


def _repair(line: str, layout: str) -> str:
    """Fix O/0, I/1 and similar confusions by what each position must hold."""
    fixed = []
    for char, kind in zip(line, layout):
        if kind == "N":
            char = char.translate(_TO_DIGIT)
        elif kind == "A":
            char = char.translate(_TO_LETTER)
        elif kind == "F":
            char = FILLER
        fixed.append(char)
    line = "".join(fixed)
    if layout == _LAYOUT[2]:
        line = _NAME_TAIL.sub(lambda m: FILLER * len(m.group(0)), line)
    return line


def _rows(cleaned: list[str]) -> Iterator[tuple[int, int, str]]:
    """Each run of up to three consecutive pieces joined to 29-31 characters: (start, end, text)."""
    for start in range(len(cleaned)):
        text = ""
        for end in range(start, min(start + 3, len(cleaned))):
            text += cleaned[end]
            if len(text) >= LINE_LENGTH - 1:
                if len(text) <= LINE_LENGTH + 1:
                    yield start, end + 1, _fit(text)
                break


def find_td1(lines: list[str]) -> Td1 | None:
    """The TD1 MRZ among a page's OCR lines, tolerating split lines and common misreadings."""
    cleaned = [piece for piece in (_clean(line) for line in lines) if piece]
    rows: dict[int, list[tuple[int, str]]] = {}
    for start, end, text in _rows(cleaned):
        rows.setdefault(start, []).append((end, text))
    for start, firsts in sorted(rows.items()):
        for end1, text1 in firsts:
            line1 = _repair(text1, _LAYOUT[0])
            if not _LINE1.match(line1):
                continue
            for end2, text2 in rows.get(end1, []):
                line2 = _repair(text2, _LAYOUT[1])
                if not _LINE2.match(line2):
                    continue
                for _, text3 in rows.get(end2, []):
                    return parse_td1(line1, line2, _repair(text3, _LAYOUT[2]))
    return None


# --- comparing with the front side ----------------------------------------------------------------


def _front_value(field: str, text: str) -> str | None:
    """The front-side value in the form the MRZ gives it, or None when it cannot be compared."""
    if field == "id_number":
        return normalize_id_number(text)[0]
    if field in ("date_of_birth", "date_of_expiry"):
        return normalize_date(text)[0]
    if field == "sex":
        return normalize_sex(text)
    return mrz_name(text)[:LINE_LENGTH]


def cross_check(td1: Td1, fields: dict[str, str | None]) -> list[ReviewReason]:
    """One ``mrz.mismatch`` per front-side field (id_number, date_of_birth, sex, date_of_expiry,
    full_name) that the MRZ contradicts. Missing or unreadable front values are not compared."""
    mrz_values = {
        "id_number": td1.id_number,
        "date_of_birth": td1.date_of_birth,
        "sex": td1.sex,
        "date_of_expiry": td1.date_of_expiry,
        "full_name": td1.lines[2].rstrip(FILLER),
    }
    problems = []
    for field, mrz_value in mrz_values.items():
        text = fields.get(field)
        front = _front_value(field, text) if text else None
        if front is not None and front != mrz_value:
            problems.append(mismatch("mrz.mismatch", _SOURCE, field))
    return problems

