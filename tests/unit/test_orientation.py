"""The second look at orientation: a page whose reading is no Vietnamese is read turned over."""

from __future__ import annotations

import numpy as np
import pytest

from ocr_service.domain import OcrLine, PageImage, PageText
from ocr_service.pipeline.intake import load_document
from ocr_service.pipeline.ocr import engine_from_spec
from ocr_service.pipeline.orientation import second_look
from ocr_service.pipeline.process import read_clean_pages
from sohoa_dev.synth.forms import make_form_sample

UPRIGHT = "Nơi thường trú: Thôn Hòa Bình, xã Tân Dương, tỉnh Đồng Tháp. Ngày, tháng, năm cấp"
UPSIDE_DOWN = "dẹui Guọg quị 6uong uẹ1 ex rquig eọH u9ụ1 :u uịq Jo eoeld ạnH 9ụd quẹq3"


def page(number: int, rotation: int = 0) -> PageImage:
    image = np.zeros((4, 6, 3), np.uint8)
    image[0, 0] = 255  # the top-left pixel tells which way the page was handed on
    return PageImage(number=number, image=image, dpi=300, rotation=rotation)


def text(number: int, words: str) -> PageText:
    return PageText(page=number, width=6, height=4,
                    lines=(OcrLine(words, 0.9, ((0, 0), (6, 0), (6, 4), (0, 4))),))


class Reader:
    """Reads a page as ``turned_reads`` when its marked pixel has gone to the bottom right (the
    page was turned over), as "?" otherwise."""

    def __init__(self, turned_reads: str) -> None:
        self.turned_reads = turned_reads
        self.calls: list[list[int]] = []

    def __call__(self, pages: list[PageImage]) -> list[PageText]:
        self.calls.append([p.number for p in pages])
        return [text(p.number, self.turned_reads if p.image[-1, -1, 0] else "?") for p in pages]


def test_an_upside_down_reading_is_replaced_by_the_page_read_turned_over():
    reader = Reader(turned_reads=UPRIGHT)
    pages, texts = second_look([page(1), page(2, rotation=180)],
                               [text(1, UPRIGHT), text(2, UPSIDE_DOWN)], reader)
    assert reader.calls == [[2]]  # the page that read well is not read again
    assert texts[0].text == UPRIGHT and pages[0].rotation == 0
    assert texts[1].text == UPRIGHT and texts[1].page == 2
    assert pages[1].rotation == 0 and pages[1].image[-1, -1, 0] == 255  # turned, and recorded


def test_a_turned_reading_no_better_keeps_the_page_as_it_was():
    reader = Reader(turned_reads=UPSIDE_DOWN.upper())
    pages, texts = second_look([page(1)], [text(1, UPSIDE_DOWN)], reader)
    assert reader.calls == [[1]]
    assert texts[0].text == UPSIDE_DOWN and pages[0].rotation == 0
    assert pages[0].image[0, 0, 0] == 255


def test_a_page_of_few_words_is_not_read_again():
    reader = Reader(turned_reads=UPRIGHT)
    few = "qPo 9ụd uẹq3"
    pages, texts = second_look([page(1)], [text(1, few)], reader)
    assert reader.calls == [] and texts[0].text == few


@pytest.mark.parametrize("seed", [3035, 3018])
def test_an_id_card_back_reads_upright_whichever_way_clean_up_turned_it(seed):
    """Dev-pool cards whose backs clean-up's typographic vote left (3035) or put (3018) upside
    down: the fields of the back come out."""
    sample = make_form_sample("cccd", seed, "dev")
    data, suffix = sample.to_file()
    document = load_document(data, f"card{suffix}")
    cleaned, texts = read_clean_pages(list(document.pages), engine_from_spec("ppocr"))
    expiry = sample.expected["fields"]["date_of_expiry"]  # printed on the back alone
    assert any(f"Date of expiry: {expiry}" in t.text for t in texts)
