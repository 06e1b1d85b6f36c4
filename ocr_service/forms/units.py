"""Vietnam's administrative units since 1 July 2025: 34 provinces, each directly over its communes.

The 2025 units come from the ``vietnam-provinces`` package (loaded once). Dossiers still carry
addresses written with the 63 pre-2025 provinces and with districts; those are flagged for review
with the province they now belong to, but the value is never rewritten: the page says what it says.

Crosswalk source: Nghị quyết 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh (National
Assembly, 12 June 2025, effective 12 June 2025; provincial authorities merged from 1 July 2025).
Province codes of the 63 old provinces: Thông tư 59/2021/TT-BCA, Phụ lục (mã tỉnh nơi đăng ký
khai sinh, the first three digits of a personal ID number).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from ocr_service.domain import ReviewReason
from ocr_service.forms.text import nfc, reason, spaced_key

OLD_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}
"""The 63 pre-2025 provinces by the code that opens a personal ID number (Circular 59/2021)."""

MERGED_INTO: dict[str, tuple[str, ...]] = {
    "Tuyên Quang": ("Hà Giang", "Tuyên Quang"),
    "Lào Cai": ("Yên Bái", "Lào Cai"),
    "Thái Nguyên": ("Bắc Kạn", "Thái Nguyên"),
    "Phú Thọ": ("Vĩnh Phúc", "Hòa Bình", "Phú Thọ"),
    "Bắc Ninh": ("Bắc Giang", "Bắc Ninh"),
    "Hưng Yên": ("Thái Bình", "Hưng Yên"),
    "Hải Phòng": ("Hải Dương", "Hải Phòng"),
    "Ninh Bình": ("Hà Nam", "Nam Định", "Ninh Bình"),
    "Quảng Trị": ("Quảng Bình", "Quảng Trị"),
    "Đà Nẵng": ("Quảng Nam", "Đà Nẵng"),
    "Quảng Ngãi": ("Kon Tum", "Quảng Ngãi"),
    "Gia Lai": ("Bình Định", "Gia Lai"),
    "Khánh Hòa": ("Ninh Thuận", "Khánh Hòa"),
    "Lâm Đồng": ("Đắk Nông", "Bình Thuận", "Lâm Đồng"),
    "Đắk Lắk": ("Phú Yên", "Đắk Lắk"),
    "Hồ Chí Minh": ("Bình Dương", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"),
    "Đồng Nai": ("Bình Phước", "Đồng Nai"),
    "Tây Ninh": ("Long An", "Tây Ninh"),
    "Cần Thơ": ("Sóc Trăng", "Hậu Giang", "Cần Thơ"),
    "Vĩnh Long": ("Bến Tre", "Trà Vinh", "Vĩnh Long"),
    "Đồng Tháp": ("Tiền Giang", "Đồng Tháp"),
    "Cà Mau": ("Bạc Liêu", "Cà Mau"),
    "An Giang": ("Kiên Giang", "An Giang"),
    "Hà Nội": ("Hà Nội",),
    "Huế": ("Thừa Thiên Huế",),
    "Lai Châu": ("Lai Châu",),
    "Điện Biên": ("Điện Biên",),
    "Sơn La": ("Sơn La",),
    "Lạng Sơn": ("Lạng Sơn",),
    "Quảng Ninh": ("Quảng Ninh",),
    "Thanh Hóa": ("Thanh Hóa",),
    "Nghệ An": ("Nghệ An",),
    "Hà Tĩnh": ("Hà Tĩnh",),
    "Cao Bằng": ("Cao Bằng",),
}
"""Each 2025 province (short name) and the pre-2025 provinces it was formed from (NQ 202/2025)."""

_PROVINCE_PREFIX = re.compile(r"^(?:thanh pho|tp|tinh|t)\s+")
_COMMUNE_PREFIX = re.compile(r"^(?:xa|phuong|dac khu|p|x)\s+")
_DISTRICT_PREFIX = re.compile(r"^(?:huyen|quan|thi xa|thanh pho|tp|h|q)\s+")
_COUNTRY_KEYS = frozenset({"viet nam", "vietnam", "vn"})
_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh", "sai gon": "ho chi minh"}
FUZZY_CUTOFF = 90.0
"""rapidfuzz ratio (0-100) a misread name must reach; high, so that no other name is guessed."""


@dataclass(frozen=True)
class Province:
    """One of the 34 provinces of 2025, with its communes (xã, phường, đặc khu)."""

    name: str
    """Name as in the official list: "Thành phố Hà Nội", "Tuyên Quang"."""
    short_name: str
    """Name without "Thành phố": "Hà Nội"."""
    code: int
    kind: str
    """"tỉnh" or "thành phố"."""
    communes: tuple[str, ...]
    """Full commune names: "Xã Thượng Lâm", "Phường Ba Đình", "Đặc khu Phú Quốc"."""

    @property
    def title(self) -> str:
        """The name as written in running Vietnamese text: "tỉnh Tuyên Quang", "thành phố Huế"."""
        return f"{self.kind} {self.short_name}"


@dataclass(frozen=True)
class _Index:
    provinces: dict[str, tuple[Province, bool]]
    """Key of a province name → its 2025 province and whether the name is a pre-2025 one that
    no longer exists ("ha giang" → Tuyên Quang, True)."""
    communes: dict[int, dict[str, tuple[str, ...]]]
    """Province code → commune key (with and without its kind) → matching full names."""


def _province_key(text: str) -> str:
    key = _PROVINCE_PREFIX.sub("", spaced_key(text))
    return _ALIASES.get(key, key)


def _commune_key(text: str) -> str:
    return _COMMUNE_PREFIX.sub("", spaced_key(text))


def _load_province(entry: dict) -> Province:
    name = nfc(entry["name"])
    short_name = re.sub(r"^Thành phố\s+", "", name)
    kind = "thành phố" if short_name != name else "tỉnh"
    communes = tuple(nfc(ward["name"]) for ward in entry["wards"])
    return Province(name, short_name, int(entry["code"]), kind, communes)


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """The 34 provinces of 2025 in official order, loaded once from ``vietnam-provinces``."""
    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        return tuple(_load_province(entry) for entry in json.load(handle))


def _commune_index(province: Province) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for name in province.communes:
        for key in {spaced_key(name), _commune_key(name)}:
            index[key] = (*index.get(key, ()), name)
    return index


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_key = {_province_key(p.short_name): p for p in provinces()}
    missing = set(MERGED_INTO) - {p.short_name for p in provinces()}
    assert not missing, f"crosswalk names unknown to vietnam-provinces: {sorted(missing)}"
    by_short = {p.short_name: p for p in provinces()}
    old = {
        _province_key(old_name): (by_short[new_name], True)
        for new_name, old_names in MERGED_INTO.items()
        for old_name in old_names
        if _province_key(old_name) not in by_key
    }
    names = {**old, **{key: (province, False) for key, province in by_key.items()}}
    communes = {p.code: _commune_index(p) for p in provinces()}
    return _Index(names, communes)


_CONFUSABLE = str.maketrans({"l": "i", "1": "i", "|": "i", "0": "o"})
"""Letters OCR takes for one another in Latin print ("Ia Tul" read "la Tul"), compared alike."""


def _fuzzy(key: str, choices: dict[str, object]) -> str | None:
    """The one key of ``choices`` that ``key`` is a small misreading of, if any."""
    found = process.extractOne(key, choices.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if found is not None:
        return found[0]
    confusable = {choice.translate(_CONFUSABLE): choice for choice in choices}
    found = process.extractOne(key.translate(_CONFUSABLE), confusable.keys(), scorer=fuzz.ratio,
                               score_cutoff=FUZZY_CUTOFF)
    return None if found is None else confusable[found[0]]


def _lookup_province(text: str) -> tuple[Province | None, bool]:
    """The 2025 province a name refers to, and whether that name is a pre-2025 one."""
    names = _index().provinces
    key = _province_key(text)
    if key not in names:
        key = _fuzzy(key, names) if key else None
    return names[key] if key is not None else (None, False)


def find_province(text: str) -> Province | None:
    """The 2025 province named by ``text`` ("tỉnh Tuyên Quang", "TP. HCM", "Ha Noi").

    Old province names that no longer exist give None: see ``old_province``.
    """
    province, is_old = _lookup_province(text)
    return None if is_old else province


def old_province(text: str) -> str | None:
    """For a pre-2025 province name that no longer exists, the 2025 province that replaced it."""
    province, is_old = _lookup_province(text)
    return province.name if is_old and province is not None else None


def find_commune(province: Province, text: str) -> str | None:
    """The commune of ``province`` named by ``text`` ("xã Thượng Lâm", "P. Ba Đình", "Ba Dinh").

    None when no commune matches, or when a name without its kind fits both a xã and a phường.
    """
    index = _index().communes[province.code]
    full = spaced_key(text)
    names = index.get(full) or index.get(_commune_key(text))
    if names is None:
        best = _fuzzy(full, index) or _fuzzy(_commune_key(text), index)
        names = index[best] if best is not None else None
    return names[0] if names is not None and len(names) == 1 else None


def _province_unknown(text: str) -> ReviewReason:
    return reason(
        "address.province_unknown",
        f"'{text}' is not one of the 34 provinces of the 2025 administrative units.",
        f"'{text}' không phải là một trong 34 tỉnh, thành phố theo đơn vị hành chính năm 2025.",
    )


def _old_province(text: str, province: Province) -> ReviewReason:
    return reason(
        "address.old_province",
        f"'{text}' is a province name from before 1 July 2025; it is now part of "
        f"{province.short_name}.",
        f"'{text}' là tên tỉnh trước ngày 01/7/2025; nay thuộc {province.title}.",
    )


def _old_district(text: str) -> ReviewReason:
    return reason(
        "address.old_district",
        f"'{text}' is a district; districts were abolished on 1 July 2025.",
        f"'{text}' là đơn vị cấp huyện; cấp huyện đã chấm dứt hoạt động từ ngày 01/7/2025.",
    )


def _commune_unknown(text: str, province: Province) -> ReviewReason:
    return reason(
        "address.commune_unknown",
        f"'{text}' is not a commune of {province.short_name}.",
        f"'{text}' không phải là xã, phường, đặc khu của {province.title}.",
    )


def address_problems(address: str) -> list[ReviewReason]:
    """Check "…, <commune>, <province>" against the 2025 administrative units.

    Reasons name the place parts only (not the house or street part, which identifies a person).
    An address with a pre-2025 province or a district is flagged once; its commune, named under
    the old units, is not checked against the new ones.
    """
    parts = [part.strip(" .;:") for part in nfc(address).split(",")]
    parts = [part for part in parts if part]
    if parts and spaced_key(parts[-1]) in _COUNTRY_KEYS:
        parts.pop()
    if not parts:
        return []
    province, is_old = _lookup_province(parts[-1])
    if province is None:
        return [_province_unknown(parts[-1])]
    if is_old:
        return [_old_province(parts[-1], province)]
    if len(parts) < 2:
        return []
    commune = parts[-2]
    if _DISTRICT_PREFIX.match(spaced_key(commune)):
        return [_old_district(commune)]
    if find_commune(province, commune) is None:
        return [_commune_unknown(commune, province)]
    return []


_PROVINCE_KIND = re.compile(r"^\s*(?P<kind>(?:tỉnh|thành phố|tp\.?)\s+)?(?P<name>.+?)[\s.;:]*$",
                            re.IGNORECASE)
_COMMUNE_KIND = re.compile(r"(?P<kind>\b(?:xã|phường|đặc khu|thị trấn)\s+)(?P<name>[^,]+)$",
                           re.IGNORECASE)
_OFFICIAL_KIND = re.compile(r"^(?:Thành phố|Xã|Phường|Đặc khu)\s+")


def _respell(part: str, pattern: re.Pattern[str], official: str) -> str:
    """``part`` with the name after its kind word replaced by the official spelling."""
    found = pattern.search(part)
    if found is None:
        return part
    name = _OFFICIAL_KIND.sub("", official)
    return part[:found.start("name")] + name + part[found.end("name"):]


_UNIT_SEMICOLON = re.compile(
    r"\s*;\s*(?=(?:tỉnh|thành phố|tp\.|xã|phường|đặc khu|thị trấn|quận|huyện|thị xã)\s)",
    re.IGNORECASE)
"""A ";" before a unit's kind word: the comma between units, its tail read as a dot above."""


def correct_address(address: str) -> str:
    """The address with its province and commune written as in the official 2025 list, where the
    reading differs from exactly one official name by a small OCR slip ("xã la Tul, tỉnh Đõng
    Nai" → "xã Ia Tul, tỉnh Đồng Nai"), and a comma between units read as ";" put back, so the
    units are checked at all. Kind words keep the case they were written in; the rest of the
    address, unknown names and old provinces are returned as read: nothing is invented."""
    address = _UNIT_SEMICOLON.sub(", ", nfc(address))
    parts = address.split(",")
    if len(parts) < 2:
        return address
    province, is_old = _lookup_province(parts[-1].strip(" .;:"))
    if province is None or is_old:
        return address
    parts[-1] = _respell(parts[-1], _PROVINCE_KIND, province.short_name)
    commune_part = _COMMUNE_KIND.search(parts[-2])
    if commune_part is not None:
        commune = find_commune(province, commune_part.group(0))
        if commune is not None:
            parts[-2] = _respell(parts[-2], _COMMUNE_KIND, commune)
    return ",".join(parts)
