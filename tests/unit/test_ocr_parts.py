"""The OCR engine's own pre/post-processing, on synthetic inputs (no models needed)."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from ocr_service.errors import ModelError
from ocr_service.pipeline.ocr.base import clean_text
from ocr_service.pipeline.ocr.detect import DetectorParams, boxes_from_probability
from ocr_service.pipeline.ocr.fusion import prefer_reread, reread_uncertain, second_opinion, words
from ocr_service.pipeline.ocr.layout import reading_order
from ocr_service.pipeline.ocr.recognize import (
    CharHit, LineReading, ctc_greedy, cut_points, make_reading, width_batches,
)
from ocr_service.pipeline.ocr.runtime import choose_providers


def box(x0, y0, x1, y1):
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def test_db_postprocess_finds_each_text_region_and_grows_it():
    prob = np.zeros((200, 400), np.float32)
    prob[40:50, 20:300] = 0.9  # a long line
    prob[120:130, 50:120] = 0.8  # a short one
    prob[180:182, 10:12] = 0.9  # a speck, smaller than min_size
    found = boxes_from_probability(prob, DetectorParams(unclip_ratio=1.5))
    assert len(found) == 2
    spans = sorted((c[:, 1].min(), c[:, 1].max(), c[:, 0].min(), c[:, 0].max()) for c, _ in found)
    top, bottom, left, right = spans[0]
    assert top < 40 and bottom > 49 and left < 20 and right > 299  # unclipped beyond the kernel
    assert all(score > 0.7 for _, score in found)


def test_db_postprocess_drops_low_scoring_regions():
    prob = np.zeros((100, 100), np.float32)
    prob[10:30, 10:60] = 0.35  # above the pixel threshold, below the box threshold
    assert boxes_from_probability(prob, DetectorParams()) == []


def test_reading_order_reads_rows_top_down_and_left_to_right():
    quads = [box(300, 100, 500, 130), box(10, 102, 200, 128), box(10, 10, 400, 40), box(10, 200, 90, 230)]
    assert reading_order(quads) == [2, 1, 0, 3]


def test_cut_points_keep_pieces_narrow_and_cut_in_gaps():
    ink = np.ones(2000, int) * 5
    gaps = [450, 451, 452, 453, 900, 901, 902, 1500, 1501]
    ink[gaps] = 0
    cuts = cut_points(ink, 600)
    edges = [0, *cuts, len(ink)]
    assert all(b - a <= 600 for a, b in zip(edges, edges[1:]))
    assert all(ink[c] == 0 for c in cuts)


def test_width_batches_group_similar_widths_only():
    batches = width_batches([100, 1000, 110, 1040, 120, 900], max_batch=8)
    assert sorted(map(sorted, batches)) == [[0, 2, 4], [1, 3, 5]]
    assert all(len(b) <= 2 for b in width_batches([100] * 5, max_batch=2)[:-1])


def test_ctc_greedy_collapses_repeats_and_blanks():
    best = np.array([0, 3, 3, 0, 3, 5, 5, 0])
    prob = np.array([0.9, 0.8, 0.6, 0.9, 0.7, 0.5, 0.9, 0.9])
    assert ctc_greedy(best, prob) == [(3, 0.8, 1), (3, 0.7, 4), (5, 0.5, 5)]


def test_clean_text_is_nfc_and_drops_dot_leaders():
    decomposed = unicodedata.normalize("NFD", "Họ và tên: NGUYỄN VĂN AN ..........  Giới tính: Nữ …… ")
    cleaned = clean_text(decomposed)
    assert cleaned == "Họ và tên: NGUYỄN VĂN AN Giới tính: Nữ"
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_text("1. Mục đích.") == "1. Mục đích."


@pytest.mark.parametrize(("read", "text"), [
    ("6. Dân tộc: Khmer ..", "6. Dân tộc: Khmer"),  # readings of dev form pages
    ("Giấy tờ tùy thân: Căn cước số .", "Giấy tờ tùy thân: Căn cước số"),
    ("Đã chết vào lúc: .. giờ,", "Đã chết vào lúc: giờ,"),
    ("Dân tộc: Kinh.. Quốc tịch: Việt Nam", "Dân tộc: Kinh Quốc tịch: Việt Nam"),
    ("Họ tên: ____ Giới tính: Nam __", "Họ tên: Giới tính: Nam"),
    ("Địa chỉ liên hệ:.. bản", "Địa chỉ liên hệ: bản"),  # glued to the label's colon
    ("Nơi xây dựng:. Xã Đông", "Nơi xây dựng: Xã Đông"),
    ("Kính gửi(1.......", "Kính gửi(1)"),  # ")" lost into the leader
    ("Kính gửi(1)......: Ủy ban", "Kính gửi(1) : Ủy ban"),
    ("đúng sự thật.", "đúng sự thật."),  # a sentence's full stop stays
    ("TP. Hồ Chí Minh, v.v…", "TP. Hồ Chí Minh, v.v…"),
])
def test_leader_remnants_go_and_footnote_calls_close(read, text):
    assert clean_text(read) == text


def _reading(text: str, probs: list[float]) -> LineReading:
    return make_reading([CharHit(c, p, 10.0 * i, 10.0 * i + 10) for i, (c, p) in enumerate(zip(text, probs))])


def test_words_split_on_spaces():
    reading = _reading("hồ  sơ số", [0.9] * 9)
    assert [("".join(h.char for h in reading.chars[a:b])) for a, b in words(reading.chars)] == ["hồ", "sơ", "số"]


class _FakeAccurate:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list = []

    def read(self, image, quads):
        self.asked.extend(quads)
        return [_reading(self.answer, [0.99] * len(self.answer)) for _ in quads]


def test_fusion_rereads_only_uncertain_words_and_keeps_the_rest():
    fast = _reading("hố sơ số", [0.9, 0.4, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95])
    accurate = _FakeAccurate("hồ")
    [fused] = reread_uncertain(np.zeros((50, 200), np.uint8), [box(0, 0, 80, 20)], [fast], accurate, 0.6)
    assert fused.text == "hồ sơ số"
    assert len(accurate.asked) == 1
    x0 = min(p[0] for p in accurate.asked[0])
    x1 = max(p[0] for p in accurate.asked[0])
    assert x0 == 0 and x1 == 20  # from the line's start to the space after the word


def test_fusion_keeps_the_fast_word_when_the_reread_is_no_vietnamese_syllable():
    fast = _reading("hồ sơ", [0.5, 0.9, 0.9, 0.9, 0.9])
    accurate = _FakeAccurate("hòô")  # a fragment no syllable has
    [fused] = reread_uncertain(np.zeros((50, 200), np.uint8), [box(0, 0, 50, 20)], [fast], accurate, 0.6)
    assert fused.text == "hồ sơ" and len(accurate.asked) == 1


def test_prefer_reread_takes_other_marks_only_and_breaks_ties_for_the_accurate_reader():
    assert prefer_reread("hố", "hồ")  # both Vietnamese: the accurate reader is right more often
    assert prefer_reread("hòang", "hoàng")  # a mark no syllable puts there loses
    assert not prefer_reread("hoàng", "hòang")
    assert not prefer_reread("hồ", "")  # an empty re-reading never erases a word
    assert not prefer_reread("sinh:", "sinh :")  # only marks may change, never letters or punctuation
    assert not prefer_reread("12/3", "12/5")


def test_a_second_reader_replaces_only_the_words_it_is_surer_of():
    mine = _reading("ĐOÀN ĐẠ.", [0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.67])
    theirs = _reading("ĐOẢN ĐẠT", [0.99, 0.99, 0.6, 0.99, 0.99, 0.99, 0.9, 0.99])
    assert second_opinion(mine, theirs).text == "ĐOÀN ĐẠT"  # its sure word in, its unsure one not
    assert second_opinion(mine, _reading("ĐOÀN", [0.99] * 4)) is mine  # words do not pair up


def test_fusion_leaves_confident_lines_alone():
    fast = _reading("hồ sơ", [0.9] * 5)
    accurate = _FakeAccurate("x")
    assert reread_uncertain(np.zeros((5, 5), np.uint8), [box(0, 0, 5, 5)], [fast], accurate, 0.6) == [fast]
    assert accurate.asked == []


def test_auto_device_prefers_gpu_providers_and_falls_back_to_cpu():
    assert choose_providers("auto", ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers("auto", ["CUDAExecutionProvider", "CPUExecutionProvider"])[0] == "CUDAExecutionProvider"
    assert choose_providers(
        "auto", ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    ) == ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


def test_a_requested_gpu_that_is_missing_is_an_error_not_a_silent_fallback():
    with pytest.raises(ModelError) as error:
        choose_providers("cuda", ["CPUExecutionProvider"])
    assert "gpu" in error.value.message and "cài" in error.value.message_vi


def test_a_line_cut_into_pieces_is_padded_with_paper_at_the_cut():
    """The padding past a cut would otherwise hold the next word's first letter, which the
    reader read as a mark ("cơ: sở"); the line's own ends keep the page around them."""
    from ocr_service.pipeline.ocr.context import ContextReader, ContextSpec

    grey = np.full((60, 2400), 255, np.uint8)
    for x in range(100, 2300, 10):  # strokes 2 px wide, 8 px apart: a cut is 4 px from ink
        grey[20:40, x : x + 2] = 0
    grey[20:40, 95:97] = 0  # ink just before the line's box, inside its 6 px padding
    reader = ContextReader(None, ContextSpec(charset=["a"], max_width=256, pad_x=0.3))
    pieces = reader.pieces(grey, [((100, 20), (2300, 20), (2300, 40), (100, 40))])
    assert len(pieces) > 1
    for piece in pieces[:-1]:
        pad = int(piece.scale * 0.3 * 20)  # the padding's columns in the model's input
        assert piece.pixels[:, -(pad - 1):].max() == 0.0  # paper past the cut
    for piece in pieces[1:]:
        pad = int(piece.scale * 0.3 * 20)
        assert piece.pixels[:, : pad - 1].max() == 0.0  # and before it
    assert pieces[0].pixels[:, : int(pieces[0].scale * 0.3 * 20) - 1].max() > 0.5


def test_a_grey_page_is_fed_to_the_detector_as_its_colour_copy_would_be():
    import cv2

    from ocr_service.pipeline.ocr.detect import preprocess

    grey = np.random.default_rng(0).integers(0, 256, (700, 500), dtype=np.uint8)
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    assert np.allclose(preprocess([grey], 640), preprocess([colour], 640), atol=1e-6)
