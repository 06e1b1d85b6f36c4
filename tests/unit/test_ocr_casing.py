"""A small letter with a Vietnamese mark among capitals is written as the capital it is, and a
word-initial "l" no Vietnamese word could start with as the "I" it is."""

from __future__ import annotations

import pytest

from ocr_service.pipeline.ocr.casing import capital_i, capitalise_strays, settle_case


@pytest.mark.parametrize("read, written", [
    ("Cách dùng: %s TậPTIN1 TẬPTIN2", "Cách dùng: %s TẬPTIN1 TẬPTIN2"),  # unseen prose
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIệT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("ĐƯờNG", "ĐƯỜNG"),
])
def test_a_stray_small_letter_among_capitals_is_made_a_capital(read, written):
    assert capitalise_strays(read) == written


@pytest.mark.parametrize("text", [
    "CaCO3 và NaCl", "điện năng 5 kWh, pin 3000 mAh",  # plain Latin letters: real mixed case
    "Hà Nội", "Đà Nẵng", "Ủy ban", "đơn vị Kg",  # a capital first and small letters after
    "Ký tên", "xã Tân Lập (TL)", "ThôngTin",  # fewer than two capitals, or two small letters
    "ĐẶNG THỊ LAN", "", "12/2025",
])
def test_words_in_their_own_case_are_left_alone(text):
    assert capitalise_strays(text) == text


@pytest.mark.parametrize("read, written", [
    ("kết nối lnternet tại lntel", "kết nối Internet tại Intel"),  # unseen prose, sans faces
    ("mã lCAO, chuẩn lSO và lEC", "mã ICAO, chuẩn ISO và IEC"),
    ("(lnternet)", "(Internet)"),
])
def test_a_word_initial_l_before_a_consonant_is_a_capital_i(read, written):
    assert capital_i(read) == written


@pytest.mark.parametrize("text", [
    "lá lốt, làng, lũy, luật, lý lịch, lương", "5 lm, 300 lx, 2 lb", "lệnh ls và llama",
    "ldd, lc, lp", "số %ld và --ldflags",  # no vowel, or not after a space (unseen prose)
    "Hà Nội", "bill, null, html", "",
])
def test_other_ls_are_left_alone(text):
    assert capital_i(text) == text


def test_both_together():
    assert settle_case("TậPTIN trên lnternet") == "TẬPTIN trên Internet"
