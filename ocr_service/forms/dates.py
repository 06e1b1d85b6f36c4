"""Dates on Vietnamese forms: "05/06/1998", "5-6-1998", "ngày 5 tháng 6 năm 1998" → "05/06/1998".

A date that cannot exist (31/02/2001) keeps the digits that were read, so the clerk sees what is on
the page, and is flagged instead of being "corrected" into another date: correction must never
invent a value. Dates are compared with "today" in Vietnam's time zone, where the forms are filled.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ocr_service.domain import VIETNAM_TIME, ReviewReason
from ocr_service.forms.text import fold, nfc, ocr_digits, reason

_SPELLED = re.compile(r"(?:ngay\W*)?(\d{1,2})\W*thang\W*(\d{1,2})\W*nam\W*(\d{4})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_VALUE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
FIRST_BIRTH_YEAR = 1900


def today_vn() -> date:
    """Today's date in Vietnam (UTC+7): a form dated "today" there may be tomorrow in UTC."""
    return datetime.now(VIETNAM_TIME).date()


def parse_date(value: str | None) -> date | None:
    """The calendar date of a normalised "dd/mm/yyyy" value; None when absent or impossible."""
    match = _VALUE.fullmatch(value or "")
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _format_reason() -> ReviewReason:
    return reason(
        "date.format",
        "The date could not be read as day, month and year.",
        "Không đọc được ngày, tháng, năm.",
    )


def _impossible_reason(value: str) -> ReviewReason:
    return reason(
        "date.impossible",
        f"{value} is not a date in the calendar.",
        f"Ngày {value} không có thật trong lịch.",
    )


def normalize_date(text: str) -> tuple[str | None, list[ReviewReason]]:
    """Read a date written with numbers or spelled out and return it as "dd/mm/yyyy".

    Unreadable text gives ``(None, [date.format])``; a day or month out of range keeps the digits
    read and adds ``date.impossible``.
    """
    folded = fold(ocr_digits(nfc(text)))
    match = _SPELLED.search(folded) or _NUMERIC.search(folded)
    if match is None:
        return None, [_format_reason()]
    day, month, year = (int(part) for part in match.groups())
    value = f"{day:02d}/{month:02d}/{year:04d}"
    if parse_date(value) is None:
        return value, [_impossible_reason(value)]
    return value, []


def check_not_future(value: str | None, today: date | None = None) -> list[ReviewReason]:
    """Flag a date after today (a birth or issue date cannot be); unreadable values pass here."""
    when = parse_date(value)
    if when is None or when <= (today or today_vn()):
        return []
    return [
        reason(
            "date.future",
            f"{value} is in the future.",
            f"Ngày {value} ở trong tương lai.",
        )
    ]


def normalize_year(text: str, today: date | None = None) -> tuple[str | None, list[ReviewReason]]:
    """Read a birth year (four digits between 1900 and this year) as "yyyy"."""
    match = _YEAR.search(ocr_digits(nfc(text)))
    if match is None:
        return None, [
            reason("date.format", "The year could not be read.", "Không đọc được năm.")
        ]
    year = match.group(1)
    this_year = (today or today_vn()).year
    if int(year) > this_year:
        return year, [
            reason("date.future", f"{year} is in the future.", f"Năm {year} ở trong tương lai.")
        ]
    if int(year) < FIRST_BIRTH_YEAR:
        return year, [
            reason(
                "date.impossible",
                f"{year} is not a plausible birth year (before {FIRST_BIRTH_YEAR}).",
                f"Năm sinh {year} không hợp lý (trước năm {FIRST_BIRTH_YEAR}).",
            )
        ]
    return year, []
