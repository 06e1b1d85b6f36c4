"""The OCR engines end to end on synthetic scans (models from `make models`, no services)."""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np
import pytest

from ocr_service.config import get_settings
from ocr_service.domain import PageImage, PageText
from sohoa_dev.evaluation import cer
from ocr_service.pipeline.ocr import build_engine
from ocr_service.pipeline.ocr.aster import load_vocabulary
from ocr_service.pipeline.ocr.context import ContextSpec
from ocr_service.pipeline.process import read_pages
from sohoa_dev.synth import degrade_page, render_page
from ocr_service.weights import model_path
from tests.one_line import one_line

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
VIETNAMESE_LETTERS = {
    unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES
} | {"đ"}
VIETNAMESE_LETTERS |= {c.upper() for c in VIETNAMESE_LETTERS}


def test_the_letter_set_is_the_full_vietnamese_alphabet():
    assert len(VIETNAMESE_LETTERS) == 146  # 12 vowels x 6 tones x 2 cases + đ Đ


@pytest.mark.parametrize(
    "charset",
    [
        lambda: load_vocabulary(model_path("asternet-vi-vocab")),
        lambda: ContextSpec.from_card(model_path("trueocr-rec-vi-meta")).charset,
        lambda: ContextSpec.from_card(model_path("sohoa-rec-vi-meta")).charset,
    ],
    ids=["asternet", "trueocr", "sohoa"],
)
def test_recognizers_can_write_every_vietnamese_letter(charset):
    missing = VIETNAMESE_LETTERS - set(charset())
    assert not missing, f"recognizer cannot output {sorted(missing)}"


@pytest.fixture(scope="module")
def ppocr():
    return build_engine("ppocr")


@pytest.fixture(scope="module")
def scans():
    """A form (dotted blanks) and a prose page from the dev pool, degraded like office scans."""
    pages = [degrade_page(render_page(seed, "dev", kind, 200), seed) for seed, kind in ((11, "form"), (12, "prose"))]
    return pages


def page_image(image: np.ndarray, number: int = 1, dpi: float = 200) -> PageImage:
    return PageImage(number=number, image=image, dpi=dpi)


@pytest.fixture(scope="module")
def upright(ppocr, scans) -> list[PageText]:
    return read_pages([page_image(p.image, i + 1) for i, p in enumerate(scans)], ppocr)


def test_ppocr_reads_forms_and_prose_accurately(upright, scans):
    for text, page in zip(upright, scans):
        assert cer(text.text, page.text) <= 0.03, (page.kind, text.text)


@pytest.mark.parametrize("seed", [0, 2, 3])  # lines clean-up used to turn by 90° (all text lost)
def test_a_one_line_image_reads_as_its_line(ppocr, seed):
    image, text, dpi = one_line(seed)
    (read,) = read_pages([page_image(image, dpi=dpi)], ppocr)
    assert cer(read.text, text) <= 0.05, (read.text, text)


def test_a_prose_page_keeps_the_full_stops_that_end_its_lines(upright, scans):
    from rapidfuzz import fuzz, process

    reads = [line.text for line in upright[1].lines]
    ending = [text for text, _ in scans[1].lines if text.endswith(".")]
    kept = [process.extractOne(text, reads, scorer=fuzz.ratio)[0].endswith(".") for text in ending]
    assert len(ending) >= 5 and sum(kept) >= 0.8 * len(kept), (ending, reads)


def test_form_pages_keep_no_leader_remnants(upright):
    import re

    for line in upright[0].lines:
        assert not re.search(r"(?<!\S)[.…_]{1,2}(?!\S)|\w\.\.(?!\S)|_", line.text), line.text


def test_ppocr_output_follows_the_engine_contract(upright, scans):
    for text, page in zip(upright, scans):
        assert text.page in (1, 2) and text.lines
        for line in text.lines:
            assert line.text and line.text == line.text.strip()
            assert unicodedata.is_normalized("NFC", line.text)
            assert "..." not in line.text and "……" not in line.text  # dot leaders are not text
            assert 0.0 <= line.confidence <= 1.0
            for x, y in line.box:
                assert 0 <= x <= text.width and 0 <= y <= text.height


def test_dotted_blanks_do_not_swallow_the_words_beside_them(upright, scans):
    form_text, form = upright[0], scans[0]
    labels = [t.split(":")[0] for t, _ in form.lines if ":" in t and "..." in t]
    assert labels, "the sample form should have labelled dotted blanks"
    found = sum(label in form_text.text for label in labels)
    assert found >= 0.9 * len(labels), (labels, form_text.text)


@pytest.mark.parametrize("turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_rotated_page_reads_the_same_as_the_upright_page(ppocr, scans, upright, turn):
    [text] = read_pages([page_image(cv2.rotate(scans[0].image, turn))], ppocr)
    assert text.text == upright[0].text


@pytest.mark.parametrize("angle", [3.0, -3.0])
def test_a_skewed_page_reads_the_same_as_the_upright_page(ppocr, scans, upright, angle):
    image = scans[1].image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    skewed = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))
    [text] = read_pages([page_image(skewed)], ppocr)
    # Rotating by 3 degrees and back resamples every pixel, so a tone mark may read differently
    # (about 1 character in 100 in our measurements); the page must read as well as upright.
    assert text.text.count("\n") == upright[1].text.count("\n")
    assert cer(text.text, upright[1].text) <= 0.015
    assert cer(text.text, scans[1].text) <= cer(upright[1].text, scans[1].text) + 0.01


def test_results_do_not_depend_on_how_pages_are_grouped(ppocr, scans, upright):
    one_by_one = [read_pages([page_image(p.image, i + 1)], ppocr)[0] for i, p in enumerate(scans)]
    assert [t.text for t in one_by_one] == [t.text for t in upright]


def test_accurate_and_fast_readers_also_read_the_page_and_the_published_weights_still_load():
    page = degrade_page(render_page(21, "dev", "prose", 200), 21)
    keep = len(page.lines) // 3  # the first third of the page, cut between two lines
    cut = int((max(y for _, y in page.lines[keep - 1][1]) + min(y for _, y in page.lines[keep][1])) / 2)
    expected = " ".join(text for text, _ in page.lines[:keep])
    for recognizer, weights, detector in (("accurate", "sohoa-rec-vi", "auto"),
                                          ("fused", "trueocr-rec-vi", "auto"),
                                          ("fast", "trueocr-rec-vi", "ppocrv6-det-small")):
        engine = build_engine("ppocr", get_settings().model_copy(
            update={"ocr_recognizer": recognizer, "ocr_fast_model": weights,
                    "ocr_det_model": detector}))
        [text] = read_pages([page_image(page.image[:cut])], engine)
        assert cer(text.text, expected) <= 0.05, (recognizer, weights, text.text)


def test_the_defaults_are_our_reader_with_its_tone_judge_and_the_int8_detector_on_a_cpu():
    engine = build_engine("ppocr", get_settings().model_copy(update={"ocr_device": "cpu"}))
    assert set(engine.models) == {"ppocrv6-det-small-int8", "sohoa-rec-vi", "sohoa-tone-vi"}
    alone = build_engine("ppocr", get_settings().model_copy(update={"ocr_device": "cpu",
                                                                   "ocr_tone_model": ""}))
    assert set(alone.models) == {"ppocrv6-det-small-int8", "sohoa-rec-vi"}


def test_two_pages_are_read_at_a_time_by_default_with_threads_that_do_not_spin():
    from ocr_service.config import Settings
    from ocr_service.pipeline.ocr.runtime import SessionOptions

    settings = Settings()
    assert settings.ocr_page_workers == 2 and settings.ocr_threads == 0
    assert SessionOptions.from_settings(settings).spin is False


@pytest.mark.parametrize(("choice", "device", "available", "model"), [
    ("auto", "auto", ["CPUExecutionProvider"], "ppocrv6-det-small-int8"),
    ("auto", "auto", ["CUDAExecutionProvider", "CPUExecutionProvider"], "ppocrv6-det-small"),
    ("auto", "cpu", ["CUDAExecutionProvider", "CPUExecutionProvider"], "ppocrv6-det-small-int8"),
    ("ppocrv6-det-small", "cpu", ["CPUExecutionProvider"], "ppocrv6-det-small"),
])
def test_the_detector_is_int8_on_a_cpu_and_float_on_a_gpu(choice, device, available, model):
    from ocr_service.pipeline.ocr.ppocr import detector_model

    assert detector_model(choice, device, available) == model


def test_tesseract_baseline_reads_prose(scans):
    [text] = build_engine("tesseract").recognize([page_image(scans[1].image)])
    assert cer(text.text, scans[1].text) <= 0.05
    assert all(unicodedata.is_normalized("NFC", line.text) for line in text.lines)


def test_pages_read_concurrently_give_the_same_text(scans, upright):
    settings = get_settings().model_copy(update={"ocr_page_workers": 2, "ocr_threads": 1})
    concurrent = read_pages([page_image(p.image, i + 1) for i, p in enumerate(scans)],
                            build_engine("ppocr", settings))
    assert [t.text for t in concurrent] == [t.text for t in upright]
    assert [t.page for t in concurrent] == [1, 2]


@pytest.mark.parametrize("font_file", ["LiberationSerif-Regular.ttf", "DejaVuSans.ttf"])
def test_direct_speech_keeps_its_quotes_and_its_question_mark(ppocr, font_file):
    """TrueOCR's charset has no straight quote, no "?" and no "!"; ours appends them (stage 5)."""
    from tests.unit.test_ocr_stops import line

    text = 'Bà hỏi: "Ai nộp hồ sơ trước?" Ông đáp: "Tôi!"'
    grey, _ = line(text, text, font_file)
    (read,) = read_pages([page_image(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dpi=240)], ppocr)
    assert read.text.count('"') == 4 and "?" in read.text and "!" in read.text, read.text
    assert cer(read.text, text) <= 0.05, read.text  # DejaVu: "hỏi:\"Ai", "trước?\"." (2 slips)


@pytest.fixture(scope="module")
def judged_prose():
    """Two scan-degraded ``dev`` prose pages where the reader alone gets tones wrong ("Ủy" read
    "Uy" at a line's start, "đối" read "đổi"), read with and without the tone judge."""
    pages = [degrade_page(render_page(seed, "dev", "prose", dpi), seed, "scan")
             for seed, dpi in ((5001, 200), (5011, 300))]
    images = [page_image(p.image, i + 1, p.dpi) for i, p in enumerate(pages)]
    alone = get_settings().model_copy(update={"ocr_tone_model": ""})
    return ([p.text for p in pages],
            [t.text for t in read_pages(images, build_engine("ppocr", alone))],
            [t.text for t in read_pages(images, build_engine("ppocr"))])


def _word_errors(truth: str, read: str) -> int:
    import difflib

    matcher = difflib.SequenceMatcher(None, truth.split(), read.split(), autojunk=False)
    return sum(max(a1 - a0, b1 - b0) for op, a0, a1, b0, b1 in matcher.get_opcodes() if op != "equal")


def test_the_tone_judge_mends_tones_the_reader_got_wrong(judged_prose):
    truths, alone, judged = judged_prose
    before = sum(_word_errors(t, r) for t, r in zip(truths, alone))
    after = sum(_word_errors(t, r) for t, r in zip(truths, judged))
    assert after < before, (before, after)
    assert "Uy ban" in alone[0] and "Uy ban" not in judged[0] and "Ủy ban" in judged[0]


def test_a_row_of_digit_boxes_reads_as_its_digits(ppocr):
    """`dev` CT01 seed 3016: the detector cut the owner's number at its box walls and read
    "06957557"; as one row with its walls painted out it reads whole (``ocr/combs.py``)."""
    from sohoa_dev.synth.forms import make_form_sample

    sample = make_form_sample("residence_change", 3016, "dev")
    page = read_pages([page_image(sample.pages[0], dpi=float(sample.dpi))], ppocr)[0]
    number = sample.expected["fields"]["id_number"]
    rows = [line.text.replace(" ", "") for line in page.lines]
    assert sum(number in row for row in rows) == 2  # the owner's and the household head's


def test_a_red_seal_over_the_text_is_dropped_before_reading(ppocr, monkeypatch):
    """A seal stamped over a prose page's lower half (and a signature across it): read as it
    is, its ring cuts letters and its rim is read as words; dropped, the lines come back."""
    import ocr_service.pipeline.ocr.ppocr as engine_module
    from sohoa_dev.synth.seals import stamp_seal

    page = degrade_page(stamp_seal(render_page(5001, "dev", "prose", 200), 5001), 5001)
    (dropped,) = read_pages([page_image(page.image)], ppocr)
    monkeypatch.setattr(engine_module, "without_red_ink", lambda image: image)
    (as_is,) = read_pages([page_image(page.image)], ppocr)
    assert cer(dropped.text, page.text) < 0.6 * cer(as_is.text, page.text)
    assert cer(dropped.text, page.text) <= 0.02, dropped.text


def test_a_page_photographed_on_a_desk_reads_like_a_scan(ppocr):
    """Seen off square, this page's lines slope and converge; read unflattened, the detector's
    boxes cut across them and three lines came out as garble (13.7 % CER)."""
    from sohoa_dev.synth.photos import photograph_page

    from ocr_service.pipeline.process import read_document

    photo = photograph_page(render_page(5011, "dev", "prose", 300), 5011)
    jpeg = cv2.imencode(".jpg", photo.image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    _, (read,) = read_document(jpeg, "chup-to-khai.jpg", ppocr)  # a camera's JPEG: no dpi
    assert cer(read.text, photo.text) <= 0.01, read.text
