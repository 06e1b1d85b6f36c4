"""Red seal ink is dropped before reading; print under it, and other colours, are not."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.pipeline.ocr.dropout import without_red_ink

PAPER = (228, 240, 244)  # BGR: slightly yellow
BLACK, BLUE, RED = (30, 30, 30), (150, 60, 20), (60, 50, 205)


def _page() -> np.ndarray:
    page = np.full((400, 600, 3), PAPER, np.uint8)
    cv2.putText(page, "Ho va ten", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.0, BLACK, 5)
    cv2.line(page, (40, 300), (560, 300), BLUE, 4)  # a ballpoint stroke
    return page


def test_a_seal_over_print_goes_and_the_print_under_it_stays() -> None:
    page = _page()
    sealed = page.copy()
    ring = np.zeros(page.shape[:2], np.uint8)
    cv2.circle(ring, (300, 200), 150, 255, 12)
    # Seal ink multiplies the print: red over paper, near black over a letter.
    tint = np.asarray(RED, np.float32) / 255
    sealed[ring > 0] = (sealed[ring > 0].astype(np.float32) * tint).astype(np.uint8)
    dropped = without_red_ink(sealed)
    grey = cv2.cvtColor(dropped, cv2.COLOR_BGR2GRAY).astype(int)
    text = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 100
    ink_under_seal = (ring > 0) & text
    seal_on_paper = (ring > 0) & ~text & (cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) > 235)
    assert ink_under_seal.sum() > 100 and seal_on_paper.sum() > 1000
    assert grey[ink_under_seal].max() < 100  # letters under the seal keep their ink
    assert grey[seal_on_paper].min() > 180  # the seal on paper is near paper
    # Before: the seal on paper was as dark as faint print.
    assert cv2.cvtColor(sealed, cv2.COLOR_BGR2GRAY)[seal_on_paper].mean() < 120
    outside = ring == 0
    assert np.array_equal(dropped[outside], sealed[outside])  # print and blue ink untouched


def test_a_page_without_red_ink_is_the_same_array() -> None:
    page = _page()
    assert without_red_ink(page) is page
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    assert without_red_ink(grey) is grey
