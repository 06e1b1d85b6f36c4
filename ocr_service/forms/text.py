"""Text helpers shared by the field checks: NFC, diacritics-insensitive keys, masking, OCR digits.

``fold`` keeps one output character per input character so that a match found in folded text
(label anchors, keywords) points at the same span in the original reading. Masking exists because
review reasons are shown in queues and logs: they must say what is wrong without repeating a
citizen's full ID number or name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ocr_service.domain import ReviewReason

_D_MAP = {"đ": "d", "Đ": "d"}

# Letters that OCR engines return for digits in a token that is otherwise numeric.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_DIGITISH_TOKEN = re.compile(r"[0-9OoIl|]+")

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "id_number": ("ID number", "số định danh cá nhân"),
    "old_id_number": ("old ID number", "số CMND cũ"),
    "document_number": ("document number", "số thẻ"),
    "full_name": ("full name", "họ, chữ đệm và tên"),
    "date_of_birth": ("date of birth", "ngày sinh"),
    "sex": ("sex", "giới tính"),
    "date_of_expiry": ("date of expiry", "ngày hết hạn"),
    "date_of_issue": ("date of issue", "ngày cấp"),
    "place_of_residence": ("place of residence", "nơi cư trú"),
}
"""English and Vietnamese names of the fields that cross-checks compare, for their messages."""


def nfc(text: str) -> str:
    """Unicode NFC: OCR engines and PDFs mix composed and decomposed Vietnamese letters."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _D_MAP:
        return _D_MAP[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    lowered = base.lower()
    if len(lowered) == 1:
        return lowered
    # A lone combining mark or a letter whose lower case is two characters: keep the length.
    single = char.lower()
    return single if len(single) == 1 else char


def fold(text: str) -> str:
    """Lower-case key without diacritics, one character per character of ``nfc(text)``.

    "Ngày sinh" and "NGAY SINH" both fold to "ngay sinh"; an index found in the folded text is
    valid in the NFC original, which the extractor relies on to cut values out of OCR lines.
    """
    return "".join(_fold_char(char) for char in nfc(text))


def compact_key(text: str) -> str:
    """``fold`` with everything but letters and digits removed, for comparing names loosely."""
    return "".join(char for char in fold(text) if char.isalnum())


def spaced_key(text: str) -> str:
    """``fold`` with punctuation turned into single spaces, for looking up place names."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def ocr_digits(text: str) -> str:
    """Read O as 0 and I/l/| as 1, but only in tokens that already contain a digit.

    A token such as "O79O98" is a number the OCR misread; a word such as "Ol" or "Nam" is left as
    it is, so labels and names around a number are never turned into digits.
    """

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        return token.translate(_DIGIT_LOOKALIKES) if any(c.isdigit() for c in token) else token

    return _DIGITISH_TOKEN.sub(fix, text)


def mask_id(number: str) -> str:
    """Hide the middle of an identifier: "079098001234" → "0790****1234"."""
    digits = "".join(number.split())
    keep = len(digits) // 3 if len(digits) >= 12 else len(digits) // 4
    if keep == 0:
        return "*" * len(digits)
    return digits[:keep] + "*" * (len(digits) - 2 * keep) + digits[-keep:]


def mask_name(name: str) -> str:
    """Keep the surname and reduce the other names to initials: "Nguyễn Văn An" → "Nguyễn V. A."."""
    words = nfc(name).split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0]}." for word in words[1:])])


def reason(code: str, message: str, message_vi: str) -> ReviewReason:
    """Build a review reason with NFC messages (they quote OCR text, which may be decomposed)."""
    return ReviewReason(code, nfc(message), nfc(message_vi))


def mismatch(code: str, source: tuple[str, str], field: str) -> ReviewReason:
    """One reason saying that ``source`` (English, Vietnamese) disagrees with the form on a field.

    Values are not repeated: both sides are personal data, and the clerk sees them on the page.
    """
    label_en, label_vi = FIELD_LABELS.get(field, (field, field))
    return reason(
        code,
        f"The {source[0]} gives a different {label_en} than the front side.",
        f"{label_vi[0].upper()}{label_vi[1:]} trong {source[1]} khác với mặt trước.",
    )
