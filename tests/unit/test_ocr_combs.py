"""Rows of digit boxes: found from the page's ruling where the detector split them, their walls
painted out without touching the digits, and the detector's boxes in them replaced by one."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.pipeline.ocr.combs import find_combs, merge_quads, without_walls
from sohoa_dev.synth.render import installed_font

SIDE = 50  # a box's side in pixels (250 dpi, as on `dev` CT01 forms)
DPI = 250.0


def boxes_row(digits: str, boxes: int | None = None, side: int = SIDE,
              font_file: str = "LiberationSerif-Bold.ttf"):
    """A grey strip: a label, then one digit per box in a row of ``boxes`` boxes; the
    detector-like quads of the label (reaching into the first box) and of two digits."""
    boxes = boxes or len(digits)
    font = ImageFont.truetype(str(installed_font(font_file)), 40)
    image = Image.new("L", (300 + boxes * side + 100, 160), 255)
    draw = ImageDraw.Draw(image)
    draw.text((20, 80), "Số định danh:", font=font, fill=0, anchor="ls")
    left, top = 300, 40
    for i in range(boxes):
        draw.rectangle((left + i * side, top, left + (i + 1) * side, top + side), outline=0,
                       width=2)
        if i < len(digits):
            draw.text((left + i * side + side / 2, top + side - 8), digits[i], font=font,
                      fill=0, anchor="ms")
    def quad(x0, x1):
        return ((x0, 50.0), (x1, 50.0), (x1, 85.0), (x0, 85.0))
    quads = [quad(20, left + side - 5), quad(left + 3 * side + 10, left + 4 * side - 10),
             quad(left + 5 * side + 10, left + 6 * side - 10)]
    return np.asarray(image), quads, (left, top, left + boxes * side, top + side)


def test_a_row_of_twelve_boxes_is_one_comb_and_its_walls_go_but_not_its_digits():
    grey, quads, (x0, y0, x1, y1) = boxes_row("096069507557")
    combs = find_combs(grey, quads, DPI)
    assert len(combs) == 1
    cx0, cy0, cx1, cy1 = combs[0].box
    assert abs(cx0 - x0) <= 3 and abs(cx1 - x1) <= 3 and abs(cy0 - y0) <= 3 and abs(cy1 - y1) <= 3
    clean = without_walls(grey, combs)
    walls = np.array([clean[y0 + 5 : y1 - 5, x0 + i * SIDE - 1 : x0 + i * SIDE + 2]
                      for i in range(13)])
    assert (walls > 200).all()  # no wall left
    def digit_ink(page: np.ndarray) -> int:  # inside the boxes, away from their walls
        return sum(int((page[y0 + 4 : y1 - 4, x0 + i * SIDE + 4 : x0 + (i + 1) * SIDE - 4]
                        < 128).sum()) for i in range(12))

    assert digit_ink(grey) > 12 * 50
    assert digit_ink(clean) >= 0.97 * digit_ink(grey)  # the digits stay, bold strokes and all


def test_the_detector_boxes_give_way_to_one_box_and_the_label_stops_at_the_first_box():
    grey, quads, (x0, y0, x1, y1) = boxes_row("096069507557")
    combs = find_combs(grey, quads, DPI)
    merged = merge_quads(quads, combs)
    assert len(merged) == 2
    label, comb = merged
    cx0, cy0, cx1, cy1 = combs[0].box
    assert max(x for x, _ in label) == cx0
    assert comb == ((cx0, cy0), (cx1, cy0), (cx1, cy1), (cx0, cy1))


@pytest.mark.parametrize("boxes, side", [(3, SIDE), (12, 3 * SIDE)])
def test_few_boxes_or_wide_cells_are_no_comb(boxes, side):
    """A date's three boxes, a table's wide cells."""
    grey, quads, _ = boxes_row("123"[:boxes], boxes, side)
    assert find_combs(grey, quads, DPI) == []


def test_a_row_the_detector_read_as_one_box_is_not_looked_at():
    grey, quads, _ = boxes_row("096069507557")
    assert find_combs(grey, quads[:1], DPI) == []
