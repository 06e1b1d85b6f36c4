"""Make a clean rendered page look like it came through an office scanner or copier.

Real scans are slightly out of focus, noisy, on off-white paper, a little skewed and shifted, and
have been through JPEG at least once; an OCR figure measured on perfect renders flatters the
engine. Many dossier papers are photocopies: hard contrast, strokes fattened or thinned by the
toner, specks and drum streaks (``photocopy``, shared with the training lines). Each step is small
and seeded, so a page and its degradation are reproducible. Rotation and translation move the
text: ``degrade_page`` moves the ground-truth boxes with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, get_args

import cv2
import numpy as np

from ocr_service.domain import Quad
from sohoa_dev.synth.render import SynthPage, pt_to_px

Strength = Literal["light", "scan", "heavy", "jpeg", "photocopy", "fax"]
"""How a page is degraded: three scanner strengths, a scan saved hard ("jpeg": as "scan", then
JPEG quality 30-50, as upload portals, e-mail and chat apps squeeze a scan), an office photocopy
(placed on the glass as a "scan" is, then copied instead of blurred, tinted and noised), or a fax
(fed in as a "scan" is, sent at fax resolution in black and white)."""


@dataclass(frozen=True)
class Ranges:
    """Upper bounds of each degradation; a page draws each amount uniformly below its bound."""

    blur_sigma: float
    noise_sigma: float
    contrast_loss: float
    """Fraction by which the ink-to-paper contrast may shrink."""
    tint: float
    """Largest drop of a paper colour channel below white, 0-255."""
    rotation_deg: float
    shift_mm: float
    jpeg_quality: tuple[int, int]


STRENGTHS: dict[Strength, Ranges] = {
    "light": Ranges(0.6, 2.0, 0.05, 6.0, 0.3, 1.0, (85, 95)),
    "scan": Ranges(1.0, 6.0, 0.20, 18.0, 1.5, 3.0, (60, 90)),
    "heavy": Ranges(1.6, 12.0, 0.35, 30.0, 1.5, 5.0, (45, 70)),
    "jpeg": Ranges(1.0, 6.0, 0.20, 18.0, 1.5, 3.0, (30, 50)),
}
COPY_PLACEMENT: Strength = "scan"
"""The ranges whose rotation and shift place a photocopied page."""


def _paper_and_contrast(image: np.ndarray, rng: np.random.Generator,
                        r: Ranges) -> tuple[np.ndarray, np.ndarray]:
    """Tint the paper (yellowish: blue drops most), lift the ink, shift the brightness a little.

    Returns the new image (float) and its paper colour (B, G, R).
    """
    paper = 255.0 - rng.uniform(0, r.tint) * np.array([1.0, 0.55, 0.35])
    ink = rng.uniform(0, 255 * r.contrast_loss)
    brightness = rng.uniform(-1, 1) * 50 * r.contrast_loss
    scale = ((paper - ink) / 255.0).astype(np.float32)
    return image.astype(np.float32) * scale + np.float32(ink + brightness), paper + brightness


def _blur(image: np.ndarray, rng: np.random.Generator, r: Ranges) -> np.ndarray:
    sigma = rng.uniform(0.3, r.blur_sigma)
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma)


def _noise(image: np.ndarray, rng: np.random.Generator, r: Ranges) -> np.ndarray:
    sigma = rng.uniform(0.5, r.noise_sigma)
    return image + rng.normal(0.0, sigma, size=image.shape[:2])[:, :, None].astype(np.float32)


def _placement(shape: tuple[int, ...], dpi: float, rng: np.random.Generator,
               r: Ranges) -> np.ndarray:
    """The 2 x 3 affine matrix of a small rotation about the centre plus a small shift."""
    height, width = shape[:2]
    angle = rng.uniform(-r.rotation_deg, r.rotation_deg)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[:, 2] += rng.uniform(-r.shift_mm, r.shift_mm, size=2) / 25.4 * dpi
    return matrix


def _warp(image: np.ndarray, matrix: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Apply the placement; the corners it uncovers take the paper colour."""
    return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(map(float, paper)))


def jpeg_again(image: np.ndarray, quality: int, read_as: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """``image`` through JPEG at ``quality``, decoded as ``read_as`` (colour or grey); also a
    phone photo's save (``photos``)."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, read_as)


def _jpeg(image: np.ndarray, rng: np.random.Generator, r: Ranges) -> np.ndarray:
    quality = int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1))
    return jpeg_again(image, quality, cv2.IMREAD_COLOR)


def _fed(grey: np.ndarray, rng: np.random.Generator, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """A grey page as a copier's glass or a fax's feeder takes it: with a scan's skew and
    shift, white where the sheet is not; and the matrix that moved it."""
    matrix = _placement(grey.shape, dpi, rng, STRENGTHS[COPY_PLACEMENT])
    return _warp(grey, matrix, np.array([255.0])), matrix


def _copy(image: np.ndarray, rng: np.random.Generator, dpi: float,
          body_pt: float) -> tuple[np.ndarray, np.ndarray]:
    """A page laid on a copier's glass (``_fed``), then ``photocopy``."""
    placed, matrix = _fed(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), rng, dpi)
    copied = photocopy(placed, rng, pt_to_px(body_pt, dpi))
    return cv2.cvtColor(copied, cv2.COLOR_GRAY2BGR), matrix


FAX_DPI = (204.0, 98.0)
"""A standard-resolution fax: 204 dots an inch across, 98 lines an inch down."""


def _fax(image: np.ndarray, rng: np.random.Generator, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """A page fed into a fax (``_fed``) and received: sampled at ``FAX_DPI``, each dot black or
    white, lines now and then lost or smeared by the line, then printed back at the page's
    size."""
    placed, matrix = _fed(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32), rng, dpi)
    height, width = placed.shape
    fine = rng.random() < 0.3  # "fine" mode sends 196 lines an inch
    size = (max(1, round(width * FAX_DPI[0] / dpi)),
            max(1, round(height * FAX_DPI[1] * (2 if fine else 1) / dpi)))
    sampled = cv2.resize(placed, size, interpolation=cv2.INTER_AREA)
    sampled += rng.standard_normal(sampled.shape, dtype=np.float32) * np.float32(rng.uniform(4, 12))
    dots = np.where(sampled < rng.uniform(120, 175), 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(0, 4))):  # a line lost, or smeared black, on the wire
        row = int(rng.integers(0, dots.shape[0]))
        dots[row] = 255 if rng.random() < 0.7 else np.minimum(dots[row], dots[row - 1])
    received = cv2.resize(dots, (width, height), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(received, cv2.COLOR_GRAY2BGR), matrix


def degrade_with_matrix(image: np.ndarray, seed: int, strength: Strength = "scan",
                        dpi: float = 200, body_pt: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Degrade a BGR page; also return the affine matrix that moved its content. ``body_pt``,
    the page's type size, matters only to a photocopy: toner thins strokes of large type."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("degrade expects an H x W x 3 uint8 BGR image")
    if strength not in get_args(Strength):
        raise ValueError(f"strength must be one of {get_args(Strength)}, not {strength!r}")
    rng = np.random.default_rng(seed)
    if strength == "photocopy":
        return _copy(image, rng, dpi, body_pt)
    if strength == "fax":
        return _fax(image, rng, dpi)
    ranges = STRENGTHS[strength]
    matrix = _placement(image.shape, dpi, rng, ranges)
    out, paper = _paper_and_contrast(image, rng, ranges)
    out = _warp(out, matrix, paper)
    out = _noise(_blur(out, rng, ranges), rng, ranges)
    return _jpeg(np.clip(out, 0, 255).round().astype(np.uint8), rng, ranges), matrix


def jpeg_grey(image: np.ndarray, quality: int) -> np.ndarray:
    return jpeg_again(image, quality, cv2.IMREAD_GRAYSCALE)


def photocopy(image: np.ndarray, rng: np.random.Generator, font_px: int) -> np.ndarray:
    """An office photocopy: harder contrast, fatter or thinner strokes, toner specks, drum streaks,
    sometimes a hard threshold (copiers' text mode). Nothing moves, so the box stays put."""
    out = image
    stroke = rng.random()
    if stroke < 0.35:  # toner spreads: ink grows (erode takes the darkest neighbour)
        side = 3 if font_px >= 40 and rng.random() < 0.5 else 2
        out = cv2.erode(out, np.ones((side, side), np.uint8))
    elif stroke < 0.6 and font_px >= 24:  # light copy: strokes lose a pixel
        out = cv2.dilate(out, np.ones((2, 2), np.uint8))
    out = out.astype(np.float32)
    if rng.random() < 0.7:
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=rng.uniform(0.3, 0.9))
    paper, ink = rng.uniform(215, 250), rng.uniform(0, 45)
    pivot, gain = rng.uniform(120, 190), rng.uniform(1.2, 2.0)
    out = np.clip((out - pivot) * gain + pivot, 0, 255) * ((paper - ink) / 255) + ink
    height, width = out.shape
    if rng.random() < 0.6:  # drum streaks run along the paper feed, here vertical
        for _ in range(rng.integers(1, 4)):
            x = int(rng.integers(0, width))
            out[:, x:x + int(rng.integers(1, 4))] -= rng.uniform(15, 80)
    if rng.random() < 0.4:  # a broad band of uneven toner
        x, band = int(rng.integers(0, width)), int(rng.integers(width // 20 + 1, width // 4 + 2))
        out[:, x:x + band] -= rng.uniform(5, 20)
    specks = int(height * width * rng.uniform(0.0003, 0.003))
    ys, xs = rng.integers(0, height, specks), rng.integers(0, width, specks)
    out[ys, xs] = np.minimum(out[ys, xs], rng.uniform(0, 90, specks).astype(np.float32))
    if rng.random() < 0.5:  # some specks are 2 x 2
        out[np.minimum(ys + 1, height - 1), xs] = out[ys, xs]
        out[ys, np.minimum(xs + 1, width - 1)] = out[ys, xs]
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(1, 5))
    if rng.random() < 0.3:
        out = np.where(out < rng.uniform(110, 170), ink, paper).astype(np.float32)
    result = np.clip(out, 0, 255).round().astype(np.uint8)
    if rng.random() < 0.5:  # the copy was then scanned
        result = jpeg_grey(result, int(rng.integers(60, 96)))
    return result


def degrade(image: np.ndarray, seed: int, strength: Strength = "scan",
            dpi: float = 200) -> np.ndarray:
    """A scan-like copy of a BGR page: same size and dtype, deterministic for a seed."""
    return degrade_with_matrix(image, seed, strength, dpi)[0]


def _move(box: Quad, matrix: np.ndarray) -> Quad:
    points = np.hstack([np.array(box, dtype=np.float64), np.ones((4, 1))]) @ matrix.T
    return tuple((float(x), float(y)) for x, y in points)  # type: ignore[return-value]


def degrade_page(page: SynthPage, seed: int, strength: Strength = "scan") -> SynthPage:
    """``degrade`` a rendered page and move its ground-truth boxes with its text."""
    image, matrix = degrade_with_matrix(page.image, seed, strength, page.dpi, page.body_pt)
    lines = tuple((text, _move(box, matrix)) for text, box in page.lines)
    return dataclasses.replace(page, image=image, lines=lines)
