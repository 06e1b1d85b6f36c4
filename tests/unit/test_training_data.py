"""Training data for the fast reader: labels, box matching, margins, and inputs built exactly
like the service's (the trainer itself needs torch, which the service and CI do not install)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ocr_service.pipeline.ocr.recognize import bounds  # noqa: E402
from sohoa_dev.synth.lines import line_sample, split_of  # noqa: E402
from training.data import (  # noqa: E402
    ADDED_CHARS, Encoder, as_detected, form_lines, generated_lines, grow, match_lines,
    reader_and_encoder, training_charset,
)
from training.publish import _without  # noqa: E402


def box(x0: float, y0: float, x1: float, y1: float):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def test_labels_are_charset_indices_and_unknown_characters_refuse_the_line():
    encoder = Encoder(list("abcđ .ố"))
    assert encoder.encode("ab  c") == (1, 2, 5, 3)
    assert encoder.encode("a…") == (1, 6, 6, 6)  # "…" is learnt as the three dots it looks like
    assert encoder.encode("ab€") is None
    assert encoder.decode([4, 7]) == "đố"


def test_quotes_and_question_marks_are_classes_appended_after_trueocrs():
    """TrueOCR's classes keep their indices (its weights stay meaningful); the added ones follow."""
    assert ADDED_CHARS == ('"', "?", "!")
    assert training_charset(["a", "“", "?"]) == ["a", "“", "?", '"', "!"]
    _, encoder = reader_and_encoder()
    base = encoder.charset[: -len(ADDED_CHARS)]
    assert encoder.charset[-3:] == ['"', "?", "!"] and not set(ADDED_CHARS) & set(base)
    assert encoder.encode('"Ai?"') is not None and encoder.encode("Ồ!") is not None


def test_a_detected_box_is_kept_only_when_it_matches_exactly_one_true_line():
    truth = [("Họ và tên", box(0, 0, 100, 20)), ("Nơi cư trú", box(0, 30, 100, 50))]
    detected = [box(1, 1, 99, 21), box(0, 0, 100, 50), box(200, 0, 300, 20)]
    assert match_lines(detected, truth) == [(detected[0], "Họ và tên")]


def test_a_box_that_stops_short_of_its_line_is_not_given_the_whole_line_as_label():
    truth = [("Họ và tên: ĐOÀN XUÂN ĐẠT ......", box(0, 0, 100, 20))]
    assert match_lines([box(0, 0, 80, 20)], truth) == []  # IoU 0.8, but a fifth of the line is missing
    assert match_lines([box(2, 0, 104, 21)], truth) == [(box(2, 0, 104, 21), truth[0][0])]


def test_a_tilted_line_ending_in_a_leader_is_cut_before_its_dots():
    """A skewed form page: the cut is found on the straightened line and put back on its quad."""
    page = np.full((200, 600), 255, np.uint8)
    cv2.rectangle(page, (20, 40), (200, 80), 0, -1)  # the words: ink up to the line's top
    for x in range(230, 560, 15):  # the leader: dots at the line's foot
        cv2.rectangle(page, (x, 73), (x + 4, 78), 0, -1)
    turn = cv2.getRotationMatrix2D((300, 100), 1.0, 1.0)
    tilted = cv2.warpAffine(page, turn, (600, 200), borderValue=255)
    line = [(10, 35), (570, 35), (570, 85), (10, 85)]
    quad = tuple(tuple(map(float, turn @ (x, y, 1))) for x, y in line)
    cut = as_detected(tilted, quad, "Nam ..........")
    assert cut is not None and cut[1] == "Nam"
    back = cv2.invertAffineTransform(turn)
    right = [float((back @ (x, y, 1))[0]) for x, y in cut[0][1:3]]
    assert all(200 < x < 230 for x in right), right  # after the words, before the first dot


def test_form_lines_are_labelled_as_the_detector_cuts_them():
    reader, encoder = reader_and_encoder()
    samples = list(form_lines(range(2, 3), reader, encoder))  # seed 2: a CT01 declaration
    texts = [sample.text for sample in samples]
    assert {sample.source.split(":")[0] for sample in samples} == {"form"}
    assert "3. Giới tính: Nam" in texts  # "3. Giới tính: Nam ......" on the page
    assert not [text for text in texts if "..." in text or "…" in text]


def test_grown_boxes_stay_within_the_measured_detector_margins():
    rng = random.Random(0)
    for _ in range(200):
        x0, y0, x1, y1 = bounds(grow(box(100, 100, 400, 120), rng))
        assert 100 - 0.09 * 20 <= x0 <= 100 and 100 - 0.11 * 20 <= y0 <= 100 + 0.03 * 20
        assert 400 - 0.07 * 20 <= x1 <= 400 + 0.03 * 20 and 120 - 0.07 * 20 <= y1 <= 120 + 0.03 * 20


def test_samples_are_the_service_input_and_splits_never_mix():
    reader, encoder = reader_and_encoder()
    train = list(generated_lines(range(0, 12), reader, encoder))
    held = list(generated_lines(range(0, 40), reader, encoder, "heldout"))
    assert train and held
    assert {int(s.source.split(":")[1]) % 10 for s in held} == {9}
    assert all(split_of(int(s.source.split(":")[1])) == "train" for s in train)
    sample = train[0]
    seed = int(sample.source.split(":")[1])
    line = line_sample(seed)
    [piece] = reader.pieces(line.image, [grow(line.box, random.Random(f"grow:{seed}"))])
    assert np.array_equal(sample.ink, np.rint(piece.pixels * 255).astype(np.uint8))
    assert encoder.decode(list(sample.label)) == " ".join(sample.text.replace("…", "...").split())


def test_publishing_replaces_only_our_manifest_entries():
    text = ("models:\n  - name: a\n    file: a.onnx\n  - name: sohoa-rec-vi\n    file: old\n"
            "  - name: b\n    file: b.onnx\n")
    assert _without(text, {"sohoa-rec-vi"}) == (
        "models:\n  - name: a\n    file: a.onnx\n  - name: b\n    file: b.onnx\n")


def test_tone_samples_pair_each_read_vowel_with_its_true_tone():
    """A vowel read with the wrong tone or letter mark still meets its true letter (marks left
    out of the alignment), and its crop is cut where the reader placed it."""
    from ocr_service.pipeline.ocr.recognize import CharHit, make_reading
    from training.tones_data import vowels

    grey = np.full((60, 400), 255, np.uint8)
    grey[20:40, 102:110] = 0  # ink only under the third letter's position
    hits = [CharHit(c, p, 10.0 * i + 80, 10.0 * i + 84) for i, (c, p) in
            enumerate(zip("đổi Uy tạp", [0.99, 0.6, 0.99, 0.99, 0.7, 0.99, 0.99, 0.99, 0.8, 1]))]
    rows = vowels(make_reading(hits), grey, box(75, 15, 180, 45), "đối Ủy tập")
    assert [(r.tone, r.read) for r in rows] == [(2, 3), (0, 0), (3, 0), (0, 0), (5, 5)]
    # letter marks (none, breve, circumflex, horn) and families (a e i o u y): "ạ" is "ậ"
    assert [(r.mark, r.read_mark, r.family) for r in rows] == [
        (2, 2, 3), (0, 0, 2), (0, 0, 4), (0, 0, 5), (2, 0, 0)]
    assert [round(r.prob, 2) for r in rows] == [0.6, 0.99, 0.7, 0.99, 0.8]
    assert rows[0].crop.shape == (64, 48)
    assert rows[1].crop.max() > 0.5 > rows[3].crop.max()  # "i" at x 100..104: the ink; "y" blank
