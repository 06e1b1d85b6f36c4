"""From the text printed after a label to a normalised value, by field type, with its checks.

Each type has one normaliser: it takes the raw text cut out of the page and returns the value in
the contract's form (dd/mm/yyyy dates, 12-digit ID numbers, "Nam"/"Nữ", names in upper case) and
the reasons a person should look at it. Normalisers never invent text: an enum value is snapped
to the nearest allowed spelling only when it is close, otherwise it is kept as read and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rapidfuzz import fuzz

from ..domain import ReviewReason
from ..lexicon.names import correct_name, unknown_syllables
from ..lexicon.syllables import unknown_words
from .dates import normalize_date, normalize_year
from .enums import ETHNIC_GROUPS, NATIONALITIES, RELATIONSHIPS, SEXES, match_choice
from .ids import normalize_id_number
from .phones import normalize_phone
from .spec import FieldType
from .text import fold, nfc, reason
from .units import address_problems, correct_address

Normalized = tuple[str | None, list[ReviewReason]]

_LEADING = re.compile(r"^[\s:;.,\-–/|]*(?:[^\s\d]?\s?\d{1,2}\s?\)[\s:]*)?"
                      r"(?:/\s*[A-Za-z][A-Za-z ,.']*:)?[\s:;.,|]*")
"""Punctuation after a label, a footnote mark ("Kính gửi(1):", "( 1):" with the spaces a
superscript call leaves, its bracket sometimes read as another letter: "ệ1):") and an English
half ("/ Full name:")."""
_TRAILING_NUMBER = re.compile(r"\s+\d{1,2}[.)]\s*$")
"""The number of the next label ("05/06/1998 3." before "3. Giới tính")."""
_EDGE_MARKS = " .,;:-|/'\"*#_~`^"
"""Marks that never start or end a value but do come back from OCR of a blank's dots."""
_COMMA_SPACE = re.compile(r",(?=[^\W\d_])")
"""A comma glued to the next word: OCR often drops that space ("Bản 13,Xã Ia Khươl")."""
_DOTS = re.compile(r"(?:[.…·_]\s*){3,}")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)*$")



def clean_value(text: str) -> str:
    """Strip label punctuation, dot leaders, a trailing next-label number and extra spaces."""
    text = _DOTS.sub(" ", nfc(text))
    text = _LEADING.sub("", text)
    text = _TRAILING_NUMBER.sub("", text)
    text = _COMMA_SPACE.sub(", ", text)
    return " ".join(text.split()).strip(_EDGE_MARKS)


def _text(raw: str) -> Normalized:
    return (raw or None), []


NAME_RESPELLED = reason(
    "name.respelled",
    "A name syllable was respelled to the only common Vietnamese name with the same letters; "
    "check it against the page.",
    "Họ tên đã được sửa dấu theo tên tiếng Việt thông dụng duy nhất có cùng chữ cái; "
    "cần đối chiếu với bản gốc.")
"""A name whose marks the lexicon put right: likely an OCR slip ("PHAM" → "PHẠM"), but a rare
name spelled so would be changed too, so a person confirms it (the reading stays in ``raw``)."""


def _name_as_printed(raw: str) -> Normalized:
    words = raw.replace(".", " ").split()
    if len(words) > 1 and all(w.isupper() for w in words[:-1]):
        # Forms ask for names in capitals: a trailing word that is not is a mark the OCR read in
        # the dots after the name ("HÀ CÔNG PHONG ỗ", "THÁI TRỌNG PHÚC ư*").
        while len(words) > 1 and not words[-1].isupper():
            words.pop()
    value = " ".join(words).upper()
    if not value:
        return None, []
    if not _NAME_CHARS.match(value):
        return value, [reason("name.characters",
                              "A name holds characters other than letters.",
                              "Họ tên có ký tự không phải chữ cái.")]
    return value, []


NAME_UNCOMMON = reason(
    "name.uncommon",
    "A syllable of the name is not a common Vietnamese name syllable: a rare name, or a mark "
    "misread; check it against the page.",
    "Họ tên có âm tiết không thông dụng trong tên người Việt (tên hiếm hoặc đọc nhầm dấu); cần "
    "đối chiếu với bản gốc.")
"""Marks are what OCR gets wrong in names, and a wrong mark often still spells a syllable; the
lexicon of common name syllables is what tells a likely slip from a name, so a syllable outside
it that could not be put right is shown to a person rather than signed as read."""


def _name(raw: str) -> Normalized:
    """A name as printed, with mark slips repaired against the name lexicon and flagged; a
    syllable still outside the lexicon is flagged too."""
    value, reasons = _name_as_printed(raw)
    if value is None or reasons:
        return value, reasons
    respelled, corrections = correct_name(value)
    if corrections:
        return respelled, [NAME_RESPELLED]
    return value, ([NAME_UNCOMMON] if unknown_syllables(value) else [])


def _choice(choices: tuple[str, ...], code: str,
            what: tuple[str, str]) -> Callable[[str], Normalized]:
    def normalize(raw: str) -> Normalized:
        if not raw:
            return None, []
        chosen = match_choice(raw, choices, threshold=80)
        words = raw.split()
        while chosen is None and len(words) > 1:  # a stray mark after the value ("Cha ss")
            words.pop()
            chosen = match_choice(" ".join(words), choices, threshold=100)
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
    repaired = _repair_at(value)
    if repaired is not None:
        return repaired, [reason("email.repaired",
                                 "The @ of the e-mail address was read as another character.",
                                 "Ký tự @ của địa chỉ thư điện tử bị đọc nhầm; cần kiểm tra.")]
    return value, [reason("email.format", "Not an e-mail address.",
                          "Không phải địa chỉ thư điện tử.")]


AGENCY_WORDS = ("Ủy ban nhân dân", "Công an", "Bệnh viện", "Đa khoa", "Trung tâm Y tế",
                "Trạm Y tế", "Phụ sản", "Sản Nhi", "Nhà hộ sinh")
"""Fixed words of the places a form names (recipients, places of birth), in their one spelling."""


def respell_phrases(text: str, phrases: tuple[str, ...]) -> str:
    """``text`` with each phrase that differs from one of ``phrases`` only in its diacritics
    spelled like that phrase ("Úy ban nhân dân" → "Ủy ban nhân dân"): the letters stay as read,
    only tone and vowel marks that a fixed phrase cannot have are put right."""
    folded = fold(text)
    for phrase in phrases:
        key, start = fold(phrase), 0
        while (start := folded.find(key, start)) >= 0:
            end = start + len(phrase)
            if (start == 0 or not folded[start - 1].isalnum()) and (
                    end == len(folded) or not folded[end].isalnum()):
                text = text[:start] + phrase + text[end:]
            start = end
    return text


def _place(raw: str) -> Normalized:
    """Text naming a place or an agency that ends with its commune and province ("Ủy ban nhân
    dân xã X, tỉnh Y"): the agency words and the unit names are spelled as officially written."""
    return (correct_address(respell_phrases(raw, AGENCY_WORDS)) if raw else None), []


def _agency(raw: str) -> Normalized:
    """An office named with its commune and province ("Công an xã X, tỉnh Y", a form's
    recipient): spelled like a place, and its units checked like an address's once the agency
    words are cut off. A recipient that wraps onto a line the reading did not join ends in a
    broken province ("…, thành phố Hải") and goes to review instead of being signed short."""
    value, reasons = _place(raw)
    if value is None or "," not in value:
        return value, reasons
    units = value
    for phrase in AGENCY_WORDS:
        if units.startswith(phrase + " "):
            units = units[len(phrase) + 1:]
    return value, [*reasons, *address_problems(units)]


UNIT_ENDED: frozenset[str] = frozenset({"agency", "address"})
"""Types whose value ends with a 2025 commune and province: a wrap can be told from them."""


def completes_units(value: str, longer: str) -> bool:
    """Whether ``longer`` (``value`` and the next row) ends in a province ``value`` lacks:
    ``value`` was cut at a wrap inside or before its province's name."""
    def province_unknown(text: str) -> bool:
        return any(r.code == "address.province_unknown" for r in address_problems(text))

    return province_unknown(value) and not province_unknown(longer)


MAIL_DOMAINS = ("gmail.com", "yahoo.com", "yahoo.com.vn", "outlook.com", "hotmail.com",
                "icloud.com")
"""Providers most Vietnamese citizens' addresses use: an OCR slip on "@gmail.com" is
recognisable."""


def _repair_at(value: str) -> str | None:
    """``value`` with its "@provider" tail restored when OCR misread the "@" ("an6gmail.com")."""
    if "@" in value:
        return None
    for domain in MAIL_DOMAINS:
        tail = value[-(len(domain) + 1):]
        if len(value) > len(domain) + 1 and fuzz.ratio(tail, "@" + domain) >= 80:
            repaired = value[:-(len(domain) + 1)] + "@" + domain
            return repaired if _EMAIL.match(repaired) else None
    return None


def _address(raw: str) -> Normalized:
    value = correct_address(raw) if raw else ""
    return (value or None), (address_problems(value) if value else [])


def _origin(raw: str) -> Normalized:
    """A place of origin (quê quán) as a card or an older document names it: in the units of
    its time, often pre-2025 communes and districts. It is kept as read: respelled against the
    2025 list, a commune that was merged away would become a different, existing one ("Xã Xuân
    Long" → "Xã Xuân Lương") and nothing would show it."""
    return (raw or None), []


NO_EXPIRY = "Không thời hạn"
"""What a card valid for life prints in place of its expiry date (cards of citizens over 60)."""


def _expiry(raw: str) -> Normalized:
    """A card's expiry: a date, or "Không thời hạn" (no expiry), which is a valid value; read
    with other marks it is still that phrase, flagged like any respelled value."""
    phrase, key = fold(NO_EXPIRY), " ".join(fold(raw).split())
    if not any(ch.isdigit() for ch in key) and (
            fuzz.ratio(phrase, key) >= 85
            or (len(key) > len(phrase) and fuzz.partial_ratio(phrase, key) >= 90)):
        return NO_EXPIRY, ([VALUE_RESPELLED] if respelled(raw, NO_EXPIRY) else [])
    return normalize_date(raw)


VALUE_RESPELLED = reason(
    "value.respelled",
    "The value was respelled to the nearest allowed or official spelling; check it against the "
    "page.",
    "Giá trị đã được sửa theo cách viết hợp lệ hoặc chính thức gần nhất; cần đối chiếu với "
    "bản gốc.")
"""Any letter of a value that normalisation changed (an ethnic group snapped to the list, a
commune respelled to the 2025 list): usually an OCR slip put right, but a wrong snap would be a
silent error, so a person confirms it. The reading stays in ``raw``."""

RESPELLABLE: frozenset[str] = frozenset({
    "place", "agency", "address", "sex", "nationality", "ethnicity", "relationship"})
"""Types whose normalisers may change letters (names carry their own ``name.respelled``)."""


def _letters(text: str) -> str:
    """Lower-case words with their marks, punctuation as single spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", nfc(text).casefold()).split())


def respelled(raw: str, value: str) -> bool:
    """Whether ``value`` changes a letter or a mark of ``raw``, beyond case, spacing, punctuation
    and stray marks dropped around it (the value's words appear in the reading in order)."""
    return f" {_letters(value)} " not in f" {_letters(raw)} "


NORMALIZERS: dict[FieldType, Callable[[str], Normalized]] = {
    "text": _text,
    "place": _place,
    "agency": _agency,
    "name": _name,
    "date": normalize_date,
    "year": normalize_year,
    "sex": _choice(SEXES, "sex.unknown", ("sex", "giới tính")),
    "nationality": _nationality,
    "ethnicity": _choice(ETHNIC_GROUPS, "ethnicity.unknown", ("ethnic group", "dân tộc")),
    "relationship": _choice(RELATIONSHIPS, "relationship.unknown", ("relationship", "quan hệ")),
    "id_number": normalize_id_number,
    "phone": normalize_phone,
    "email": _email,
    "address": _address,
    "origin": _origin,
    "expiry": _expiry,
}


MACHINE_NORMALIZERS: dict[FieldType, Callable[[str], Normalized]] = {
    **NORMALIZERS, "name": _name_as_printed}
"""For values a machine encoded (the QR code of an ID card): their spelling is the citizen's own,
so a name is never respelled against the lexicon."""


UNKNOWN_WORD = reason(
    "value.unknown_word",
    "A word of the value is not Vietnamese as written (a mark or a space misread); check it "
    "against the page.",
    "Giá trị có từ không đúng chính tả tiếng Việt (đọc nhầm dấu hoặc khoảng trắng); cần đối "
    "chiếu với bản gốc.")
WORD_CHECKED: frozenset[str] = frozenset({"place", "agency", "address", "origin"})
"""Types written in Vietnamese words, where a word that is no syllable ("Trạm Ytế", "Cãn
Thơ" is a syllable, "Hộii" is not) is an OCR slip more often than a foreign name."""


def normalize(field_type: FieldType, raw: str, *, machine_read: bool = False) -> Normalized:
    """The contract value of ``raw`` for a field of ``field_type``, and what is doubtful about it.

    Fewer than two letters or digits is no value: no field holds one character, and a blank's
    dots often come back from OCR as a stray mark ("s", '"đ'). ``machine_read`` values (QR) are
    taken as spelled.
    """
    if sum(char.isalnum() for char in raw) < 2:
        return None, []
    value, reasons = (MACHINE_NORMALIZERS if machine_read else NORMALIZERS)[field_type](raw)
    if (value is not None and field_type in RESPELLABLE and not machine_read
            and VALUE_RESPELLED not in reasons and respelled(raw, value)):
        reasons = [*reasons, VALUE_RESPELLED]
    if (value is not None and field_type in WORD_CHECKED and not machine_read
            and unknown_words(value)):
        reasons = [*reasons, UNKNOWN_WORD]
    return value, reasons
