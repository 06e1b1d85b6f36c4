"""The tone judge: which vowels it looks at, where it cuts them, when it overrules the reader."""

from __future__ import annotations

import unicodedata
from types import SimpleNamespace

import numpy as np
import pytest

from ocr_service.lexicon.syllables import Tone
from ocr_service.pipeline.ocr.recognize import CharHit, LineReading, make_reading
from ocr_service.pipeline.ocr.tones import (
    CROP_HEIGHT, CROP_WIDTH, TONES, ToneJudge, keeps_syllables, marks_of, paper_shade, split_mark,
    split_tone, tone_crop, toned, vowels_to_check, with_mark,
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


def test_paper_shade_is_numpys_90th_percentile():
    rng = np.random.default_rng(7)
    for size in (1, 2, 10, 11, 3072):
        for values in (rng.integers(0, 256, size).astype(np.uint8),
                       rng.random(size).astype(np.float32)):
            assert paper_shade(values) == np.percentile(values, 90)


def _reading(text: str, probs: list[float]) -> LineReading:
    return make_reading([CharHit(c, p, 10.0 * i, 10.0 * i + 5)
                         for i, (c, p) in enumerate(zip(text, probs))])


def test_unsure_vowels_and_every_circumflex_with_acute_hook_or_no_tone_are_checked():
    reading = _reading("đổi bé", [0.99, 0.6, 0.99, 0.99, 0.99, 0.97])
    assert vowels_to_check(reading, 0.98) == [(1, "ô", 3), (5, "e", 2)]
    sure = _reading("Cống kề cả Ể dân", [0.999] * 16)
    assert vowels_to_check(sure, 0.98) == [(1, "ô", 2), (11, "Ê", 3), (14, "â", 0)]
    assert vowels_to_check(_reading("dẫn gậy", [0.999] * 7), 0.98) == []  # tilde, dot below


def test_capital_vowels_and_breves_are_checked_even_when_the_reader_is_sure():
    sure = _reading("MÂU Ngay băng", [0.999] * 13)
    assert vowels_to_check(sure, 0.98) == [(1, "Â", 0), (2, "U", 0), (10, "ă", 0)]


@pytest.mark.parametrize(("text", "changes", "kept"), [
    ("đội ngũ", {2: "ị"}, {}),  # one syllable, one tone: "độị" is no word
    ("thế", {2: "ể"}, {2: "ể"}),
    ("MÂU", {1: "Ẫ"}, {1: "Ẫ"}),
    ("qwerty độ", {2: "ẻ", 8: "ố"}, {2: "ẻ", 8: "ố"}),  # "qwerty" was none before
    ("hoà bình", {1: "ò", 5: "í"}, {5: "í"}),  # "hòà" is no syllable, "bính" is
])
def test_a_change_never_turns_a_syllable_into_no_syllable(text, changes, kept):
    assert keeps_syllables(_reading(text, [0.9] * len(text)), changes) == kept


def test_the_judge_leaves_a_syllable_that_its_change_would_spoil():
    grey = np.full((60, 200), 255, np.uint8)
    quads = [((0.0, 10.0), (200.0, 10.0), (200.0, 40.0), (0.0, 40.0))]
    reading = _reading("đội", [0.99, 0.99, 0.6])
    [judged] = ToneJudge(FakeSession([_sure(5, 0.99)]), 0.98, 0.9).settle(grey, quads, [reading])
    assert judged.text == "đội"


class FakeSession:
    """Hands out the probabilities given, one row per crop (tones, and letter marks when
    ``marks`` are given), and counts the crops it saw."""

    def __init__(self, rows: list[list[float]], marks: list[list[float]] | None = None) -> None:
        self.rows = np.array(rows, np.float32)
        self.marks = None if marks is None else np.array(marks, np.float32)
        self.seen = 0

    def get_outputs(self):
        names = ["prob"] if self.marks is None else ["prob", "mark"]
        return [SimpleNamespace(name=name) for name in names]

    def run(self, outputs, feeds):
        x = feeds["x"]
        assert outputs == [o.name for o in self.get_outputs()]
        assert x.shape[1:] == (1, CROP_HEIGHT, CROP_WIDTH)
        window = slice(self.seen, self.seen + len(x))
        self.seen += len(x)
        return [self.rows[window]] + ([] if self.marks is None else [self.marks[window]])


def _sure(tone: int, p: float, classes: int = 6) -> list[float]:
    row = [(1 - p) / (classes - 1)] * classes
    row[tone] = p
    return row


LINE = [((0.0, 10.0), (200.0, 10.0), (200.0, 40.0), (0.0, 40.0))]


@pytest.mark.parametrize(("plain", "marks"), [
    ("a", [0, 1, 2]), ("E", [0, 2]), ("i", [0]), ("o", [0, 2, 3]), ("u", [0, 3]), ("y", [0]),
])
def test_each_vowel_takes_only_its_own_letter_marks(plain, marks):
    assert marks_of(plain) == marks
    # The model's mark classes, in its output order: a literal, not the code's own table.
    assert [with_mark(plain.lower(), m) for m in marks] == [
        {"a": ["a", "ă", "â"], "e": ["e", "ê"], "o": ["o", "ô", "ơ"], "u": ["u", "ư"]}.get(
            plain.lower(), [plain.lower()])[i] for i in range(len(marks))]
    assert split_mark(with_mark(plain, marks[-1])) == (plain, marks[-1])


def test_the_judge_mends_a_letter_mark_the_reader_lost_keeping_the_tone():
    grey = np.full((60, 200), 255, np.uint8)
    reading = _reading("TẠP", [0.999, 0.999, 0.999])  # a capital: always looked at
    session = FakeSession([_sure(5, 0.99)], marks=[_sure(2, 0.95, 4)])  # nặng, circumflex
    [judged] = ToneJudge.of_session(session, 0.98, 0.9).settle(grey, LINE, [reading])
    assert judged.text == "TẬP"


def test_a_mark_the_letter_cannot_take_is_never_chosen_and_an_old_model_names_none():
    grey = np.full((60, 200), 255, np.uint8)
    reading = _reading("thể", [0.999, 0.999, 0.5])
    breve = [0.02, 0.9, 0.08, 0.0]  # "ê" can't take a breve: of none/circumflex, circumflex
    session = FakeSession([_sure(3, 0.99)], marks=[breve])
    [judged] = ToneJudge.of_session(session, 0.98, 0.4).settle(grey, LINE, [reading])
    assert judged.text == "thể"
    [old] = ToneJudge.of_session(FakeSession([_sure(3, 0.99)]), 0.98, 0.9).settle(
        grey, LINE, [_reading("TẠP", [0.999] * 3)])
    assert old.text == "TẠP"


@pytest.mark.parametrize(("confirm", "expected"), [(0, "dan"), (2, "dân")])
def test_taking_a_letter_mark_away_needs_the_second_crop_too(confirm, expected):
    grey = np.full((60, 200), 255, np.uint8)
    reading = _reading("dân", [0.99, 0.6, 0.99])
    session = FakeSession([_sure(0, 0.99), _sure(0, 0.99)],
                          marks=[_sure(0, 0.99, 4), _sure(confirm, 0.99, 4)])
    [judged] = ToneJudge.of_session(session, 0.98, 0.9).settle(grey, LINE, [reading])
    assert judged.text == expected and session.seen == 2


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
