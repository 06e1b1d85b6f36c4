"""Line-final full stops are read from the page when the recognizer leaves them out, and never
made out of a leader's dots, a comma or the dot under a letter."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.pipeline.ocr.stops import (
    ends_with_full_stop, ends_with_leader, restore_full_stop, settle_full_stop,
)
from sohoa_dev.synth.render import installed_font

SIZE = 40  # pixels: 12 pt at 240 dpi


def line(text: str, box_text: str, font_file: str = "LiberationSerif-Regular.ttf"
         ) -> tuple[np.ndarray, tuple]:
    """A grey strip with ``text`` drawn, and the detector-like box of its first ``box_text``
    characters (ink-tight, its right edge cut into the last mark by a pixel)."""
    path = installed_font(font_file)
    if path is None:
        pytest.skip(f"{font_file} not installed")
    font = ImageFont.truetype(str(path), SIZE)
    image = Image.new("L", (1400, 3 * SIZE), 255)
    draw = ImageDraw.Draw(image)
    draw.text((20, 2 * SIZE), text, font=font, fill=0, anchor="ls")
    x0, y0, x1, y1 = draw.textbbox((20, 2 * SIZE), box_text, font=font, anchor="ls")
    top = 2 * SIZE - SIZE * 0.8
    quad = ((x0, top), (x1 - 1, top), (x1 - 1, y1), (x0, y1))
    return np.asarray(image), quad


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
