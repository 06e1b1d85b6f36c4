"""A detector box holding several printed lines (joined by a signature across them) is cut into
its lines; one line, large type and lines already boxed are left as found."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.domain import to_quad
from ocr_service.pipeline.ocr.stacked import split_stacked

LINE = 40  # px from one baseline to the next


def _page(lines: list[str], scale: float = 1.0, signature: bool = True) -> np.ndarray:
    page = np.full((60 + LINE * len(lines) * int(np.ceil(scale)) + 60, 900), 245, np.uint8)
    for index, text in enumerate(lines):
        cv2.putText(page, text, (30, int(70 + index * LINE * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.8 * scale, 20, 2)
    if signature:  # a flourish across lines 3 and 4 (indexes 2, 3)
        xs = np.linspace(100, 600, 200)
        ys = 70 + 2.5 * LINE + 0.9 * LINE * np.sin(xs / 25)
        cv2.polylines(page, [np.stack([xs, ys], 1).astype(np.int32).reshape(-1, 1, 2)], False,
                      40, 2)
    return page


def _line_box(index: int, right: float = 700) -> tuple:
    return to_quad((25, 70 + index * LINE - 24, right, 70 + index * LINE + 8))


TEXT = ["Ho va ten nguoi yeu cau", "Noi cu tru thon Dong", "Chu tich UBND xa ky ten",
        "dong dau va ghi ro ho ten", "Ngay thang nam"]


def test_a_box_spanning_two_lines_and_a_signature_is_cut_into_the_two_lines() -> None:
    grey = _page(TEXT)
    tall = to_quad((25, 70 + 2 * LINE - 30, 700, 70 + 3 * LINE + 14))
    quads = [_line_box(0), _line_box(1), tall, _line_box(4)]
    split = split_stacked(grey, quads)
    assert len(split) == 5 and tall not in split
    tops = sorted(min(y for _, y in q) for q in split)
    line_tops = [70 + i * LINE - 24 for i in range(5)]
    assert all(abs(top - want) <= 12 for top, want in zip(tops, line_tops)), tops


def test_a_tall_box_over_lines_already_boxed_adds_nothing_twice() -> None:
    grey = _page(TEXT)
    tall = to_quad((25, 70 + 2 * LINE - 30, 700, 70 + 3 * LINE + 14))
    quads = [_line_box(i) for i in range(5)] + [tall]
    split = split_stacked(grey, quads)
    assert len(split) == 5 and tall not in split  # its two lines were boxed already


def test_one_line_of_large_type_and_ordinary_lines_are_left_as_found() -> None:
    grey = _page(TEXT[:3], signature=False)
    quads = [_line_box(i) for i in range(3)]
    assert split_stacked(grey, quads) is quads
    # A title in large capitals with its tone marks: the marks are a band of their own, a gap
    # above the letters, but the letters are no line of print; the box stays whole.
    title = np.full((400, 900), 245, np.uint8)
    cv2.putText(title, "TO KHAI", (30, 150), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 20, 6)
    title[60:80, 60:400] = 20  # a thick row of marks over the capitals
    title[200:] = grey[:200]
    lines = [to_quad((25, 200 + 70 + i * LINE - 24, 700, 200 + 70 + i * LINE + 8))
             for i in range(3)]
    big = to_quad((25, 50, 500, 160))
    assert split_stacked(title, [big, *lines]) == [big, *lines]
