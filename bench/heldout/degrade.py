"""This generator's own ways of spoiling a page (not ``sohoa_dev.synth.degrade``'s).

Levels: ``clean`` (as rastered, light JPEG), ``scan`` (paper tone, blur, sensor noise, a slight
skew, JPEG), ``photocopy`` (toner: contrast pushed, strokes thickened or thinned, speckle, dark
bands at the edges, JPEG q30-50). Any level may also get a slight perspective (a page not flat
on the glass, or photographed). Deterministic by seed.
"""

from __future__ import annotations

import random
from typing import Literal

import cv2
import numpy as np

Level = Literal["clean", "scan", "photocopy"]
LEVELS: tuple[Level, ...] = ("clean", "scan", "photocopy")


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _perspective(image: np.ndarray, rng: random.Random, amount: float) -> np.ndarray:
    h, w = image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = [(rng.uniform(-amount, amount) * w, rng.uniform(-amount, amount) * h) for _ in src]
    dst = np.float32([[x + dx, y + dy] for (x, y), (dx, dy) in zip(src, jitter)])
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                               borderValue=(235, 235, 235))


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderValue=(240, 240, 240))


def spoil(image: np.ndarray, level: Level, seed: int, dpi: int) -> np.ndarray:
    """The page at ``level``; the same arguments always give the same pixels."""
    rng = random.Random(f"heldout-degrade:{level}:{seed}")
    noise = np.random.default_rng(rng.randrange(2**32))
    out = image.astype(np.float32)
    if level == "scan":
        tone = np.array([rng.uniform(225, 245), rng.uniform(232, 250), rng.uniform(235, 252)])
        out = out / 255.0 * tone  # paper is not white
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8) * dpi / 200)
        out += noise.normal(0, rng.uniform(2, 6), out.shape[:2])[..., None]
        out = _rotate(np.clip(out, 0, 255).astype(np.uint8), rng.uniform(-0.8, 0.8))
        out = out.astype(np.float32)
    elif level == "photocopy":
        gray = cv2.cvtColor(out.astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float32)
        gray = cv2.GaussianBlur(gray, (0, 0), rng.uniform(0.5, 1.0) * dpi / 200)
        gray = (gray - 128) * rng.uniform(1.4, 2.0) + 128 + rng.uniform(-10, 15)
        gray = np.clip(gray, 0, 255).astype(np.uint8)
        kernel = np.ones((2, 2), np.uint8)
        if dpi >= 200:
            gray = cv2.erode(gray, kernel) if rng.random() < 0.6 else cv2.dilate(gray, kernel)
        speckle = noise.random(gray.shape) < rng.uniform(0.0005, 0.002)
        gray[speckle] = noise.integers(0, 90, int(speckle.sum()))
        band = int(rng.uniform(0.005, 0.02) * gray.shape[1])
        gray[:, :band] = np.minimum(gray[:, :band], 60)
        out = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR).astype(np.float32)
        out = _rotate(out.astype(np.uint8), rng.uniform(-1.0, 1.0)).astype(np.float32)
    page = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        page = _perspective(page, rng, 0.012)
    quality = {"clean": rng.randint(75, 92), "scan": rng.randint(45, 80),
               "photocopy": rng.randint(30, 50)}[level]
    return _jpeg(page, quality)
