"""The 12-digit personal ID number (số định danh cá nhân, Thông tư 59/2021/TT-BCA, Điều 7).

Digits 1-3 are the code of the province where the birth was registered (the 63 pre-2025 codes),
digit 4 encodes century and sex (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s, ...), digits 5-6
are the last two digits of the birth year, digits 7-12 a serial number. Checking the first six
against the date of birth and sex catches most misread digits and swapped documents.
"""

from __future__ import annotations

import re

from ocr_service.domain import ReviewReason
from ocr_service.forms.dates import today_vn
from ocr_service.forms.enums import normalize_sex
from ocr_service.forms.text import mask_id, nfc, ocr_digits, reason
from ocr_service.forms.units import OLD_PROVINCE_CODES

ID_LENGTH = 12
_TOKEN_EDGES = ".,:;"
_DIGIT_TOKEN = re.compile(r"[0-9.]*[0-9][0-9.]*")
_ID = re.compile(r"[0-9]{12}")
_BOX_MARKS = re.compile(r"[_()\[\]{}'\"`~*]")
_BIRTH_YEAR = re.compile(r"(?<!\d)(\d{4})$")


def _digit_runs(text: str) -> list[str]:
    """Groups of consecutive all-digit tokens ("079 098 001234" is one run) with dots removed."""
    runs: list[str] = []
    current = ""
    # Marks between digits (box borders of a number printed in boxes: "0 4_2 1", ".)") separate
    # digits, they do not end the number.
    for token in _BOX_MARKS.sub(" ", ocr_digits(nfc(text))).split():
        token = token.strip(_TOKEN_EDGES)
        if not token:
            continue
        if _DIGIT_TOKEN.fullmatch(token):
            current += token.replace(".", "")
            continue
        if current:
            runs.append(current)
        current = ""
    return [*runs, current] if current else runs


def _one_box_border_less(run: str) -> str | None:
    """The 12-digit number left by dropping one "1" from 13 digits, if every such drop gives the
    same number and its province code exists (a 1 doubled by a box border, "2 1|1 7")."""
    candidates = {run[:i] + run[i + 1:] for i, digit in enumerate(run) if digit == "1"}
    candidates = {c for c in candidates if c[:3] in OLD_PROVINCE_CODES}
    return candidates.pop() if len(candidates) == 1 else None


def _format_reason(digits: str) -> ReviewReason:
    return reason(
        "id_number.format",
        f"The ID number must have {ID_LENGTH} digits; {len(digits)} were read.",
        f"Số định danh cá nhân phải có {ID_LENGTH} chữ số; đọc được {len(digits)} chữ số.",
    )


def normalize_id_number(text: str) -> tuple[str | None, list[ReviewReason]]:
    """The 12 digits of an ID number as read ("079 098.001234", "O79098OO1234" → "079098001234").

    Text without any digits gives ``(None, [id_number.format])``; digits of the wrong length are
    kept (the clerk compares them with the page) and flagged.
    """
    runs = _digit_runs(text)
    exact = [run for run in runs if len(run) == ID_LENGTH]
    if exact:
        return exact[0], []
    repaired = {_one_box_border_less(run) for run in runs if len(run) == ID_LENGTH + 1} - {None}
    if len(repaired) == 1:
        return repaired.pop(), [reason(
            "id_number.repaired",
            "One digit too many was read (a box border taken for a 1); check the ID number.",
            "Đọc thừa một chữ số (đường kẻ ô bị nhận thành số 1); cần kiểm tra số định danh.")]
    if not runs:
        return None, [_format_reason("")]
    longest = max(runs, key=len)
    return longest, [_format_reason(longest)]


def century_and_sex(digit: int) -> tuple[int, str]:
    """First year of the century and the sex that the 4th digit encodes (2 → 2000, "Nam")."""
    return 1900 + (digit // 2) * 100, "Nữ" if digit % 2 else "Nam"


def _province_problem(number: str) -> list[ReviewReason]:
    if number[:3] in OLD_PROVINCE_CODES:
        return []
    return [
        reason(
            "id_number.province_code",
            f"ID number {mask_id(number)} starts with {number[:3]}, which is no province code.",
            f"Số định danh {mask_id(number)} bắt đầu bằng {number[:3]}, không phải mã tỉnh.",
        )
    ]


def _birth_year_problems(number: str, birth_year: int | None) -> list[ReviewReason]:
    century, _ = century_and_sex(int(number[3]))
    implied = century + int(number[4:6])
    masked = mask_id(number)
    if birth_year is None:
        if implied <= today_vn().year:
            return []
        return [
            reason(
                "id_number.century",
                f"ID number {masked} implies a birth year of {implied}, in the future.",
                f"Số định danh {masked} cho năm sinh {implied}, ở trong tương lai.",
            )
        ]
    problems = []
    if birth_year // 100 * 100 != century:
        problems.append(
            reason(
                "id_number.century",
                f"The 4th digit of ID number {masked} says born {century}-{century + 99}, "
                f"the date of birth says {birth_year}.",
                f"Chữ số thứ 4 của số định danh {masked} cho biết sinh trong khoảng "
                f"{century}-{century + 99}, nhưng năm sinh là {birth_year}.",
            )
        )
    if birth_year % 100 != int(number[4:6]):
        problems.append(
            reason(
                "id_number.birth_year",
                f"Digits 5-6 of ID number {masked} do not match the birth year {birth_year}.",
                f"Chữ số thứ 5-6 của số định danh {masked} không khớp với năm sinh {birth_year}.",
            )
        )
    return problems


def _sex_problems(number: str, sex: str | None) -> list[ReviewReason]:
    stated = normalize_sex(sex)
    _, encoded = century_and_sex(int(number[3]))
    if stated is None or stated == encoded:
        return []
    sex_en = {"Nam": "male", "Nữ": "female"}
    return [
        reason(
            "id_number.sex",
            f"The 4th digit of ID number {mask_id(number)} says {sex_en[encoded]}, "
            f"the form says {sex_en[stated]}.",
            f"Chữ số thứ 4 của số định danh {mask_id(number)} cho biết giới tính {encoded}, "
            f"nhưng trên tờ khai là {stated}.",
        )
    ]


def _birth_year(date_of_birth: str | None) -> int | None:
    match = _BIRTH_YEAR.search((date_of_birth or "").strip())
    return int(match.group(1)) if match else None


def id_number_problems(
    number: str | None, date_of_birth: str | None = None, sex: str | None = None
) -> list[ReviewReason]:
    """Check an ID number's structure and its agreement with the date of birth and sex.

    ``date_of_birth`` is "dd/mm/yyyy" (a bare "yyyy" also works); ``sex`` is "Nam"/"Nữ". Either may
    be None when the form does not give it; the checks that need it are then skipped.
    """
    number = number or ""
    if _ID.fullmatch(number) is None:
        return [_format_reason(number)]
    return (
        _province_problem(number)
        + _birth_year_problems(number, _birth_year(date_of_birth))
        + _sex_problems(number, sex)
    )
