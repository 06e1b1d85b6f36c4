"""A small letter with a Vietnamese mark among capitals is written as the capital it is."""

from __future__ import annotations

import pytest

from ocr_service.pipeline.ocr.casing import capitalise_strays


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
