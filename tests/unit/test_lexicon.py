"""Vietnamese syllable rules, mark-only corrections that never guess, and name respelling."""

from __future__ import annotations

import unicodedata

import pytest

from ocr_service.forms.values import normalize
from ocr_service.lexicon import (Correction, Tone, correct_name, correct_text, correct_token,
                                 is_syllable, language_score, parse, strip_marks, strip_tone,
                                 tone_of, with_tone)
from ocr_service.lexicon.names import GIVEN_NAMES, MIDDLE_NAMES, SURNAMES

GOOD = ("nghiêng", "khuyết", "quốc", "giữa", "gìn", "hoàng", "thuở", "oanh", "ươm", "yêu", "uyên",
        "người", "được", "Đặng", "cáp", "ghe", "ăn", "giếng", "gì", "khuya", "khuỷu", "huỳnh",
        "quý", "quyết", "của", "mưa", "huế", "tuần", "xuân", "ý", "ở", "NGUYỄN", "khuếch", "toét")
BAD = ("ngưòi", "hòang", "càp", "cap", "kan", "gha", "ă", "â", "iêu", "tyêu", "coa", "nguoi",
       "qúa", "gìa", "chat", "ươ", "12", "a1", "Việt-Nam", "", "đ", "hóà")


@pytest.mark.parametrize("word", GOOD)
def test_real_syllables_are_valid(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", BAD)
def test_impossible_spellings_are_not_syllables(word):
    assert parse(word) is None


@pytest.mark.parametrize("old, new", [("hòa", "hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"),
                                      ("Ủy", "Uỷ")])
def test_both_tone_mark_styles_are_accepted_on_open_glide_rhymes(old, new):
    assert is_syllable(old) and is_syllable(new)
    assert tone_of(old) == tone_of(new)


def test_decomposed_input_is_read_as_nfc():
    assert is_syllable(unicodedata.normalize("NFD", "người"))


def _parts(word: str) -> tuple:
    syllable = parse(word)
    return syllable.onset, syllable.medial, syllable.nucleus, syllable.coda, syllable.tone


def test_parse_takes_a_syllable_apart_with_qu_and_gi_as_onsets():
    assert _parts("quốc") == ("qu", "", "ô", "c", Tone.SAC)
    assert _parts("gìn") == ("gi", "", "i", "n", Tone.HUYEN)
    assert _parts("Hoàng") == ("h", "o", "a", "ng", Tone.HUYEN)
    assert _parts("người") == ("ng", "", "ươ", "i", Tone.HUYEN)
    assert parse("ĐẶNG").text == "ĐẶNG"


def test_tone_helpers_keep_letters_and_case():
    assert strip_tone("Đặng Hữu") == "Đăng Hưu"
    assert strip_marks("Đặng HỮU") == "Dang HUU"
    assert tone_of("nặng") is Tone.NANG and tone_of("ba") is Tone.NGANG and tone_of("1") is None
    assert with_tone("hoa", Tone.HUYEN) == "hoà"  # new style
    assert with_tone("THUY", Tone.HOI) == "THUỶ"
    assert with_tone("người", Tone.SAC) == "ngưới"  # the old tone is replaced
    with pytest.raises(ValueError):
        with_tone("cap", Tone.HUYEN)  # a stop coda takes only sắc or nặng


def test_language_score_prefers_the_reading_with_valid_syllables():
    good = "Cộng hòa xã hội chủ nghĩa Việt Nam"
    bad = "Cộng hòa xã hội chủ nghĩa Viêt Nam"
    assert language_score(good) == 1.0
    assert language_score(bad) < language_score(good)


def test_language_score_ignores_numbers_acronyms_and_single_letters():
    assert language_score("Số CCCD 001090123456 do UBND cấp, mục a) đ") == 1.0
    assert language_score("123 ... --") == 0.0


@pytest.mark.parametrize("read, fixed", [
    ("ngưòi", "người"),  # a horn lost: one change
    ("hòang", "hoàng"),  # the mark on the wrong vowel: same tone, put in its place
    ("HÒANG", "HOÀNG"),
    ("Đuợc", "Được"),
    ("cuả", "của"),
])
def test_an_invalid_word_with_one_nearest_repair_is_corrected_keeping_its_case(read, fixed):
    correction = correct_token(read)
    assert correction == Correction(read, fixed, correction.reason, 0, len(read))


@pytest.mark.parametrize("read", ["Viêt", "càp", "Đăt", "quôc"])
def test_several_repairs_at_the_same_distance_leave_the_word_as_read(read):
    assert correct_token(read) is None  # Viết or Việt? cáp or cạp? đắt or đặt?


@pytest.mark.parametrize("word", ["dược", "Nam", "UBND", "12", "Đắk", "email"])
def test_valid_words_numbers_and_words_with_no_repair_are_not_touched(word):
    assert correct_token(word) is None


@pytest.mark.parametrize("word", ["NGUYEN", "duong", "nguoi"])
def test_words_read_without_any_mark_are_not_guessed_at(word):
    assert correct_token(word) is None  # the nearest valid spelling (NGUYÊN) is not the likely one


def test_candidates_filter_narrows_the_repairs():
    assert correct_token("ngưòi", candidates_filter=lambda word: word != "người") is None


def test_correct_text_records_each_change_with_its_offsets():
    text = "Họ tên: Hòang Văn An; số: 0123 ....... ngưòi Việt Nam, Viêt"
    fixed, corrections = correct_text(text)
    assert fixed == "Họ tên: Hoàng Văn An; số: 0123 ....... người Việt Nam, Viêt"
    assert [(c.original, c.corrected) for c in corrections] == [("Hòang", "Hoàng"),
                                                              ("ngưòi", "người")]
    for correction in corrections:
        assert text[correction.start:correction.end] == correction.original
        assert fixed[correction.start:correction.end] == correction.corrected


def test_correct_text_leaves_valid_text_alone():
    text = "Ngày 05/06/1998, tại Ủy ban nhân dân xã Hòa Bình."
    assert correct_text(text) == (text, ())


def test_name_lexicon_is_written_in_valid_syllables():
    for name in SURNAMES + MIDDLE_NAMES + GIVEN_NAMES:
        assert is_syllable(name), name
    assert len(SURNAMES) >= 100 and len(set(MIDDLE_NAMES + GIVEN_NAMES)) >= 300


@pytest.mark.parametrize("read, fixed", [
    ("PHAM THỊ HOA", "PHẠM THỊ HOA"),
    ("Bui Văn Hùng", "Bùi Văn Hùng"),
    ("NGÔ ĐỨC HUYNH", "NGÔ ĐỨC HUỲNH"),
    ("Hoàng Thị Quỳnh", "Hoàng Thị Quỳnh"),  # in the lexicon: untouched
    ("NGUYEN VAN DUNG", "NGUYỄN VAN DUNG"),  # Văn/Vân, Dũng/Dung: no guess; first, Nguyễn alone
    ("TRÂN THU MỸ", "TRẦN THU MỸ"),  # a given name first: the one family name so spelled
    ("LÊ THỊ THUỲ", "LÊ THỊ THUỲ"),  # the new tone style of a lexicon name
])
def test_correct_name_respells_only_to_a_single_lexicon_match(read, fixed):
    assert correct_name(read)[0] == fixed


def test_correct_name_records_what_it_changed():
    value, corrections = correct_name("TRẦN VĂN PHAM")
    assert value == "TRẦN VĂN PHẠM"
    assert [(c.original, c.corrected, c.start, c.end) for c in corrections] == [
        ("PHAM", "PHẠM", 9, 13)]


def test_a_respelled_name_field_goes_to_review():
    value, reasons = normalize("name", "Pham Thị Hoa")
    assert value == "PHẠM THỊ HOA"
    assert [r.code for r in reasons] == ["name.respelled"]
    assert normalize("name", "PHẠM THỊ HOA") == ("PHẠM THỊ HOA", [])


def test_a_machine_read_name_is_never_respelled():
    assert normalize("name", "Pham Thị Hoa", machine_read=True) == ("PHAM THỊ HOA", [])


@pytest.mark.parametrize("read", ["THỊ THẢO", "ĐIÊN THU MỸ", "Y BIH NIÊ"])
def test_a_name_that_does_not_start_with_a_family_name_goes_to_review(read):
    """The end of another name read in its place, or a rare family name: a person looks."""
    value, reasons = normalize("name", read)
    assert value == read and [r.code for r in reasons] == ["name.uncommon"]
