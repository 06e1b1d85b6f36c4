"""From the text printed after a label to a normalised value, by field type, with its checks.

Each type has one normaliser: it takes the raw text cut out of the page and returns the value in
the contract's form (dd/mm/yyyy dates, 12-digit ID numbers, "Nam"/"Nữ", names in upper case) and
the reasons a person should look at it. Normalisers never invent text: an enum value is snapped
to the nearest allowed spelling only when it is close, otherwise it is kept as read and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..domain import ReviewReason
from .dates import normalize_date, normalize_year
from .enums import ETHNIC_GROUPS, NATIONALITIES, SEXES, match_choice
from .ids import normalize_id_number
from .phones import normalize_phone
from .spec import FieldType
from .text import nfc, reason
from .units import address_problems

Normalized = tuple[str | None, list[ReviewReason]]

_LEADING = re.compile(r"^[\s:;.,\-–/|]*(?:\(?\d{1,2}\)[\s:]*)?(?:/\s*[A-Za-z][A-Za-z ,.']*:)?[\s:;.,|]*")
"""Punctuation after a label, a footnote mark ("Kính gửi(1):") and an English half ("/ Full name:")."""
_TRAILING_NUMBER = re.compile(r"\s+\d{1,2}[.)]\s*$")
"""The number of the next label ("05/06/1998 3." before "3. Giới tính")."""
_DOTS = re.compile(r"(?:[.…·_]\s*){3,}")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)*$")



def clean_value(text: str) -> str:
    """Strip label punctuation, dot leaders, a trailing next-label number and extra spaces."""
    text = _DOTS.sub(" ", nfc(text))
    text = _LEADING.sub("", text)
    text = _TRAILING_NUMBER.sub("", text)
    return " ".join(text.split()).strip(" .,;:-|/")


def _text(raw: str) -> Normalized:
    return (raw or None), []


def _name(raw: str) -> Normalized:
    value = " ".join(raw.replace(".", " ").split()).upper()
    if not value:
        return None, []
    if not _NAME_CHARS.match(value):
        return value, [reason("name.characters",
                              "A name holds characters other than letters.",
                              "Họ tên có ký tự không phải chữ cái.")]
    return value, []


def _choice(choices: tuple[str, ...], code: str, what: tuple[str, str]) -> Callable[[str], Normalized]:
    def normalize(raw: str) -> Normalized:
        if not raw:
            return None, []
        chosen = match_choice(raw, choices, threshold=80)
        if chosen is not None:
            return chosen, []
        return raw, [reason(code, f"Not a known {what[0]}.", f"Không phải {what[1]} hợp lệ.")]
    return normalize


def _nationality(raw: str) -> Normalized:
    chosen = match_choice(raw, NATIONALITIES, threshold=85) if raw else None
    return (chosen or raw or None), []


def _email(raw: str) -> Normalized:
    value = raw.replace(" ", "")
    if not value:
        return None, []
    if _EMAIL.match(value):
        return value, []
    return value, [reason("email.format", "Not an e-mail address.", "Không phải địa chỉ thư điện tử.")]


def _address(raw: str) -> Normalized:
    return (raw or None), (address_problems(raw) if raw else [])


NORMALIZERS: dict[FieldType, Callable[[str], Normalized]] = {
    "text": _text,
    "name": _name,
    "date": normalize_date,
    "year": normalize_year,
    "sex": _choice(SEXES, "sex.unknown", ("sex", "giới tính")),
    "nationality": _nationality,
    "ethnicity": _choice(ETHNIC_GROUPS, "ethnicity.unknown", ("ethnic group", "dân tộc")),
    "id_number": normalize_id_number,
    "phone": normalize_phone,
    "email": _email,
    "address": _address,
}


def normalize(field_type: FieldType, raw: str) -> Normalized:
    """The contract value of ``raw`` for a field of ``field_type``, and what is doubtful about it."""
    if not raw:
        return None, []
    return NORMALIZERS[field_type](raw)
