"""Clean-up: make each page upright and straight, cut off scanner borders, and measure its quality.

Why it is written the way it is:

* All analysis runs on a small grey copy (about 150 dpi): it is enough to see text lines, accents and
  skew, and it keeps clean-up far below the one-second budget of a page. The transforms found there
  are applied once to the full-resolution image, which is never downscaled (the e-record keeps it).
* Orientation and skew come from one measure: the ink of horizontal text lines, projected along the
  right direction, gives a sharply peaked profile. Searching the projection angle for rows and for
  columns tells both whether lines run across or down the page (0/180 vs 90/270) and their skew.
* Upside-down is told from typography: in Vietnamese (Latin script) the marks above the x-height
  band (ascenders, capitals, tone marks and other diacritics) far outweigh descenders below it, so
  each text line votes on which side of its densest band carries more ink.
* With too little text the evidence is weak, and a wrong turn is worse than none: such pages are
  left as they are (only borders are cut and quality measured). A quarter turn in particular needs
  strong evidence: ink laid out as a band far wider than tall is one line (or a few) running across,
  and is never stood on end; such a band of few letters is turned over only on a clear vote. A
  one-line image turned by 90° loses all its text, an unturned sideways page only its reading.
* Quality is checked against Circular 01/2023/TT-VPCP Art. 8 (colour scan, at least 200 dpi) and
  for readability (blur, contrast). A failing page is still cleaned and returned, only flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr_service.domain import PageImage, QualityIssue, QualityReport

from .flatten import flatten

ANALYSIS_DPI = 150.0
"""Resolution of the grey copy that all measurements are made on."""
MAX_SKEW = 10.0
"""Largest skew (degrees) searched for; scanners and phone captures stay well inside it."""
MIN_SKEW = 0.1
"""Smaller skews are left alone: resampling would cost sharpness and gain nothing for OCR."""
MIN_LETTERS = 30
"""Below this many letter-sized marks a page is treated as blank: no turning, no deskew."""
AXIS_MARGIN = 1.15
"""Columns must project this much more sharply than rows before a page is turned by 90°."""
FEW_LETTERS = 200
"""Below this many letters, a strip of text needs ``FEW_LETTERS_UPRIGHT_MARGIN`` to be turned over."""
ACROSS_ASPECT = 3.0
"""Ink spread this many times wider than tall runs across the page: never turned by 90°."""
UPRIGHT_MARGIN = 0.05
"""Mean per-line vote (-1 = upside down, +1 = upright) needed before a page is turned by 180°."""
FEW_LETTERS_UPRIGHT_MARGIN = 0.2
"""The vote needed for a half turn of a strip of few letters (one line or a few, ``_runs_across``):
on one line of 30-70 letters the vote of upright text ranges down to -0.11 (lines cropped from
generated pages). A short page of several lines (an ID card's back) keeps ``UPRIGHT_MARGIN``."""
LETTER_HEIGHT_INCHES = 0.03
"""Marks shorter than this (about the x-height of 4-point type) are not letters: accents, dots, specks."""

MIN_DPI = 200
"""Circular 01/2023/TT-VPCP Art. 8: scans of at least 200 dpi."""
MIN_BLUR = 3000.0
"""Contrast-normalised variance of the Laplacian (at 150 dpi, around text) under which a scan is too
blurred to read well: sharp print scores 20 000-30 000, a 1/100-inch Gaussian blur about 2 000."""
MIN_CONTRAST = 60.0
"""Paper-minus-ink grey level under which text is too faint for reliable recognition."""
COLOR_CHROMA = 24
"""A pixel whose channels differ by more than this carries colour (JPEG noise stays well below)."""
COLOR_SHARE = 0.0005
"""Share of coloured pixels (a red seal, a blue signature, tinted paper) that makes a page colour."""

_CLOCKWISE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
_COARSE_STEP, _MID_STEP, _FINE_STEP, _FINE_SPAN = 0.5, 0.1, 0.02, 0.6
_MAX_POINTS = 40_000


@dataclass(frozen=True)
class _Analysis:
    """The small copy of a page and what was measured on it."""

    dpi: float
    """Resolution of the small copy."""
    small: np.ndarray
    """Downscaled page, grey or BGR as the page."""
    grey: np.ndarray
    """The small copy in grey."""
    text: np.ndarray
    """Mask (bool) of character-sized ink marks, borders and large graphics removed."""
    letters: int
    """Number of letter-sized marks: the evidence that the page holds text."""
    paper: tuple[float, ...]
    """Paper colour of the page image's channels, used to fill what rotation uncovers."""


def clean_pages(pages: list[PageImage] | tuple[PageImage, ...]) -> list[PageImage]:
    """Clean every page of a document (see :func:`clean_page`)."""
    return [clean_page(page) for page in pages]


def clean_page(page: PageImage) -> PageImage:
    """Return the page upright, deskewed and without scanner borders, with its quality report;
    a photographed sheet is first flattened and cut from the desk (``flatten``).

    A quarter or half turn is applied first, losslessly, and everything else (skew, borders) is
    measured again on the upright page: a page scanned sideways or upside down then yields exactly
    the pixels, and so the text, of the same page scanned upright.
    """
    page = flatten(page)  # a photographed sheet: off the desk and square first
    analysis = _analyse(page)
    quality = _quality(page, analysis)
    rotation, skew = _turn(analysis, sharp=quality.blur >= MIN_BLUR)
    upright = page
    if rotation:
        upright = replace(page, image=cv2.rotate(page.image, _CLOCKWISE[rotation]))
        analysis = _analyse(upright)
        skew = _skew(analysis.text) if analysis.letters >= MIN_LETTERS else 0.0
    box = _border_box(analysis.grey)
    image = _transform(_crop(upright.image, box, analysis.grey.shape), 0, skew, analysis.paper,
                       cv2.INTER_CUBIC)
    grey = _transform(_crop(analysis.grey, box, analysis.grey.shape), 0, skew,
                      (float(np.mean(analysis.paper)),), cv2.INTER_LINEAR)
    image = _paint_border_remnants(image, grey, analysis.paper)
    return replace(page, image=image, rotation=rotation, skew=round(skew, 2), quality=quality,
                   color=quality.color)


def _turn(analysis: _Analysis, sharp: bool) -> tuple[int, float]:
    """Clockwise quarter turns (0/90/180/270) that make the page upright, and the skew of the
    page as it is (the page's skew when it needs no turn: measured once); 0, 0 for blank pages.

    Blurred letters run together and their shapes mislead the upside-down test, so on blurred
    pages only the direction of the lines is set right.
    """
    if analysis.letters < MIN_LETTERS:
        return 0, 0.0
    few = analysis.letters < FEW_LETTERS
    return _orientation_and_skew(
        analysis.text, analysis.dpi, check_upside_down=sharp,
        strip_upright_margin=FEW_LETTERS_UPRIGHT_MARGIN if few else UPRIGHT_MARGIN)


def _skew(text: np.ndarray) -> float:
    """Skew (degrees, counter-clockwise positive) of the text lines of an upright page."""
    ys, xs = _sample_points(text)
    coarse, _ = _best_angle(ys, xs, _coarse_angles())
    return _fine_skew(ys, xs, coarse)


def _fine_skew(ys: np.ndarray, xs: np.ndarray, coarse: float) -> float:
    """The skew to ``_FINE_STEP`` around the ``coarse`` angle, searched in two passes (every
    ``_MID_STEP``, then every ``_FINE_STEP`` around the best): 24 projections instead of 61."""
    mid = np.arange(coarse - _FINE_SPAN, coarse + _FINE_SPAN + 1e-9, _MID_STEP)
    near, _ = _best_angle(ys, xs, mid)
    fine = np.arange(near - _MID_STEP, near + _MID_STEP + 1e-9, _FINE_STEP)
    skew, _ = _best_angle(ys, xs, fine)
    return skew if abs(skew) >= MIN_SKEW else 0.0


# --------------------------------------------------------------------------------------------------
# Analysis copy


def _analyse(page: PageImage) -> _Analysis:
    scale = min(1.0, ANALYSIS_DPI / max(page.dpi, 1.0))
    small = page.image
    if scale < 1.0:
        size = (max(1, round(page.width * scale)), max(1, round(page.height * scale)))
        small = cv2.resize(page.image, size, interpolation=cv2.INTER_AREA)
    grey = small if small.ndim == 2 else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    text, letters = _text_mask(grey, page.dpi * scale)
    return _Analysis(page.dpi * scale, small, grey, text, letters, _paper_colour(small, grey))


def _paper_colour(small: np.ndarray, grey: np.ndarray) -> tuple[float, ...]:
    """Mean colour of the brightest quarter of the page: the paper, whatever the text and borders."""
    bright = (grey >= _percentile(grey, 75)).view(np.uint8)
    channels = 1 if small.ndim == 2 else 3
    return tuple(float(v) for v in cv2.mean(small, mask=bright)[:channels])


def _percentile(grey: np.ndarray, q: float) -> float:
    """Percentile of a uint8 image from its histogram: many times faster than np.percentile."""
    cumulative = np.cumsum(cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel())
    return float(np.searchsorted(cumulative, cumulative[-1] * q / 100.0))


def _text_mask(grey: np.ndarray, dpi: float) -> tuple[np.ndarray, int]:
    """Ink marks the size of characters, accents and dots, and how many of them are letter-sized.

    Adaptive thresholding follows uneven lighting; marks touching the image edge are scanner borders
    or cut-off content, and marks taller than a third of an inch are rules, stamps or pictures.
    """
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)  # scanner grain would otherwise pass as ink dots
    ink = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                _odd(dpi / 5), 15)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    rows, cols = grey.shape
    keep = (
        (area >= 3)
        & (h <= dpi / 3) & (w <= dpi / 1.5)
        & (x > 0) & (y > 0) & (x + w < cols) & (y + h < rows)
    )
    keep[0] = False  # background
    return keep[labels], int((keep & (h >= LETTER_HEIGHT_INCHES * dpi)).sum())


def _odd(value: float) -> int:
    return max(3, int(value) | 1)


# --------------------------------------------------------------------------------------------------
# Orientation and skew


def _orientation_and_skew(text: np.ndarray, dpi: float, check_upside_down: bool = True,
                          strip_upright_margin: float = UPRIGHT_MARGIN) -> tuple[int, float]:
    """Clockwise turn (0/90/180/270) and skew (degrees, counter-clockwise positive) of the text.

    Without ``check_upside_down`` only the direction of the lines is set right (0 or 90). A quarter
    turn needs the columns to project ``AXIS_MARGIN`` times more sharply than the rows, and ink
    that is not laid out as a wide band (``_runs_across``); a half turn, an upright vote below
    ``-UPRIGHT_MARGIN``, or below ``-strip_upright_margin`` for such a band.
    """
    ys, xs = _sample_points(text)
    rows_angle, rows_score = _best_angle(ys, xs, _coarse_angles())
    cols_angle, cols_score = _best_angle(xs, ys, _coarse_angles())
    across = _runs_across(ys, xs)
    upright_margin = strip_upright_margin if across else UPRIGHT_MARGIN
    if cols_score > rows_score * AXIS_MARGIN and not across:
        turn, text = 90, cv2.rotate(text.view(np.uint8), cv2.ROTATE_90_CLOCKWISE).astype(bool)
        ys, xs = _sample_points(text)
        coarse = -cols_angle
    else:
        turn, coarse = 0, rows_angle
    skew = _fine_skew(ys, xs, coarse)
    upright = _transform(text.view(np.uint8) * 255, 0, skew, (0.0,), cv2.INTER_NEAREST) > 127
    if check_upside_down and _upright_vote(upright, dpi) < -upright_margin:
        turn += 180
    return turn, skew


def _runs_across(ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether the ink spreads ``ACROSS_ASPECT`` times wider than tall: one or a few lines running
    across. In one line, letters' upright strokes make the columns project sharply, and there are
    no line gaps to make the rows do so; the shape of the ink tells the direction instead."""
    if len(ys) == 0:
        return False
    height = float(np.subtract(*np.percentile(ys, [99, 1])))
    width = float(np.subtract(*np.percentile(xs, [99, 1])))
    return width > ACROSS_ASPECT * max(height, 1.0)


def _sample_points(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of ink pixels, thinned evenly to a bounded number to keep the search fast."""
    ys, xs = np.nonzero(mask)
    step = max(1, len(ys) // _MAX_POINTS)
    return ys[::step].astype(np.float32), xs[::step].astype(np.float32)


def _coarse_angles() -> np.ndarray:
    return np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, _COARSE_STEP)


def _best_angle(main: np.ndarray, cross: np.ndarray, angles: np.ndarray) -> tuple[float, float]:
    """The angle whose projection of the points onto ``main`` is sharpest, and that sharpness.

    Points on a line ``main = c - cross * tan(a)`` share one bin at angle ``a``. Sharpness is the sum
    of squared bin counts, normalised so that evenly spread ink scores about 1 whatever the extent,
    which makes the rows' and the columns' scores comparable.
    """
    if len(main) == 0:
        return 0.0, 0.0
    lo, hi = np.percentile(main, [1, 99])
    extent = max(hi - lo, 1.0)
    offset = np.abs(cross).max() * np.tan(np.radians(MAX_SKEW + 1)) + 1
    scores = np.empty(len(angles))
    for i, angle in enumerate(angles):
        bins = np.rint(main + cross * np.tan(np.radians(angle)) + offset).astype(np.int64)
        counts = np.bincount(bins)
        scores[i] = float(np.dot(counts, counts))
    best = int(np.argmax(scores))
    return float(angles[best]), scores[best] * extent / (len(main) ** 2)


def _upright_vote(text: np.ndarray, dpi: float) -> float:
    """+1 for upright text, -1 for upside down, near 0 when the page does not tell.

    Letters of a line stand on one baseline, so the bottoms of character marks pile up on a few
    rows, while their tops spread over x-height, ascender and capital heights and the many
    Vietnamese tone marks and diacritics above them. Upside down it is the other way round. The
    vote compares how sharply the bottoms and the tops of the marks are aligned.
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(text.view(np.uint8), connectivity=8)
    tops, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    # Single letters only: accents, dots and specks say little alone, and letters run together
    # into words (bold or blurred print) have aligned tops (the tallest letter of each word).
    letters = (heights >= LETTER_HEIGHT_INCHES * dpi) & (widths <= 1.6 * heights)
    if letters.sum() < MIN_LETTERS:
        return 0.0
    bottoms_sharpness = _alignment(tops[letters] + heights[letters])
    tops_sharpness = _alignment(tops[letters])
    return (bottoms_sharpness - tops_sharpness) / max(bottoms_sharpness + tops_sharpness, 1e-9)


def _alignment(rows: np.ndarray) -> float:
    """Sum of squared counts of ``rows``, lightly smoothed to forgive a pixel of residual skew."""
    counts = np.convolve(np.bincount(rows).astype(np.float64), [0.25, 0.5, 0.25])
    return float(np.dot(counts, counts))


# --------------------------------------------------------------------------------------------------
# Transforms


def _transform(image: np.ndarray, rotation: int, skew: float, fill: tuple[float, ...],
               interpolation: int) -> np.ndarray:
    """Turn clockwise by ``rotation`` and undo ``skew`` in one resampling, growing the canvas so
    that nothing is cut; without skew the turn is an exact (lossless) pixel shuffle."""
    if abs(skew) < MIN_SKEW:
        return cv2.rotate(image, _CLOCKWISE[rotation]) if rotation else np.ascontiguousarray(image)
    rows, cols = image.shape[:2]
    angle = -skew - rotation  # getRotationMatrix2D turns counter-clockwise for positive angles
    matrix = cv2.getRotationMatrix2D(((cols - 1) / 2, (rows - 1) / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_cols, new_rows = int(np.ceil(cols * cos + rows * sin)), int(np.ceil(cols * sin + rows * cos))
    matrix[0, 2] += (new_cols - cols) / 2
    matrix[1, 2] += (new_rows - rows) / 2
    border = tuple(fill) * (3 if image.ndim == 3 and len(fill) == 1 else 1)
    return cv2.warpAffine(image, matrix, (new_cols, new_rows), flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _border_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """Rows and columns (top, bottom, left, right) of ``grey`` left once dark scanner borders go.

    Whole rows and columns that are mostly dark are dropped from each edge inward, before the page
    is turned, while the borders still run along the image's edges. Paper margins are never cut,
    since only pixels darker than half the paper level count as border. None when nothing is cut.
    """
    dark = grey < 0.5 * _percentile(grey, 90)
    top, bottom = _border_span(dark.mean(axis=1))
    left, right = _border_span(dark[top:bottom].mean(axis=0))
    rows, cols = grey.shape
    if (top, bottom, left, right) == (0, rows, 0, cols):
        return None
    if bottom - top < rows / 2 or right - left < cols / 2:
        return None  # a mostly dark page (a photo, a negative): not a border problem
    return top, bottom, left, right


def _crop(image: np.ndarray, box: tuple[int, int, int, int] | None,
          small_shape: tuple[int, ...]) -> np.ndarray:
    """``image`` cut to ``box``, which is given in the coordinates of the small copy."""
    if box is None:
        return image
    top, bottom, left, right = box
    fy, fx = image.shape[0] / small_shape[0], image.shape[1] / small_shape[1]
    return image[int(np.ceil(top * fy)): int(bottom * fy), int(np.ceil(left * fx)): int(right * fx)]


def _paint_border_remnants(image: np.ndarray, grey: np.ndarray, paper: tuple[float, ...]) -> np.ndarray:
    """Paint paper colour over the dark wedges a skewed sheet leaves along the edges once deskewed.

    Only dark regions that touch the edge and lie along it as long thin bands count, so a dark
    photograph near the edge of a page is not touched. ``grey`` is the small copy, transformed
    like ``image``.
    """
    dark = (grey < 0.5 * _percentile(grey, 90)).view(np.uint8)
    if not (dark[0].any() or dark[-1].any() or dark[:, 0].any() or dark[:, -1].any()):
        return image  # the usual case, decided without labelling the page
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    rows, cols = grey.shape
    touches = (x == 0) | (y == 0) | (x + w == cols) | (y + h == rows)
    along_edge = ((w <= 0.15 * cols) & (h >= 0.3 * rows)) | ((h <= 0.15 * rows) & (w >= 0.3 * cols))
    remnant = touches & along_edge & (area >= 0.0005 * grey.size)
    remnant[0] = False
    if not remnant.any():
        return image
    mask = cv2.dilate(remnant[labels].view(np.uint8), np.ones((3, 3), np.uint8))
    mask = cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
    painted = image.copy()
    painted[mask > 0] = paper if image.ndim == 3 else paper[0]
    return painted


def _border_span(dark_share: np.ndarray) -> tuple[int, int]:
    """The half-open range left after dropping mostly dark lines at both ends (plus one for the edge)."""
    light = np.nonzero(dark_share < 0.5)[0]
    if len(light) == 0:
        return 0, len(dark_share)
    start, end = int(light[0]), int(light[-1]) + 1
    start = start + 1 if start > 0 else 0  # the paper edge itself is a blurred grey line
    end = end - 1 if end < len(dark_share) else end
    return start, end


# --------------------------------------------------------------------------------------------------
# Quality


def _quality(page: PageImage, analysis: _Analysis) -> QualityReport:
    has_text = analysis.letters >= MIN_LETTERS
    color = _is_colour(analysis.small)
    contrast = _contrast(analysis.grey, analysis.text)
    blur = _blur(analysis.grey, analysis.text, contrast)
    issues = [
        issue for issue in (
            _dpi_issue(page.dpi, page.dpi_source),
            None if color else _GREY_ISSUE,
            _blur_issue(blur) if has_text else None,
            _contrast_issue(contrast) if has_text else None,
        ) if issue is not None
    ]
    return QualityReport(dpi=round(page.dpi, 1), dpi_source=page.dpi_source, color=color,
                         blur=round(blur, 1), contrast=round(contrast, 1), issues=tuple(issues))


def _is_colour(small: np.ndarray) -> bool:
    if small.ndim == 2:
        return False
    blue, green, red = cv2.split(small)
    chroma = cv2.subtract(cv2.max(cv2.max(blue, green), red), cv2.min(cv2.min(blue, green), red))
    return cv2.countNonZero((chroma > COLOR_CHROMA).view(np.uint8)) >= COLOR_SHARE * chroma.size


def _blur(grey: np.ndarray, text: np.ndarray, contrast: float) -> float:
    """Variance of the Laplacian around the text, as if the text had full contrast.

    Measured around the text because blank paper would read as blurred; scaled by contrast so that
    faint but sharp print is reported as faint (low contrast), not as blurred.
    """
    laplacian = cv2.Laplacian(grey, cv2.CV_32F)
    near_text = cv2.dilate(text.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    values = laplacian[near_text] if near_text.any() else laplacian
    return float(values.var()) * (255.0 / max(contrast, 1.0)) ** 2


def _contrast(grey: np.ndarray, text: np.ndarray) -> float:
    """Paper level (90th percentile of the page) minus ink level (25th percentile of the text marks)."""
    paper = _percentile(grey, 90)
    ink_pixels = grey[text]
    if ink_pixels.size == 0:
        return paper - float(grey.min())
    return paper - _percentile(ink_pixels.reshape(-1, 1), 25)


def _dpi_issue(dpi: float, source: str) -> QualityIssue | None:
    if round(dpi) >= MIN_DPI:
        return None
    estimated_en, estimated_vi = (" (estimated)", " (ước tính)") if source == "estimated" else ("", "")
    return QualityIssue(
        code="low_dpi",
        message=f"Resolution {dpi:.0f} dpi{estimated_en} is below the minimum of {MIN_DPI} dpi "
                f"required by Art. 8 of Circular 01/2023/TT-VPCP",
        message_vi=f"Độ phân giải {dpi:.0f} dpi{estimated_vi} thấp hơn mức tối thiểu {MIN_DPI} dpi "
                   f"theo Điều 8 Thông tư 01/2023/TT-VPCP",
    )


_GREY_ISSUE = QualityIssue(
    code="not_color",
    message="The page was scanned in greyscale or black and white; Art. 8 of Circular "
            "01/2023/TT-VPCP requires colour scans",
    message_vi="Trang được quét ở chế độ thang xám hoặc đen trắng; Điều 8 Thông tư 01/2023/TT-VPCP "
               "yêu cầu quét ảnh màu",
)


def _blur_issue(blur: float) -> QualityIssue | None:
    if blur >= MIN_BLUR:
        return None
    return QualityIssue(
        code="blurry",
        message=f"The page is blurred (sharpness {blur:.0f}, minimum {MIN_BLUR:.0f}); "
                f"scan it again for reliable text recognition",
        message_vi=f"Ảnh trang bị mờ (độ nét {blur:.0f}, tối thiểu {MIN_BLUR:.0f}); "
                   f"nên quét lại để nhận dạng chữ chính xác",
    )


def _contrast_issue(contrast: float) -> QualityIssue | None:
    if contrast >= MIN_CONTRAST:
        return None
    return QualityIssue(
        code="low_contrast",
        message=f"The text is faint (contrast {contrast:.0f} of 255, minimum {MIN_CONTRAST:.0f}); "
                f"scan it again darker",
        message_vi=f"Chữ bị nhạt (độ tương phản {contrast:.0f}/255, tối thiểu {MIN_CONTRAST:.0f}); "
                   f"nên quét lại đậm hơn",
    )
