"""Make a clean rendered page look like it came through an office scanner.

Real scans are slightly out of focus, noisy, on off-white paper, a little skewed and shifted, and
have been through JPEG at least once; an OCR figure measured on perfect renders flatters the
engine. Each step is small and seeded, so a page and its degradation are reproducible. Rotation
and translation move the text: ``degrade_page`` moves the ground-truth boxes with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from ocr_service.domain import Quad
from sohoa_dev.synth.render import SynthPage

Strength = Literal["light", "scan", "heavy"]


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
}


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


def _jpeg(image: np.ndarray, rng: np.random.Generator, r: Ranges) -> np.ndarray:
    quality = int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def degrade_with_matrix(image: np.ndarray, seed: int, strength: Strength = "scan",
                        dpi: float = 200) -> tuple[np.ndarray, np.ndarray]:
    """Degrade a BGR page; also return the affine matrix that moved its content."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("degrade expects an H x W x 3 uint8 BGR image")
    ranges = STRENGTHS[strength]
    rng = np.random.default_rng(seed)
    matrix = _placement(image.shape, dpi, rng, ranges)
    out, paper = _paper_and_contrast(image, rng, ranges)
    out = _warp(out, matrix, paper)
    out = _noise(_blur(out, rng, ranges), rng, ranges)
    return _jpeg(np.clip(out, 0, 255).round().astype(np.uint8), rng, ranges), matrix


def degrade(image: np.ndarray, seed: int, strength: Strength = "scan",
            dpi: float = 200) -> np.ndarray:
    """A scan-like copy of a BGR page: same size and dtype, deterministic for a seed."""
    return degrade_with_matrix(image, seed, strength, dpi)[0]


def _move(box: Quad, matrix: np.ndarray) -> Quad:
    points = np.hstack([np.array(box, dtype=np.float64), np.ones((4, 1))]) @ matrix.T
    return tuple((float(x), float(y)) for x, y in points)  # type: ignore[return-value]


def degrade_page(page: SynthPage, seed: int, strength: Strength = "scan") -> SynthPage:
    """``degrade`` a rendered page and move its ground-truth boxes with its text."""
    image, matrix = degrade_with_matrix(page.image, seed, strength, page.dpi)
    lines = tuple((text, _move(box, matrix)) for text, box in page.lines)
    return dataclasses.replace(page, image=image, lines=lines)
