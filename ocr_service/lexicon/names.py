"""Field-aware correction of Vietnamese person names against a lexicon of common name syllables.

Names are where a mark-only OCR slip costs most ("PHAM" for "PHẠM" on an ID card) and where the
syllable rules alone help least: a slipped name is often still a valid syllable. Vietnamese
names draw on a small stock of syllables, though, so a name syllable that is not in that stock
but has exactly one entry with the same letters is taken to be that entry with its marks misread.

The lists below are written by hand from general knowledge of Vietnamese naming (the most
common family names, the usual middle names, and widespread given names); they are a real-world
list, not derived from any test or benchmark data.

Limit: a correct but rare name outside the lexicon whose mark-free spelling matches exactly one
lexicon entry would be changed to that entry. That is why every change is returned as a
``Correction`` (the original and where it was) and why the forms pipeline sends a respelled
name to review instead of accepting it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .correct import Correction, apply, match_case
from .syllables import nfc, parse, strip_marks, strip_tone, tokens, with_tone

SURNAMES: tuple[str, ...] = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Vương", "Trịnh", "Trương", "Lâm", "Mai", "Tô",
    "Tạ", "Hà", "Lương", "Lưu", "Cao", "Quách", "Đinh", "Kiều", "Thái", "Từ", "Chu", "Châu",
    "Mạc", "Triệu", "La", "Lã", "Khúc", "Kim", "Doãn", "Đàm", "Nghiêm", "Ninh", "Phùng", "Quan",
    "Tăng", "Tiêu", "Tôn", "Thân", "Thạch", "Vi", "Âu", "Bạch", "Bế", "Cù", "Diệp", "Giang",
    "Giáp", "Hứa", "Khổng", "Khương", "Lạc", "Lại", "Lục", "Mã", "Nông", "Ông", "Phó", "Phương",
    "Sơn", "Thiều", "Tòng", "Trà", "Trang", "Viên", "Hàn", "Hầu", "Đồng", "Đới", "Đậu", "Đổng",
    "Khuất", "Lò", "Lữ", "Mẫn", "Nhan", "Ôn", "Quản", "Sầm", "Tống", "Thiệu", "Trình", "Cung",
    "Chử", "Cấn", "Dư", "Giả", "Kha", "Lăng", "Liêu", "Nhữ", "Phí", "Tất", "Thẩm", "Ứng", "Vy",
)
"""Family names, the most common first (Nguyễn, Trần, Lê, Phạm ... cover most of the country)."""

MIDDLE_NAMES: tuple[str, ...] = (
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Hoài", "Gia",
    "Bảo", "Công", "Đình", "Duy", "Hồng", "Kim", "Mạnh", "Quốc", "Thế", "Tuấn", "Anh", "Hải",
    "Khánh", "Phương", "Thùy", "Thúy", "Mỹ", "Bích", "Diệu", "Hoàng", "Trọng", "Tiến", "Trung",
    "Việt", "Nhật", "Phúc", "Như", "Cẩm", "Kiều", "Ánh", "Huyền", "Tú", "Vĩnh", "Khắc", "Chí",
    "Đăng", "Bá", "Đại", "Hoàn", "Hùng", "Kiến", "Long", "Nam", "Phú", "Quý", "Thái", "Thiện",
    "Tường", "Uyên", "Vân", "Yến", "Trí", "Thành", "Tấn", "Sỹ", "Sĩ", "Ngân", "Lệ",
)
"""Middle names (chữ đệm): Văn and Thị above all, then the many that double as given names."""

GIVEN_NAMES: tuple[str, ...] = (
    "An", "Anh", "Ánh", "Ân", "Ái", "Bách", "Bảo", "Bằng", "Bích", "Biên", "Bình", "Cảnh", "Cát",
    "Chánh", "Châu", "Chi", "Chiến", "Chinh", "Chính", "Chung", "Công", "Cúc", "Cường", "Dân",
    "Diễm", "Diệp", "Diệu", "Doanh", "Dung", "Dũng", "Duy", "Duyên", "Dương", "Đại", "Đan",
    "Đào", "Đạo", "Đạt", "Điệp", "Định", "Đông", "Đức", "Gấm", "Giang", "Giao", "Hà", "Hạ",
    "Hải", "Hạnh", "Hào", "Hảo", "Hằng", "Hân", "Hậu", "Hiền", "Hiển", "Hiếu", "Hiệp", "Hoa",
    "Hòa", "Hoài", "Hoan", "Hoàn", "Hoàng", "Hợp", "Hồng", "Huân", "Huệ", "Hùng", "Hưng",
    "Hương", "Hường", "Huy", "Huyền", "Kha", "Khang", "Khanh", "Khánh", "Khải", "Khoa", "Khôi",
    "Khuê", "Kiên", "Kiệt", "Kim", "Kỳ", "Lam", "Lan", "Lâm", "Lập", "Liên", "Liễu", "Linh",
    "Loan", "Lộc", "Lợi", "Long", "Luân", "Lực", "Ly", "Mai", "Mạnh", "Mẫn", "Miên", "Minh",
    "My", "Mỹ", "Na", "Nam", "Nga", "Ngà", "Ngân", "Nghĩa", "Ngọc", "Nguyên", "Nguyệt", "Nhàn",
    "Nhân", "Nhật", "Nhi", "Nhiên", "Nhung", "Như", "Ninh", "Oanh", "Phát", "Phi", "Phong", "Phú",
    "Phúc", "Phụng", "Phước", "Phương", "Phượng", "Quân", "Quang", "Quế", "Quốc", "Quý",
    "Quyên", "Quyền", "Quyết", "Quỳnh", "Sang", "Sâm", "Sinh", "Sơn", "Sương", "Tài", "Tâm",
    "Tân", "Thạch", "Thái", "Thắm", "Thắng", "Thanh", "Thành", "Thảo", "Thiện", "Thịnh", "Thơ",
    "Thoa", "Thông", "Thu", "Thư", "Thuận", "Thúy", "Thủy", "Thùy", "Thy", "Tiên", "Tiến", "Tín",
    "Toàn", "Trâm", "Trang", "Trí", "Triết", "Triều", "Trinh", "Trọng", "Trung", "Trúc", "Tú",
    "Tuấn", "Tùng", "Tuyên", "Tuyết", "Tuyền", "Tư", "Tường", "Uyên", "Út", "Vân", "Vi", "Việt",
    "Vinh", "Vĩnh", "Vũ", "Vượng", "Vy", "Xoan", "Xuân", "Yên", "Yến", "Bội", "Cầm", "Dạ",
    "Hiên", "Hòe", "Hưởng", "Khương", "Lành", "Lĩnh", "Lụa", "Luyến", "Mến", "Mơ", "Nương",
    "Nhạn", "Nhu", "Phấn", "Sáu", "Tạo", "Thiều", "Thìn", "Thoại", "Tịnh", "Tố", "Trình",
    "Tuệ", "Hiệu", "Luật", "Mận", "Ngát", "Đằng", "Lễ", "Hoạt", "Cần", "Chức", "Dinh", "Đính",
    "Đoan", "Đôn", "Giàu", "Hạc", "Huấn", "Khiêm", "Khoát", "Khuyên", "Lạng",
    "Lũy", "Mừng", "Năm", "Ngạn", "Nhạc", "Nhẫn", "Nhị", "Phàn", "Quảng", "Quyến", "Sa",
    "Sen", "Tám", "Tảo", "Thao", "Thể", "Thiêm", "Thoan", "Thục", "Thương", "Thường", "Tĩnh",
    "Toản", "Tới", "Trãi", "Trà", "Tráng", "Trị", "Trường", "Tưởng", "Uẩn", "Ước", "Vàng",
    "Vạn", "Viễn", "Vịnh", "Vọng", "Xuyến", "Hồi", "Chương", "Đạm", "Kính", "Lân",
    "Lượng", "Mão", "Nhạ", "Thẩm", "Thuyên", "Tòng", "Tuyến", "Vương", "Ý", "Bắc", "Bền",
    "Bông", "Chanh", "Giỏi", "Hên", "Hết", "Khiết", "Lài", "Lương",
    "Mạc", "Mười", "Nhiều", "Phận", "Quới", "Tèo", "Thiệt", "Thuần", "Trân", "Vẹn",
)
"""Given names, men's and women's together: a name's sex is not needed to check its spelling."""


def _key(syllable: str) -> str:
    """One spelling per syllable, whatever the tone-mark style: "Hòa" and "hoà" → "hoà"."""
    lower = nfc(syllable).lower()
    parsed = parse(lower)
    return lower if parsed is None else with_tone(strip_tone(lower), parsed.tone)


def _by_letters(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The distinct syllables of ``names`` that share each mark-free spelling ("hoa" → hoa,
    hòa ...)."""
    found: dict[str, tuple[str, ...]] = {}
    for name in names:
        letters = strip_marks(name)
        found[letters] = (*found.get(letters, ()), name)
    return found


def _written(names: Iterable[str]) -> dict[str, str]:
    """Each syllable as written in the lists, lower case, by ``_key``."""
    written: dict[str, str] = {}
    for name in names:
        written.setdefault(_key(name), nfc(name).lower())
    return written


_WRITTEN = _written(SURNAMES + MIDDLE_NAMES + GIVEN_NAMES)
_BY_LETTERS = _by_letters(_WRITTEN.values())
_SURNAMES = _written(SURNAMES)
_SURNAMES_BY_LETTERS = _by_letters(_SURNAMES.values())


def is_name_syllable(word: str) -> bool:
    """Whether ``word`` is a syllable of the name lexicon (any case, either tone-mark style)."""
    return _key(word) in _WRITTEN


def is_surname(word: str) -> bool:
    """Whether ``word`` is one of the family names of ``SURNAMES`` (any case, tone style)."""
    return _key(word) in _SURNAMES


def _respell(word: str, start: int, first: bool) -> Correction | None:
    """The correction of one syllable; the ``first`` of a name against the family names alone.

    A family name comes first and is drawn from a short list, so a first syllable that is a
    name syllable but no family name ("TRÂN", a given name, read for TRẦN) is a mark slip as
    surely as a syllable outside the lexicon."""
    if not word.isalpha() or (is_surname(word) if first else is_name_syllable(word)):
        return None
    index = _SURNAMES_BY_LETTERS if first else _BY_LETTERS
    matches = index.get(strip_marks(word).lower(), ())
    if len(matches) != 1:
        return None
    why = "not a family name; the only one with the same letters" if first else \
        "not a common name syllable; the only one with the same letters"
    return Correction(word, match_case(word, matches[0]), why, start, start + len(word))


def _syllables(value: str) -> list[tuple[int, str, bool]]:
    """(start, syllable, whether it is the first) of each word of letters of a name."""
    words = [match for match in tokens(value) if match.group().isalpha()]
    return [(match.start(), match.group(), i == 0) for i, match in enumerate(words)]


def unknown_syllables(value: str) -> list[str]:
    """The syllables of a name that are not in the lexicon of common name syllables, and a
    first syllable that is no family name: a rare name, a mark the OCR got wrong that the
    lexicon could not put right ("TIỄN" for Tiến or Tiên, "LÂÃM"), or a name read from the
    wrong place ("THỊ THẢO", the end of another name)."""
    return [word for _, word, first in _syllables(nfc(value))
            if not (is_surname(word) if first else is_name_syllable(word))]


def correct_name(value: str) -> tuple[str, tuple[Correction, ...]]:
    """``value`` (made NFC) with each syllable outside the lexicon replaced by the one lexicon
    syllable spelled with the same letters and other marks ("PHAM" → "PHẠM"), and a first
    syllable that is no family name by the one family name so spelled ("TRÂN" → "TRẦN"), case
    kept; syllables with no or several such entries stay as read ("NGUYEN": Nguyễn or
    Nguyên)."""
    value = nfc(value)
    corrections = tuple(correction for start, word, first in _syllables(value)
                        if (correction := _respell(word, start, first)))
    return apply(value, corrections), corrections
