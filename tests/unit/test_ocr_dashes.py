"""Hyphens, slashes and underscores: "--" and "//" the reader wrote once are written twice where
the page shows two, never where it shows one; a lone "_" the page shows no bar for is the word
space it stands in, or the dot the page shows."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr_service.pipeline.ocr.dashes import settle_dashes
from ocr_service.pipeline.ocr.recognize import CharHit, make_reading
from tests.ink_lines import SIZE, line, reading_of, shrunk


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf",
                                       "LiberationSans-Regular.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
@pytest.mark.parametrize("text, twin", [
    ("tùy chọn --context của lệnh", "--"),  # unseen prose: 20 of its "--" read "-"
    ("xem tại https://dichvucong.gov.vn nhé", "//"),
])
def test_a_doubled_hyphen_or_slash_read_once_is_written_twice(font_file, shrink, text, twin):
    """The reader's greedy path has no room for a blank between two narrow marks side by
    side, and writes one."""
    grey, quad, read_right = shrunk(text, text, font_file, shrink)
    once = make_reading([hit for i, hit in enumerate(read_right.chars) if i != text.index(twin)])
    assert once.text == text.replace(twin, twin[0], 1)
    assert settle_dashes(grey, quad, once).text == text
    assert settle_dashes(grey, quad, read_right).text == text


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf",
                                       "LiberationSans-Regular.ttf", "LiberationSans-Italic.ttf",
                                       "LiberationSerif-Italic.ttf"])
@pytest.mark.parametrize("shrink", [1, 2])
@pytest.mark.parametrize("text", ["ngày 12/05/2020, số 33/2020/NĐ-CP", "Bà Rịa - Vũng Tàu",
                                  "mã l1/Il và 1/2 - (x)/y", "tỉnh Hà Nam -- không",
                                  "PL/pgSQL (102/qwerty/dấu phẩy/Phím)"])  # unseen prose
def test_a_single_hyphen_or_slash_is_never_doubled(font_file, shrink, text):
    grey, quad, reading = shrunk(text, text, font_file, shrink)
    assert settle_dashes(grey, quad, reading).text == text


UNDERSCORE_FACES = ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf", "LiberationSans-Regular.ttf",
                    "LiberationSerif-Italic.ttf"]


@pytest.mark.parametrize("font_file", UNDERSCORE_FACES)
@pytest.mark.parametrize("shrink", [1, 2])
@pytest.mark.parametrize("text, read_as, settled", [
    # a justified line's wide word space (unseen prose: "phân _biệt", "rằng _phiên")
    ("thường phân   biệt HOA", "thường phân  _biệt HOA", "thường phân biệt HOA"),
    ("tên COPYING   (Giấy phép)", "tên COPYING  _(Giấy phép)", "tên COPYING (Giấy phép)"),
    # a word's leading dot (".git" read "_git")
    ("tập tin .git bị hỏng", "tập tin _git bị hỏng", "tập tin .git bị hỏng"),
    # a word space read as "_" with no space beside it
    ("(các biến", "(các_biến", "(các biến"),
    ("trong 'git'", "trong_'git'", "trong 'git'"),
])
def test_a_lone_underscore_the_page_shows_no_bar_for_is_a_space_or_a_dot(
        font_file, shrink, text, read_as, settled):
    grey, quad, reading = shrunk(text, read_as, font_file, shrink)
    assert reading.text == " ".join(read_as.split())
    assert settle_dashes(grey, quad, reading).text == settled


@pytest.mark.parametrize("font_file", UNDERSCORE_FACES)
@pytest.mark.parametrize("shrink", [1, 2])
@pytest.mark.parametrize("text", ["biến ten_file và", "ô _ trống", "điền ____ vào đây",
                                  "hàm __init__ và _x", "họ_tên: Nguyễn"])
def test_an_underscore_the_page_shows_is_kept(font_file, shrink, text):
    grey, quad, reading = shrunk(text, text, font_file, shrink)
    assert settle_dashes(grey, quad, reading).text == text


@pytest.mark.parametrize("font_file", UNDERSCORE_FACES)
def test_a_lone_underscore_before_no_word_is_left_to_the_leader_rules(font_file):
    """A blank's rule read in pieces, or faded to nothing on a photocopy: only a "_" before a
    word is judged."""
    text = "Nơi cấp:      và"
    grey, quad, reading = shrunk(text, "Nơi cấp: _ _  và", font_file, 1)
    assert settle_dashes(grey, quad, reading).text == "Nơi cấp: _ _ và"


@pytest.mark.parametrize("depth", [0, 2, 6])
def test_a_lone_underscore_on_a_long_rule_is_kept(depth):
    """A blank printed as a rule runs on far past the reader's one "_" (its middle is many box
    heights away): it is still the bar under that "_", drawn on the baseline or under it."""
    label = "Họ và tên:"
    grey, quad = line(label, label)
    image = Image.fromarray(grey.copy())
    draw = ImageDraw.Draw(image)
    x1 = quad[1][0] + 8
    draw.line((x1, 2 * SIZE + depth, x1 + 15 * SIZE, 2 * SIZE + depth), fill=0, width=2)
    hits = list(reading_of(label, label).chars)
    hits += [CharHit(" ", 0.9, hits[-1].x1, x1), CharHit("_", 0.6, x1 + SIZE, x1 + 1.3 * SIZE)]
    reading = make_reading(hits)
    assert reading.text == "Họ và tên: _"
    assert settle_dashes(np.asarray(image), quad, reading).text == "Họ và tên: _"
