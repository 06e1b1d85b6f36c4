"""Closed lists a field must take its value from (sex, ethnic group, nationality) and the matcher.

OCR misreads diacritics and spacing ("Ê Đê" read as "E De", "Ede", "Ê-đê"); ``match_choice`` maps a
reading to the one allowed value it is close to, and gives None rather than a guess when nothing
is close enough or two values are equally close: a wrong ethnic group on a record is worse than a
blank the clerk fills in.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from ocr_service.forms.text import compact_key, nfc

SEXES: tuple[str, ...] = ("Nam", "Nữ")
NATIONALITIES: tuple[str, ...] = ("Việt Nam",)

ETHNIC_GROUPS: tuple[str, ...] = (
    "Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông", "Dao", "Gia Rai", "Ê Đê",
    "Ba Na", "Sán Chay", "Chăm", "Cơ Ho", "Xơ Đăng", "Sán Dìu", "Hrê", "Ra Glai", "Mnông", "Thổ",
    "Xtiêng", "Khơ Mú", "Bru - Vân Kiều", "Cơ Tu", "Giáy", "Tà Ôi", "Mạ", "Giẻ - Triêng", "Co",
    "Chơ Ro", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "Kháng", "Phù Lá", "La Hủ",
    "La Ha", "Pà Thẻn", "Lự", "Ngái", "Chứt", "Lô Lô", "Mảng", "Cơ Lao", "Bố Y", "Cống", "Si La",
    "Pu Péo", "Rơ Măm", "Brâu", "Ơ Đu",
)
"""The 54 ethnic groups of Vietnam by their official names (Danh mục các dân tộc Việt Nam,
Quyết định 121-TCTK/PPCĐ of the General Statistics Office), in the list's order."""

RELATIONSHIPS: tuple[str, ...] = (
    "Bản thân", "Chủ hộ", "Vợ", "Chồng", "Con", "Con đẻ", "Con nuôi", "Con riêng", "Con dâu",
    "Con rể", "Cha", "Mẹ", "Cha đẻ", "Mẹ đẻ", "Cha nuôi", "Mẹ nuôi", "Bố", "Ông", "Bà",
    "Ông nội", "Bà nội", "Ông ngoại", "Bà ngoại", "Anh", "Chị", "Em", "Anh ruột", "Chị ruột",
    "Em ruột", "Cháu", "Cháu nội", "Cháu ngoại", "Chắt", "Cô", "Dì", "Chú", "Bác", "Cậu", "Mợ",
    "Thím", "Anh rể", "Em rể", "Chị dâu", "Em dâu", "Người giám hộ", "Người được ủy quyền",
    "Người ở nhờ", "Người ở thuê", "Người ở mượn",
)
"""Relationships written on civil-status and residence forms (quan hệ với chủ hộ, với người được
khai sinh), as the Ministry of Public Security's residence database names them."""

DEFAULT_THRESHOLD = 85.0


def _exact(text: str, choices: Sequence[str]) -> str | None:
    """A choice equal to ``text`` ignoring case, or ignoring diacritics if only one fits."""
    wanted = nfc(text).strip().casefold()
    same = [choice for choice in choices if nfc(choice).casefold() == wanted]
    if same:
        return same[0]
    key = compact_key(text)
    loose = [choice for choice in choices if compact_key(choice) == key]
    return loose[0] if len(loose) == 1 else None


def match_choice(
    text: str | None, choices: Sequence[str], threshold: float = DEFAULT_THRESHOLD
) -> str | None:
    """The allowed value ``text`` stands for, or None when none is close enough (never invented).

    Exact matches (case, then diacritics ignored) win; otherwise the best rapidfuzz ratio over
    diacritics-free keys must reach ``threshold`` (0-100) and beat the runner-up.
    """
    if not text or not text.strip():
        return None
    exact = _exact(text, choices)
    if exact is not None:
        return exact
    keys = {choice: compact_key(choice) for choice in choices}
    found = process.extract(
        compact_key(text), keys, scorer=fuzz.ratio, score_cutoff=threshold, limit=2
    )
    if not found or (len(found) == 2 and found[1][1] == found[0][1]):
        return None
    return found[0][2]


def normalize_sex(text: str | None) -> str | None:
    """"Nam" or "Nữ" from a reading such as "NAM", "Nu", "Nữ."; None when it is neither."""
    return match_choice(text, SEXES)

