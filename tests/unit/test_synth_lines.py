"""Training lines: reproducible, split by seed, in the recognizer's charset, box on its ink."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest

from sohoa_dev.synth.corpus import VIETNAMESE_LETTERS
from sohoa_dev.synth.lines import (
    COVERAGE_CHARS,
    DEGRADATIONS,
    DPI_RANGE,
    HUNSPELL_VI,
    LINE_CHARS,
    MAX_ASPECT,
    LineSample,
    check_line_text,
    covers,
    dictionary_words,
    line_sample,
    line_text,
    split_of,
    vietnamese_fonts,
)
from sohoa_dev.synth.render import FONT_ROOTS, missing_chars

SEEDS = range(200)


@pytest.fixture(scope="module")
def samples() -> list[LineSample]:
    return [line_sample(seed) for seed in SEEDS]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rng = random.Random(5)
    return [line_text(rng) for _ in range(3000)]


def _box_mask(sample: LineSample) -> np.ndarray:
    mask = np.zeros(sample.image.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(np.array(sample.box)).astype(np.int32)], 1)
    return mask.astype(bool)


def test_same_seed_gives_identical_sample(samples) -> None:
    again = line_sample(17)
    first = samples[17]
    assert again.image.tobytes() == first.image.tobytes()
    assert again.image.shape == first.image.shape
    assert (again.text, again.box, again.font, again.face, again.dpi, again.degradation) == (
        first.text, first.box, first.font, first.face, first.dpi, first.degradation)
    assert len({s.text for s in samples}) > 190


def test_split_holds_out_one_seed_in_ten() -> None:
    seeds = range(-50, 10_000)
    heldout = {seed for seed in seeds if split_of(seed) == "heldout"}
    train = {seed for seed in seeds if split_of(seed) == "train"}
    assert heldout.isdisjoint(train) and heldout | train == set(seeds)
    assert sum(1 for seed in range(10_000) if seed in heldout) == 1000
    assert split_of(9) == split_of(12_349) == "heldout" and split_of(0) == split_of(10) == "train"


def test_samples_are_grey_strips_with_their_fields(samples) -> None:
    for sample in samples:
        assert sample.image.dtype == np.uint8 and sample.image.ndim == 2
        assert DPI_RANGE[0] <= sample.dpi <= DPI_RANGE[1]
        assert sample.face in ("regular", "bold", "italic", "bold italic")
        assert sample.font and sample.seed in SEEDS
    assert {s.degradation for s in samples} == set(DEGRADATIONS)
    assert {s.face for s in samples} >= {"regular", "bold", "italic"}


def test_texts_are_nfc_and_in_the_charset(samples, texts) -> None:
    for text in [s.text for s in samples] + texts:
        assert check_line_text(text) == text
        assert unicodedata.is_normalized("NFC", text) and set(text) <= LINE_CHARS
        assert text == text.strip() and "  " not in text


def test_text_mix_covers_the_kinds_of_line(texts) -> None:
    def some(pattern: str) -> bool:
        return any(re.search(pattern, text) for text in texts)

    assert some(r"(?<!\d)\d{12}(?!\d)")  # ID numbers
    assert some(r"\b\d{2}/\d{2}/\d{4}\b")  # dd/mm/yyyy
    assert some(r"ngày \d{2} tháng \d{1,2} năm \d{4}")
    assert some(r"^0\d{9}$|^0\d{3} \d{3} \d{3}$")  # phone numbers
    assert some(r"Họ, chữ đệm.*tên:") and some(r": \.{5,}") and some("……")
    assert some(r"^(\d+\.|[a-zđ]\)|[IVX]+\.|Điều \d+\.) ")  # numbered headings
    assert some(r"^[^a-zà-ỹđ]*[A-ZĐ][^a-zà-ỹđ]{5,}$")  # ALL CAPS lines
    assert some(r"^[a-zà-ỹđ ]+$")  # all lower case
    assert some(r'^"') and some(r'[.?!]"$')  # direct speech: the reader must learn the quotes
    assert some(r"\?") and some("!")
    assert some(r"(^|: )[a-z]+[._-][a-z]+[\w.-]*@[a-z]+(\.[a-z]+)+$")  # e-mails, dots between names
    assert some(r"(phường|xã) .*, (tỉnh|thành phố) ")  # addresses in the 2025 units
    # letters no Vietnamese word spells, in foreign words and units, in every case
    for letter in "fjwzFJWZ":
        assert sum(text.count(letter) for text in texts) >= 20, letter
    assert some(r"\b(kW|kWh|MW|GWh|Wi-Fi)\b")


def test_box_is_inside_the_strip_on_dark_ink(samples) -> None:
    for sample in samples:
        height, width = sample.image.shape
        for x, y in sample.box:
            assert 0 <= x <= width - 1 and 0 <= y <= height - 1
        inside = sample.image[_box_mask(sample)]
        paper = float(np.median(sample.image))
        assert inside.size and paper - float(np.percentile(inside, 1)) > 40, sample.seed


def test_box_is_at_most_thirty_times_wider_than_high(samples) -> None:
    for sample in samples:
        top_left, top_right, _, bottom_left = (np.array(p) for p in sample.box)
        width = np.linalg.norm(top_right - top_left)
        height = np.linalg.norm(bottom_left - top_left)
        assert width / height <= MAX_ASPECT * 1.01, (sample.seed, sample.text)


def test_neighbouring_lines_are_drawn(samples) -> None:
    """Most strips have ink above or below the target's box: the lines of the page around it."""
    with_neighbours = 0
    for sample in samples:
        ys = [y for _, y in sample.box]
        top, bottom = max(0, int(min(ys)) - 2), int(max(ys)) + 3
        outside = np.concatenate([sample.image[:top].ravel(), sample.image[bottom:].ravel()])
        paper = float(np.median(sample.image))
        with_neighbours += bool(outside.size) and paper - float(outside.min()) > 60
    assert with_neighbours > 0.6 * len(samples)


def test_fonts_all_cover_vietnamese() -> None:
    fonts = vietnamese_fonts()
    assert fonts and fonts == tuple(sorted(fonts))
    for path in fonts:
        assert not missing_chars(path, COVERAGE_CHARS), path
    installed = sorted(p for root in FONT_ROOTS if root.is_dir() for p in root.rglob("*.[ot]tf"))
    lacking = [p for p in installed if missing_chars(p, "ệĐư")]
    assert not set(lacking) & set(fonts)  # e.g. the Noto fonts of other scripts


def test_coverage_check_rejects_a_missing_character() -> None:
    path = vietnamese_fonts()[0]
    assert covers(path, "aệĐ")
    assert not covers(path, "aệĐ\U0010fffd")  # a code point no font maps


def test_word_list_and_its_fallback() -> None:
    fallback = dictionary_words(Path("/nonexistent/vi_VN.dic"))
    assert len(fallback) > 100 and all(set(w) <= VIETNAMESE_LETTERS for w in fallback)
    if HUNSPELL_VI.is_file():
        words = dictionary_words()
        assert len(words) > 5000 and "nghiệp" in words and not any("/" in w for w in words)
        assert all(unicodedata.is_normalized("NFC", w) for w in words)
