"""Line-final full stops are read from the page when the recognizer leaves them out, and never
made out of a leader's dots, a comma or the dot under a letter; a full stop read as a comma (or
the reverse) inside a line is written as the page shows it."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from ocr_service.pipeline.ocr.recognize import make_reading
from ocr_service.pipeline.ocr.stops import (
    SPACE_GAP, ends_with_full_stop, ends_with_leader, gap_before_quote, mark_at, quote_at,
    restore_full_stop, settle_full_stop, settle_punctuation,
)
from sohoa_dev.synth.render import installed_font
from tests.ink_lines import SIZE, line, reading_of, shrunk

@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
def test_a_full_stop_cut_off_by_the_box_is_put_back(font_file):
    grey, quad = line("có giá trị pháp lý như bản giấy.", "có giá trị pháp lý như bản giấy.",
                      font_file)
    assert ends_with_full_stop(grey, quad)
    assert restore_full_stop(grey, quad, "có giá trị pháp lý như bản giấy") == \
        "có giá trị pháp lý như bản giấy."
    assert restore_full_stop(grey, quad, "có giá trị pháp lý như bản giấy.") == \
        "có giá trị pháp lý như bản giấy."


@pytest.mark.parametrize("text", [
    "Dân tộc: Kinh ..........................",  # a leader after the value
    "Dân tộc: Kinh…………………",
    "Dân tộc: Kinh,",  # a comma reaches below the baseline
    "Dân tộc: Kinh",  # nothing after the word
])
def test_leaders_commas_and_bare_ends_are_no_full_stop(text):
    grey, quad = line(text, "Dân tộc: Kinh")
    assert not ends_with_full_stop(grey, quad)
    assert restore_full_stop(grey, quad, "Dân tộc: Kinh") == "Dân tộc: Kinh"


def test_the_dot_under_a_last_letter_is_no_full_stop():
    grey, quad = line("Họ và tên: NGUYỄN THỊ HẠ", "Họ và tên: NGUYỄN THỊ HẠ")
    assert not ends_with_full_stop(grey, quad)
    grey, quad = line("đã nộp hồ sơ hợp lệ", "đã nộp hồ sơ hợp lệ")
    assert not ends_with_full_stop(grey, quad)


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("leader", ["…", "....", ". . . .", "………"])
def test_a_full_stop_read_out_of_a_short_leader_is_taken_away(font_file, leader):
    """The reader wrote DejaVu's "Kinh …" as "Kinh." (the box held the leader)."""
    grey, quad = line(f"Dân tộc: Kinh {leader}", f"Dân tộc: Kinh {leader}", font_file)
    assert ends_with_leader(grey, quad)
    assert settle_full_stop(grey, quad, "Dân tộc: Kinh.") == "Dân tộc: Kinh"
    assert settle_full_stop(grey, quad, "Dân tộc: Kinh") == "Dân tộc: Kinh"
    grey, quad = line(f"Dân tộc: {leader}", f"Dân tộc: {leader}", font_file)
    assert settle_full_stop(grey, quad, "Dân tộc:.") == "Dân tộc:"  # after the label's colon


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("text", ["có giá trị pháp lý như bản giấy.", "Văn bản này có giá trị.",
                                  "Trân trọng cảm ơn quý vị.", "Tổ dân phố số 3, phường Hạ.",
                                  "ngày 12 tháng 3 năm 2025, v.v."])
def test_a_real_full_stop_is_kept_and_is_no_leader(font_file, text):
    """Not even after a dot under the last letter ("trị.", "Hạ."): the two dots are not in a row."""
    grey, quad = line(text, text, font_file)
    assert not ends_with_leader(grey, quad)
    assert settle_full_stop(grey, quad, text) == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("text, read_as", [
    ("là quá cũ. thiếu ghi chú", "là quá cũ, thiếu ghi chú"),  # unseen prose, 13 such words
    ("HỆ THỐNG. Thư mục sau", "HỆ THỐNG, Thư mục sau"),
    ("phường Hạ, xã Đông", "phường Hạ. xã Đông"),
    ("ở cuối dòng là chấm.", "ở cuối dòng là chấm,"),
    ("đạt 97%. còn (xem mục 2). hết", "đạt 97%, còn (xem mục 2), hết"),  # "%"'s ring: no baseline
    ("tỷ lệ 97,6 % và 1.250.000 đồng", "tỷ lệ 97.6 % và 1,250,000 đồng"),  # both good Vietnamese
])
def test_a_full_stop_read_as_a_comma_is_written_as_the_page_shows(font_file, text, read_as):
    grey, quad = line(text, text, font_file)
    assert settle_punctuation(grey, quad, reading_of(text, read_as, font_file)).text == text
    assert settle_punctuation(grey, quad, reading_of(text, text, font_file)).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
def test_leaders_ellipses_and_blank_gaps_are_left_as_read(font_file):
    text = "Dân tộc Kinh ..... và … hết"
    grey, quad = line(text, text, font_file)
    odd = "Dân tộc Kinh ,.... và … hết"  # a leader's first dot: not judged
    assert settle_punctuation(grey, quad, reading_of(text, odd, font_file)).text == odd
    font = ImageFont.truetype(str(installed_font(font_file)), SIZE)
    between = 20 + font.getlength("Dân tộc") + font.getlength(" ") / 2
    assert mark_at(grey, quad, between) is None  # nothing there but paper


@pytest.mark.parametrize("shrink", [1, 2, 3])
def test_an_italic_comma_is_never_made_a_full_stop(shrink):
    """Shrunk to 200 dpi an italic comma is hardly taller than wide and hardly below the
    baseline ("(Ký, ghi rõ họ tên)" on `dev` forms): where the page cannot settle it, the
    reader's comma stands."""
    text = "(Ký, ghi rõ họ tên)"
    grey, quad, reading = shrunk(text, text, "LiberationSans-Italic.ttf", shrink)
    assert settle_punctuation(grey, quad, reading).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
def test_a_single_quote_read_as_a_double_one_is_written_as_the_page_shows(font_file, shrink):
    """The reader never wrote "'" (unseen prose: 17 of them, all read '"')."""
    text = "đặt nhánh 'chính' như là"
    grey, quad, reading = shrunk(text, text.replace("'", '"'), font_file, shrink)
    assert settle_punctuation(grey, quad, reading).text == text
    opening = reading.chars[text.index("'")]
    assert quote_at(grey, quad, (opening.x0 + opening.x1) / 2) == "'"
    grey, quad, reading = shrunk('nhánh "chính"', 'nhánh "chính"', font_file, shrink)
    opening = reading.chars[len("nhánh ")]
    assert quote_at(grey, quad, (opening.x0 + opening.x1) / 2) == '"'


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
def test_a_full_stop_blurred_taller_than_wide_is_still_one(font_file):
    """A scan's blur draws a 200 dpi dot out to 3 x 5 pixels (unseen prose: "định, yêu" for
    "định. yêu", its dot 1.33 times as tall as wide, sitting on the baseline)."""
    text = "là quá cũ. thiếu ghi chú"
    grey, quad, reading = shrunk(text, text.replace(". ", ", "), font_file, 2)
    blurred = np.ascontiguousarray(cv2.GaussianBlur(grey, (1, 3), 0, sigmaY=1))
    assert settle_punctuation(blurred, quad, reading).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf",
                                       "LiberationSans-Regular.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
def test_a_hyphen_beside_a_full_stop_is_no_second_mark(font_file, shrink):
    """A hyphen half a box height from the mark floats above the baseline: it is no comma or
    full stop (unseen prose: "hỗ trợ, --no-isolation" for "hỗ trợ. --no-isolation")."""
    text = "không được hỗ trợ. --no-isolation"
    grey, quad, reading = shrunk(text, text.replace(". ", ", "), font_file, shrink)
    assert settle_punctuation(grey, quad, reading).text == text
    # the reader's place for its mark can lie right of the dot, as near the hyphen
    between = (reading.chars[text.index(". ")].x0 + reading.chars[text.index("--")].x1) / 2
    assert mark_at(grey, quad, between) == "."


@pytest.mark.parametrize("font_file", ["NotoSerifDisplay-Regular.ttf", "NotoSerifDisplay-Bold.ttf"])
def test_a_comma_too_small_to_tell_from_a_full_stop_stays_as_read(font_file):
    """On a 14-pixel line blurred sideways a short comma and a full stop both come out 3 x 2
    pixels: the page cannot tell them apart, and the reader's comma stands."""
    text = "(Ký, ghi rõ họ tên) và Hà Nội, ngày 5"
    grey, quad, reading = shrunk(text, text, font_file, 3)
    wide = np.ascontiguousarray(cv2.GaussianBlur(grey, (3, 1), sigmaX=1, sigmaY=0))
    assert settle_punctuation(wide, quad, reading).text == text


def test_a_full_stop_blurred_wider_than_tall_is_still_one():
    """At 150 dpi a photocopy's blur draws a dot out to 4 or 5 x 3 pixels (unseen prose: "dạng,
    thứ" for "dạng. thứ"). A comma, spread the same way, stays one."""
    text = "là quá cũ. thiếu, ghi chú"
    grey, quad, reading = shrunk(text, text.replace(". ", ", "), "DejaVuSans.ttf", 1)
    wide = cv2.erode(grey, np.ones((1, 5), np.uint8))  # ink spread sideways: the dot 8 x 5
    assert settle_punctuation(wide, quad, reading).text == text


def _read_twice(reading, index: int, first: str, second: str):
    """``reading`` with the mark at ``index`` read as two marks, each over half of its ink."""
    hit = reading.chars[index]
    middle = (hit.x0 + hit.x1) / 2
    halves = [replace(hit, char=first, x1=middle), replace(hit, char=second, x0=middle)]
    return make_reading([*reading.chars[:index], *halves, *reading.chars[index + 1:]])


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])  # at 3 (a 13-pixel line) a dot is a pixel or two
@pytest.mark.parametrize("text, mark, pair", [
    ("bộ nhớ tạm. đây là", ".", ",."),  # unseen prose: "tạm,. đây", "đa,. tiến", "nhở., không"
    ("quá nhỏ. Không thể", ".", ".,"),
    ("thư mục, cần đẩy", ",", ",,"),
    ("ở cuối dòng là chấm.", ".", ",."),
])
def test_one_mark_read_as_two_is_written_once(font_file, shrink, text, mark, pair):
    grey, quad, reading = shrunk(text, text, font_file, shrink)
    doubled = _read_twice(reading, text.index(mark), *pair)
    assert doubled.text == text.replace(mark, pair, 1)
    assert settle_punctuation(grey, quad, doubled).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
def test_two_marks_on_the_page_stay_two(font_file, shrink):
    text = "giấy tờ v.v., hồ sơ"
    grey, quad, reading = shrunk(text, text, font_file, shrink)
    assert settle_punctuation(grey, quad, reading).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf",
                                       "LiberationSans-Italic.ttf"])
@pytest.mark.parametrize("shrink", [1, 2, 3])
def test_a_double_quote_is_never_made_a_single_one(font_file, shrink):
    text = 'Bà hỏi: "Ai nộp hồ sơ?" rồi đi'
    grey, quad, reading = shrunk(text, text, font_file, shrink)
    assert settle_punctuation(grey, quad, reading).text == text
    grey, quad, reading = shrunk(text, text.replace('"', "'"), font_file, shrink)
    settled = settle_punctuation(grey, quad, reading).text
    assert settled.replace("'", '"') == text  # quotes only, and only to what the page shows
    if shrink == 1 and "Italic" not in font_file:
        assert settled == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf",
                                       "LiberationSans-Italic.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
@pytest.mark.parametrize("text", ['cho hàm đa hình "chính". Bàn', '(dùng "git am) và',
                                  'Bà hỏi: "Ai nộp?" rồi', 'theo ("mẫu") và "x"'])
def test_the_space_before_an_opening_quote_is_put_back_only_where_the_page_has_one(
        font_file, shrink, text):
    """Unseen prose: 'hình "%s"' read 'hình"%s"' (3 of 32 opening quotes). A quote glued to a
    bracket, or a closing quote, gets no space."""
    glued = text.replace(' "', '"')
    grey, quad, read_right = shrunk(text, text, font_file, shrink)
    # the reader's glued reading, its hits where the page has them
    reading = make_reading([hit for i, hit in enumerate(read_right.chars)
                            if not (text[i] == " " and text[i + 1 : i + 2] == '"')])
    assert reading.text == glued
    assert settle_punctuation(grey, quad, reading).text == text
    assert settle_punctuation(grey, quad, read_right).text == text
    for index, char in enumerate(text):
        if char == '"' and text[index - 1] == "(":
            hit = read_right.chars[index]
            assert gap_before_quote(grey, quad, (hit.x0 + hit.x1) / 2) < SPACE_GAP
