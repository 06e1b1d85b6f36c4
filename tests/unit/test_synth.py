"""Synthetic pages: reproducible, NFC, inside the page, and pools that never overlap."""

from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest

from sohoa_dev.synth import degrade, degrade_page, render_page
from sohoa_dev.synth.corpus import (
    ALLOWED_CHARS,
    PROVINCES,
    check_text,
    form_templates,
    paragraphs,
    person,
    spelled_date,
)
from sohoa_dev.synth.render import (
    A4_MM,
    choose_kind,
    covering_families,
    font_path,
    missing_chars,
    mm_to_px,
)

DPI = 150  # small pages keep the tests fast
CASES = [(seed, pool, kind) for seed in (1, 2) for pool in ("dev", "heldout")
         for kind in ("form", "prose")]


@pytest.fixture(scope="module")
def pages() -> dict[tuple[int, str, str], object]:
    return {case: render_page(case[0], case[1], case[2], dpi=DPI) for case in CASES}


def test_rendering_is_deterministic_by_seed(pages) -> None:
    again = render_page(2, "dev", "form", dpi=DPI)
    first = pages[(2, "dev", "form")]
    assert np.array_equal(again.image, first.image)
    assert again.lines == first.lines and again.font == first.font
    assert pages[(1, "dev", "form")].text != first.text


def test_kind_defaults_from_seed() -> None:
    assert {choose_kind(seed, "dev") for seed in range(20)} == {"form", "prose"}
    assert render_page(4, dpi=72).kind == choose_kind(4, "dev")


@pytest.mark.parametrize("case", CASES)
def test_page_is_a4_with_nfc_ground_truth_inside_it(pages, case) -> None:
    page = pages[case]
    height, width = page.image.shape[:2]
    assert (width, height) == (mm_to_px(A4_MM[0], DPI), mm_to_px(A4_MM[1], DPI))
    assert page.image.dtype == np.uint8 and page.image.shape[2] == 3
    assert page.kind == case[2] and page.dpi == DPI
    assert len(page.lines) >= 10
    assert unicodedata.is_normalized("NFC", page.text)
    check_text(page.text)
    for text, box in page.lines:
        assert text.strip()
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        assert 0 <= min(xs) < max(xs) < width and 0 <= min(ys) < max(ys) < height, text
        # there is ink inside every box
        x0, y0, x1, y1 = int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1
        assert page.image[y0:y1, x0:x1].min() < 128, text


def test_forms_have_dot_leaders_and_the_motto(pages) -> None:
    form = pages[(1, "dev", "form")]
    assert form.lines[0][0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert "Độc lập - Tự do - Hạnh phúc" in form.text
    assert "....." in form.text


def test_prose_fills_the_page(pages) -> None:
    prose = pages[(1, "dev", "prose")]
    last_box = prose.lines[-1][1]
    assert last_box[2][1] > 0.85 * prose.image.shape[0]


def test_dev_and_heldout_pools_are_disjoint() -> None:
    dev_forms, held_forms = set(form_templates("dev")), set(form_templates("heldout"))
    dev_text, held_text = set(paragraphs("dev")), set(paragraphs("heldout"))
    assert len(dev_forms) + len(held_forms) >= 15 and len(dev_text) + len(held_text) >= 25
    assert held_forms and held_text
    assert not dev_forms & held_forms and not dev_text & held_text


def test_heldout_pages_use_only_heldout_material() -> None:
    dev_titles = {title for title, _ in paragraphs("dev")}
    held_titles = {title for title, _ in paragraphs("heldout")}
    for seed in range(3):
        text = render_page(seed, "heldout", "prose", dpi=72).text
        assert not any(title in text for title in dev_titles)
        assert any(title in text for title in held_titles)
    with pytest.raises(ValueError):
        render_page(1, "test", "form")  # type: ignore[arg-type]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        render_page(1, dpi=2000)
    with pytest.raises(ValueError):
        render_page(1, kind="table")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_page(1, body_pt=8.0)


def test_fonts_cover_vietnamese_and_coverage_check_catches_gaps() -> None:
    chars = "".join(sorted(ALLOWED_CHARS))
    families = covering_families(chars)
    assert families, "no Vietnamese-capable font installed"
    path = font_path(families[0], "regular")
    assert path is not None
    assert missing_chars(path, chars) == frozenset()
    assert missing_chars(path, "a\U0010fffeb") == frozenset({"\U0010fffe"})


def test_generated_people_are_consistent() -> None:
    codes = {code for _, code, _ in PROVINCES}
    for seed in range(50):
        p = person(random.Random(seed))
        number = p.id_number
        assert len(number) == 12 and number.isdigit() and number[:3] in codes
        century = 0 if p.dob[2] < 2000 else 2
        assert int(number[3]) == century + (p.sex == "Nữ")
        assert number[4:6] == f"{p.dob[2] % 100:02d}"
    assert spelled_date(5, 2, 2025) == "ngày 05 tháng 02 năm 2025"
    assert spelled_date(15, 6, 2025) == "ngày 15 tháng 6 năm 2025"


def test_degrade_keeps_shape_and_dtype_and_is_seeded(pages) -> None:
    page = pages[(2, "heldout", "form")]
    out = degrade(page.image, seed=7)
    assert out.shape == page.image.shape and out.dtype == np.uint8
    assert np.array_equal(out, degrade(page.image, seed=7))
    assert not np.array_equal(out, page.image)
    assert not np.array_equal(out, degrade(page.image, seed=8))
    for strength in ("light", "heavy"):
        assert degrade(page.image, seed=1, strength=strength).shape == page.image.shape


def _blockiness(image: np.ndarray) -> float:
    """Steps across JPEG's 8-pixel block edges against steps elsewhere: above 1 where the
    encoder left blocks."""
    steps = np.abs(np.diff(image[:, :, 1].astype(np.float32), axis=1))
    return float(steps[:, 7::8].mean() / np.delete(steps, np.s_[7::8], axis=1).mean())


def test_a_scan_saved_hard_is_the_same_scan_with_more_jpeg_blocks(pages) -> None:
    """``jpeg`` is ``scan``'s placement, paper, blur and noise (the same draws for one seed),
    saved at quality 30-50 instead of 60-90."""
    page = pages[(1, "dev", "prose")]
    for seed in range(1, 6):
        scanned = degrade(page.image, seed=seed, strength="scan")
        squeezed = degrade(page.image, seed=seed, strength="jpeg")
        assert np.abs(squeezed.astype(int) - scanned.astype(int)).mean() < 4  # same page
        assert _blockiness(squeezed) > _blockiness(scanned)


def test_degrade_page_moves_boxes_with_the_text(pages) -> None:
    page = pages[(2, "heldout", "prose")]
    moved = degrade_page(page, seed=11)
    assert moved.text == page.text and moved.image.shape == page.image.shape
    height, width = page.image.shape[:2]
    for _, box in moved.lines:
        assert all(0 <= x < width and 0 <= y < height for x, y in box)
    # the darkest pixels still sit inside the moved box of the title
    (x0, y0), _, (x1, y1), _ = moved.lines[0][1]
    grey = moved.image.min(axis=2)
    inside = grey[int(y0):int(y1) + 1, int(x0):int(x1) + 1].min()
    assert inside < grey.mean() - 60


def test_a_photocopy_is_grey_seeded_and_keeps_the_text_in_its_moved_boxes(pages) -> None:
    page = pages[(1, "dev", "form")]
    copy = degrade_page(page, seed=5, strength="photocopy")
    assert np.array_equal(copy.image, degrade_page(page, seed=5, strength="photocopy").image)
    assert copy.image.shape == page.image.shape and copy.text == page.text
    assert np.array_equal(copy.image[:, :, 0], copy.image[:, :, 2])  # a copier prints grey
    assert not np.array_equal(copy.image, degrade_page(page, seed=5).image)
    (x0, y0), _, (x1, y1), _ = copy.lines[0][1]
    grey = copy.image[:, :, 0]
    title = grey[int(y0):int(y1) + 1, int(x0):int(x1) + 1]
    assert title.min() < 100 and np.median(grey) > 200  # dark toner on light paper
    with pytest.raises(ValueError):
        degrade(page.image, seed=1, strength="telex")  # type: ignore[arg-type]


def test_a_smaller_body_size_keeps_the_page_and_shrinks_its_lines(pages) -> None:
    """``body_pt`` only changes the type size: same text and font (paragraphs wrap later),
    shorter lines of ink."""
    own = pages[(1, "dev", "prose")]
    small = render_page(1, "dev", "prose", dpi=DPI, body_pt=9.0)
    assert small.font == own.font and small.body_pt == 9.0 and 11.0 <= own.body_pt <= 13.5
    assert [t for t, _ in small.lines][:3] == [t for t, _ in own.lines][:3]

    def height(box) -> float:
        return box[2][1] - box[0][1]

    # 9 pt against the seed's 11-13.5 pt: the first section heading is at least a tenth shorter
    # (9/11 at the most)
    assert height(small.lines[2][1]) < 0.92 * height(own.lines[2][1])


def test_a_seal_is_red_over_text_in_the_lower_half_and_leaves_the_truth() -> None:
    from sohoa_dev.synth.seals import stamp_seal

    page = render_page(2, "dev", "prose", dpi=DPI)
    sealed = stamp_seal(page, seed=7)
    assert np.array_equal(sealed.image, stamp_seal(page, seed=7).image)
    assert sealed.lines == page.lines and sealed.image.shape == page.image.shape
    image = sealed.image.astype(int)
    red = (image[:, :, 2] - np.maximum(image[:, :, 0], image[:, :, 1])) > 60
    ys, xs = np.nonzero(red)
    assert red.sum() > 0.001 * red.size  # a ring, a star and the agency's name round the rim
    assert ys.min() > 0.3 * page.image.shape[0]  # over the lower half's lines, not the title
    under = [box for _, box in page.lines
             if np.asarray(box)[:, 1].min() <= ys.max() and np.asarray(box)[:, 1].max() >= ys.min()]
    assert under  # it covers text
    assert not np.array_equal(sealed.image, stamp_seal(page, seed=8).image)


def test_a_phone_photo_shows_the_sheet_on_a_desk_and_keeps_its_text_in_its_boxes() -> None:
    from sohoa_dev.synth.photos import photograph_page

    page = render_page(1, "dev", "prose", dpi=DPI)
    photo = photograph_page(page, seed=3)
    assert np.array_equal(photo.image, photograph_page(page, seed=3).image)
    height, width = photo.image.shape[:2]
    assert width / height == pytest.approx(0.75, abs=0.01) and height > page.image.shape[0]
    assert not photo.dpi_known and photo.dpi == round(height / 11.69)
    assert photo.text == page.text
    grey = photo.image.mean(axis=2)
    assert np.median(grey[:10]) < 180  # the desk shows above the sheet
    (x0, y0), _, (x1, y1), _ = photo.lines[0][1]
    title = grey[int(min(y0, y1)):int(max(y0, y1)) + 1, int(min(x0, x1)):int(max(x0, x1)) + 1]
    assert title.size and title.min() < 100  # the title's ink is inside its moved box


def test_a_fax_is_black_and_white_at_fax_resolution_and_keeps_the_text_in_its_boxes(pages) -> None:
    page = pages[(1, "dev", "form")]
    fax = degrade_page(page, seed=4, strength="fax")
    assert np.array_equal(fax.image, degrade_page(page, seed=4, strength="fax").image)
    assert fax.image.shape == page.image.shape and fax.text == page.text
    assert set(np.unique(fax.image)) <= {0, 255}  # every dot black or white
    grey = fax.image[:, :, 0]
    rows = grey[1:] != grey[:-1]  # this seed sends 98 lines an inch: 1.5 rows each at 150 dpi
    assert rows.any(axis=1).mean() < 0.75
    (x0, y0), _, (x1, y1), _ = fax.lines[0][1]
    assert grey[int(y0):int(y1) + 1, int(x0):int(x1) + 1].min() == 0
