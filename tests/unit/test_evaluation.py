"""Error-rate arithmetic on hand-computed cases."""

from __future__ import annotations

import unicodedata

import pytest

from sohoa_dev.evaluation import (
    ErrorCount,
    cer,
    char_errors,
    micro_cer,
    micro_wer,
    normalize_for_cer,
    wer,
    word_errors,
)


def test_normalize_removes_dot_leaders_and_collapses_whitespace() -> None:
    text = "Họ và tên: ........ NGUYỄN VĂN AN . . . .\n\nNơi cư trú:\t……  …"
    assert normalize_for_cer(text) == "Họ và tên: NGUYỄN VĂN AN Nơi cư trú:"


def test_normalize_keeps_single_dots_and_numbers() -> None:
    assert normalize_for_cer("  Số 1.250.000 đồng. Hết.  ") == "Số 1.250.000 đồng. Hết."
    assert normalize_for_cer("Chờ…") == "Chờ…"


def test_normalize_makes_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert decomposed != "Nguyễn Thị Ánh"
    assert normalize_for_cer(decomposed) == "Nguyễn Thị Ánh"


def test_cer_simple_substitution() -> None:
    assert cer("abd", "abc") == pytest.approx(1 / 3)


def test_cer_missing_tone_mark_on_a_form_line() -> None:
    # Reference normalises to "Họ và tên: NGUYỄN" (17 characters); one letter differs.
    assert cer("Họ và tên: NGUYEN", "Họ và tên: .......... NGUYỄN") == pytest.approx(1 / 17)


def test_cer_nfd_hypothesis_against_nfc_reference_is_zero() -> None:
    ref = "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc"
    assert cer(unicodedata.normalize("NFD", ref), ref) == 0.0


def test_cer_ignores_line_breaks_and_leader_length() -> None:
    assert cer("Nơi cư trú: .....\nxã An Phú", "Nơi cư trú: ..................... xã An Phú") == 0.0


def test_cer_empty_cases() -> None:
    assert cer("", "") == 0.0
    assert cer("abc", "") == 1.0
    assert cer("", "abc") == 1.0
    assert cer("", "..........") == 0.0  # a blank form line: nothing to read


def test_cer_can_exceed_one() -> None:
    assert cer("abcdef", "ab") == pytest.approx(4 / 2)


def test_wer() -> None:
    assert wer("một hai ba", "một hai bốn") == pytest.approx(1 / 3)
    assert wer("một\nhai", "một   hai") == 0.0
    assert word_errors("một ba", "một hai ba") == ErrorCount(1, 3)


def test_micro_average_weighs_pages_by_length() -> None:
    pairs = [("ab", "ab"), ("x", "abcd")]  # 0 edits of 2, then 4 edits of 4
    assert micro_cer(pairs) == pytest.approx(4 / 6)
    assert char_errors("x", "abcd") + char_errors("ab", "ab") == ErrorCount(4, 6)
    assert micro_wer([("a b", "a b"), ("c", "d e")]) == pytest.approx(2 / 4)
