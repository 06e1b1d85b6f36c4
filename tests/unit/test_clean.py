"""Clean-up: pages come back upright, straight, without scanner borders, at full resolution, with
their quality measured against Circular 01/2023/TT-VPCP Art. 8."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest

from ocr_service.domain import PageImage
from ocr_service.pipeline.clean import clean_page, clean_pages
from tests.one_line import one_line
from tests.pages import add_noise, form_page, prose_page

DPI = 200


@cache
def upright(kind: str, dpi: int = DPI, color: bool = False) -> np.ndarray:
    page = form_page(dpi=dpi, color=color) if kind == "form" else prose_page(dpi=dpi, font=1, color=color)
    page.setflags(write=False)
    return page


def skewed(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate the content counter-clockwise by ``degrees`` on the same canvas, as a skewed scan."""
    rows, cols = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((cols - 1) / 2, (rows - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (cols, rows), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))


def clean(image: np.ndarray, dpi: float = DPI, source: str = "file") -> PageImage:
    return clean_page(PageImage(number=1, image=np.ascontiguousarray(image), dpi=dpi, dpi_source=source))


def codes(page: PageImage) -> set[str]:
    assert page.quality is not None
    return {issue.code for issue in page.quality.issues}


@pytest.mark.parametrize("kind", ["form", "prose"])
@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_turned_page_is_made_upright(kind: str, quarter_turns: int) -> None:
    original = upright(kind)
    turned = np.rot90(original, quarter_turns)  # counter-clockwise
    result = clean(turned)
    assert result.rotation == 90 * quarter_turns  # clockwise turn applied
    assert result.image.shape == original.shape
    assert np.mean(np.abs(result.image.astype(int) - original)) < 1.0


@pytest.mark.parametrize(("kind", "dpi"), [("form", 150), ("prose", 300)])
def test_noisy_upside_down_page_at_other_resolutions(kind: str, dpi: int) -> None:
    page = add_noise(upright(kind, dpi))
    assert clean(np.rot90(page, 2), dpi=dpi).rotation == 180
    assert clean(np.rot90(page, 1), dpi=dpi).rotation == 90


@pytest.mark.parametrize("kind", ["form", "prose"])
@pytest.mark.parametrize("degrees", [3.0, -3.0, 7.0, -7.0])
def test_skew_is_measured_and_removed(kind: str, degrees: float) -> None:
    result = clean(skewed(upright(kind), degrees))
    assert result.rotation == 0
    assert result.skew == pytest.approx(degrees, abs=0.3)
    assert clean(result.image).skew == 0.0, "what is left is below the resampling threshold"


def test_skewed_and_turned_page_keeps_all_text() -> None:
    original = upright("prose")
    result = clean(np.rot90(skewed(original, 5.0), 3))
    assert (result.rotation, result.skew) == (270, pytest.approx(5.0, abs=0.3))
    # the canvas grew instead of cutting corners: never smaller than the scan
    assert result.height >= original.shape[0] and result.width >= original.shape[1]
    ink = lambda image: int((image < 128).sum())  # noqa: E731
    assert ink(result.image) == pytest.approx(ink(original), rel=0.1)


def test_colour_is_preserved_and_recognised() -> None:
    original = upright("form", color=True)
    result = clean(np.rot90(original, 1))
    assert result.image.ndim == 3 and result.color and result.quality.color
    assert result.image.shape == original.shape
    assert "not_color" not in codes(result)


def test_grey_and_low_resolution_scans_are_flagged() -> None:
    result = clean(upright("form", dpi=150), dpi=150, source="estimated")
    assert codes(result) == {"low_dpi", "not_color"}
    low_dpi = next(i for i in result.quality.issues if i.code == "low_dpi")
    assert "150 dpi" in low_dpi.message_vi and "Điều 8 Thông tư 01/2023/TT-VPCP" in low_dpi.message_vi
    assert "ước tính" in low_dpi.message_vi and "Circular 01/2023/TT-VPCP" in low_dpi.message
    assert result.quality.dpi == 150 and result.quality.dpi_source == "estimated"
    assert not result.quality.ok
    assert clean(upright("form", color=True)).quality.ok


def test_colour_scan_of_black_text_counts_as_grey() -> None:
    grey_as_bgr = cv2.cvtColor(upright("prose"), cv2.COLOR_GRAY2BGR)
    result = clean(grey_as_bgr)
    assert result.image.ndim == 3, "the image is kept as scanned"
    assert not result.color and "not_color" in codes(result)


def test_blurred_and_faint_scans_are_flagged_but_still_cleaned() -> None:
    blurred = cv2.GaussianBlur(upright("prose", color=True), (0, 0), 2.0)
    result = clean(np.rot90(skewed(blurred, 4.0), 1))
    assert codes(result) == {"blurry"}
    # lines are set horizontal and straight; too blurred to tell upside down, so not turned by 180
    assert result.rotation == 90 and result.skew == pytest.approx(4.0, abs=0.3)
    assert clean(blurred).rotation == 0
    faint = (255 - (255 - upright("form", color=True).astype(np.float32)) * 0.2).astype(np.uint8)
    result = clean(faint)
    assert codes(result) == {"low_contrast"}
    issue = result.quality.issues[0]
    assert issue.message and "tương phản" in issue.message_vi


def test_blank_page_is_left_alone() -> None:
    blank = add_noise(np.full((2339, 1654), 248, np.uint8), sigma=4.0)
    result = clean(blank)
    assert (result.rotation, result.skew) == (0, 0.0)
    assert np.array_equal(result.image, blank)
    assert codes(result) == {"not_color"}, "no blur or contrast verdict without text"


def test_dark_scanner_border_is_cropped_but_margins_kept() -> None:
    original = upright("form", color=True)
    bordered = cv2.copyMakeBorder(original, 40, 60, 50, 30, cv2.BORDER_CONSTANT, value=(15, 15, 15))
    result = clean(bordered)
    rows, cols = original.shape[:2]
    assert abs(result.height - rows) <= 6 and abs(result.width - cols) <= 6
    assert result.image[:3].mean() > 200 and result.image[:, -3:].mean() > 200, "no dark band left"


def test_clean_pages_keeps_order_and_numbers() -> None:
    pages = [PageImage(number=n, image=upright("form"), dpi=DPI) for n in (1, 2)]
    assert [p.number for p in clean_pages(pages)] == [1, 2]


def test_skewed_sheet_on_dark_scanner_lid_leaves_no_dark_wedges() -> None:
    sheet = upright("form", color=True)
    rows, cols = sheet.shape[:2]
    lid = np.full((rows + 160, cols + 120, 3), 25, np.uint8)
    matrix = cv2.getRotationMatrix2D(((cols - 1) / 2, (rows - 1) / 2), 3.0, 1.0)
    matrix[:, 2] += (60, 80)
    scan = cv2.warpAffine(sheet, matrix, (cols + 120, rows + 160), dst=lid, borderMode=cv2.BORDER_TRANSPARENT)
    result = clean(np.rot90(scan, 2))
    assert (result.rotation, result.skew) == (180, pytest.approx(3.0, abs=0.3))
    grey = cv2.cvtColor(result.image, cv2.COLOR_BGR2GRAY)
    edges = np.concatenate([grey[:5].ravel(), grey[-5:].ravel(), grey[:, :5].ravel(), grey[:, -5:].ravel()])
    assert (edges < 100).mean() < 0.01, "dark border remnants were painted paper-white"
    assert result.height < scan.shape[0] and result.width < scan.shape[1], "the lid was cut away"


@pytest.mark.parametrize("seed", range(8))
def test_a_one_line_image_is_neither_stood_on_end_nor_turned_over(seed):
    # In one line, upright strokes make columns project more sharply than rows, and the
    # upside-down vote of 30-70 letters is noise: both used to turn such strips (13 of 40).
    image, _, dpi = one_line(seed)
    assert image.shape[1] > 3 * image.shape[0]
    result = clean(image, dpi=dpi)
    assert result.rotation == 0


def test_a_page_turned_sideways_is_still_turned_with_the_stricter_rules():
    assert clean(np.rot90(upright("prose"), 1)).rotation == 90


@pytest.mark.parametrize("seed", [2, 6, 23])
def test_an_upside_down_card_back_with_few_letters_is_still_turned_over(seed):
    # Under 200 letters, but several lines: only a one-line strip needs the clearer vote.
    from sohoa_dev.synth.forms import make_form_sample

    card = make_form_sample("cccd", seed, "dev")
    assert card.turns[1] == 2
    result = clean(card.pages[1], dpi=card.dpi)
    assert result.rotation == 180


def _photo(seed: int = 5001):
    """A generated prose page photographed on a desk (``sohoa_dev.synth.photos``)."""
    from sohoa_dev.synth import render_page
    from sohoa_dev.synth.photos import photograph_page

    return photograph_page(render_page(seed, "dev", "prose", 150), seed)


def test_a_photographed_sheet_is_cut_from_the_desk_and_squared() -> None:
    from ocr_service.pipeline.flatten import flatten

    photo = _photo()
    page = PageImage(number=1, image=photo.image, dpi=photo.dpi, dpi_source="estimated")
    flat = flatten(page)
    # A4 again, no desk left round it, and its resolution now the sheet's own, not the frame's.
    assert flat.height / flat.width == pytest.approx(297 / 210, abs=0.06)
    grey = cv2.cvtColor(flat.image, cv2.COLOR_BGR2GRAY)
    border = np.concatenate([grey[:4].ravel(), grey[-4:].ravel(), grey[:, :4].ravel(),
                             grey[:, -4:].ravel()])
    assert np.median(border) > 150 > float(np.median(cv2.cvtColor(photo.image[:8],
                                                                   cv2.COLOR_BGR2GRAY)))
    assert flat.dpi == pytest.approx(flat.height / 11.69, abs=0.1) and flat.dpi < photo.dpi
    # Clean-up flattens first: what is left to straighten is a slip of the corners, not a turn.
    cleaned = clean_page(page)
    assert abs(cleaned.skew) < 1.0 and cleaned.rotation == 0


def test_a_scan_or_a_photo_without_a_desk_round_it_is_not_flattened() -> None:
    from ocr_service.pipeline.flatten import flatten

    photo = _photo()
    stated = PageImage(number=1, image=photo.image, dpi=photo.dpi)  # a resolution the file gave
    assert flatten(stated) is stated
    filled = PageImage(number=1, image=np.ascontiguousarray(upright("form", color=True)), dpi=DPI,
                       dpi_source="estimated")  # the page fills the frame
    assert flatten(filled) is filled
