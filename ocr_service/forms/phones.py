"""Vietnamese telephone numbers, normalised to the national form a clerk dials: "0912345678".

Mobile numbers have 10 digits and start 03, 05, 07, 08 or 09 (the plan since 2018); landlines have
11 digits and start 02 (area code 02x after the 2017 change). "+84" / "84" become the leading 0.
"""

from __future__ import annotations

import re

from ocr_service.domain import ReviewReason
from ocr_service.forms.text import nfc, ocr_digits, reason

MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
LANDLINE_PREFIX = "02"
_CANDIDATE = re.compile(r"[\d(+][\d\s.\-()+]*\d")
_COUNTRY = "84"


def _national(candidate: str) -> str:
    """The digits of one written number with a +84 / 84 country code turned into a leading 0."""
    digits = re.sub(r"\D", "", candidate)
    international = "+" in candidate or len(digits) in (11, 12)
    if digits.startswith(_COUNTRY) and international:
        rest = digits[len(_COUNTRY):]
        return rest if rest.startswith("0") else "0" + rest
    return digits


def is_valid_phone(digits: str) -> bool:
    """True for a 10-digit mobile or an 11-digit landline number in national form."""
    if len(digits) == 10:
        return digits.startswith(MOBILE_PREFIXES)
    return len(digits) == 11 and digits.startswith(LANDLINE_PREFIX)


def _format_reason(digits: str) -> ReviewReason:
    return reason(
        "phone.format",
        f"Not a Vietnamese phone number ({len(digits)} digits read; mobile numbers have 10 "
        "digits starting 03/05/07/08/09, landlines 11 digits starting 02).",
        f"Không phải số điện thoại Việt Nam (đọc được {len(digits)} chữ số; số di động có 10 chữ "
        "số bắt đầu bằng 03/05/07/08/09, số cố định có 11 chữ số bắt đầu bằng 02).",
    )


def normalize_phone(text: str) -> tuple[str | None, list[ReviewReason]]:
    """The national digits of the phone number in ``text`` ("+84 912 345 678" → "0912345678").

    A number of the wrong shape is kept as read and flagged; text without digits gives None.
    """
    candidates = [_national(m.group(0)) for m in _CANDIDATE.finditer(ocr_digits(nfc(text)))]
    candidates = [digits for digits in candidates if digits]
    if not candidates:
        return None, [_format_reason("")]
    valid = [digits for digits in candidates if is_valid_phone(digits)]
    if valid:
        return valid[0], []
    longest = max(candidates, key=len)
    return longest, [_format_reason(longest)]
