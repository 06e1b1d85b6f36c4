"""The tone judge: which vowels it looks at, where it cuts them, when it overrules the reader."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from ocr_service.lexicon.syllables import Tone
from ocr_service.pipeline.ocr.recognize import CharHit, LineReading, make_reading
from ocr_service.pipeline.ocr.tones import (
    CROP_HEIGHT, CROP_WIDTH, TONES, ToneJudge, split_tone, tone_crop, toned, vowels_to_check,
)


@pytest.mark.parametrize(("char", "expected"), [
    ("ổ", ("ô", 3)), ("ố", ("ô", 2)), ("Ủ", ("U", 3)), ("a", ("a", 0)), ("ặ", ("ă", 5)),
    ("ữ", ("ư", 4)), ("Ỳ", ("Y", 1)), ("đ", None), ("1", None), (" ", None), ("b", None),
])
def test_split_tone_names_the_letter_and_its_tone(char, expected):
    assert split_tone(char) == expected


def test_the_six_classes_are_the_six_tones_in_a_fixed_order():
    # The trained model's output order: a literal, not the code's own table.
    assert [toned("a", t) for t in range(6)] == ["a", "à", "á", "ả", "ã", "ạ"]
    assert TONES[0] is Tone.NGANG


def test_toned_keeps_the_other_marks_and_is_nfc():
    for base, tone, expected in (("ô", 2, "ố"), ("ê", 3, "ể"), ("Ư", 4, "Ữ"), ("ă", 5, "ặ")):
        out = toned(base, tone)
        assert out == expected and unicodedata.is_normalized("NFC", out)


def test_the_crop_is_centred_on_the_letter_and_pads_outside_the_page_with_paper():
    grey = np.full((100, 300), 250, np.uint8)
    grey[40:60, 145:155] = 10  # a "letter" at x 145..155, in a line box y 35..65
    crop = tone_crop(grey, (100.0, 35.0, 200.0, 65.0), centre=150.0)
    assert crop.shape == (CROP_HEIGHT, CROP_WIDTH) and crop.dtype == np.float32
    columns = np.flatnonzero(crop.max(axis=0) > 0.5)
    assert abs((columns[0] + columns[-1]) / 2 - (CROP_WIDTH - 1) / 2) <= 1.5
    assert crop[:, :5].max() < 0.1  # paper beside the letter
    edge = tone_crop(grey, (0.0, 0.0, 50.0, 30.0), centre=2.0)  # half of it off the page
    assert edge.shape == (CROP_HEIGHT, CROP_WIDTH) and edge.max() < 0.1


def _reading(text: str, probs: list[float]) -> LineReading:
    return make_reading([CharHit(c, p, 10.0 * i, 10.0 * i + 5)
                         for i, (c, p) in enumerate(zip(text, probs))])


def test_unsure_vowels_and_every_circumflex_with_acute_or_hook_are_checked():
    reading = _reading("đổi bé", [0.99, 0.6, 0.99, 0.99, 0.99, 0.97])
    assert vowels_to_check(reading, 0.98) == [(1, "ô", 3), (5, "e", 2)]
    sure = _reading("Cống kề cả Ể", [0.999] * 12)
    assert vowels_to_check(sure, 0.98) == [(1, "ô", 2), (11, "Ê", 3)]


class FakeSession:
    """Hands out the probabilities given, one row per crop, and counts the crops it saw."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = np.array(rows, np.float32)
        self.seen = 0

    def run(self, outputs, feeds):
        x = feeds["x"]
        assert outputs == ["prob"] and x.shape[1:] == (1, CROP_HEIGHT, CROP_WIDTH)
        out = self.rows[self.seen : self.seen + len(x)]
        self.seen += len(x)
        return [out]


def _sure(tone: int, p: float) -> list[float]:
    row = [(1 - p) / 5] * 6
    row[tone] = p
    return row


def test_the_judge_replaces_a_tone_only_when_it_is_sure():
    grey = np.full((60, 200), 255, np.uint8)
    quads = [((0.0, 10.0), (200.0, 10.0), (200.0, 40.0), (0.0, 40.0))]
    reading = _reading("đổi kể", [0.99, 0.6, 0.99, 0.99, 0.99, 0.7])
    session = FakeSession([_sure(2, 0.97), _sure(2, 0.7)])  # ổ -> ố sure; ể -> ế unsure
    [judged] = ToneJudge(session, check_below=0.98, sure=0.9).settle(grey, quads, [reading])
    assert judged.text == "đối kể"
    assert session.seen == 2
    assert [h.x0 for h in judged.chars] == [h.x0 for h in reading.chars]


def test_the_judge_agreeing_with_the_reader_changes_nothing():
    grey = np.full((60, 200), 255, np.uint8)
    quads = [((0.0, 10.0), (200.0, 10.0), (200.0, 40.0), (0.0, 40.0))]
    reading = _reading("Uy ban", [0.5, 0.99, 0.99, 0.99, 0.99, 0.99])
    [kept] = ToneJudge(FakeSession([_sure(0, 0.99)]), 0.98, 0.9).settle(grey, quads, [reading])
    assert kept == reading
    [mended] = ToneJudge(FakeSession([_sure(3, 0.99)]), 0.98, 0.9).settle(grey, quads, [reading])
    assert mended.text == "Ủy ban"


@pytest.mark.parametrize(("confirm", "expected"), [(0, "Hưu tri"), (2, "Hưu trí")])
def test_taking_a_tone_away_needs_a_second_crop_to_the_right_to_see_no_mark(confirm, expected):
    grey = np.full((60, 200), 255, np.uint8)
    quads = [((0.0, 10.0), (200.0, 10.0), (200.0, 40.0), (0.0, 40.0))]
    reading = _reading("Hưu trí", [0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.9])
    session = FakeSession([_sure(0, 0.99), _sure(confirm, 0.99)])
    [judged] = ToneJudge(session, check_below=0.98, sure=0.9).settle(grey, quads, [reading])
    assert judged.text == expected
    assert session.seen == 2
