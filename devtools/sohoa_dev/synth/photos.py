"""A page photographed with a phone at the counter, instead of scanned.

The clerk lays the paper on the desk and takes it from above, a little off square: the sheet
shows as a quadrilateral (perspective, a few degrees of turn) on the desk's colour, lit unevenly
(a lamp on one side, the phone's own shadow), a little out of focus, and saved as a JPEG by a
camera that writes no real resolution. Everything is seeded; the ground-truth boxes follow the
text through the perspective.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ocr_service.pipeline.intake import A4_LONG_SIDE_INCHES
from sohoa_dev.synth.degrade import jpeg_again
from sohoa_dev.synth.render import SynthPage

DESKS = ((58, 84, 118), (96, 98, 102), (70, 62, 52), (40, 40, 44), (150, 160, 168))
"""BGR of desks a page is photographed on: wood, grey laminate, dark blue, black, pale grey."""


def camera_dpi(long_side_px: int) -> int:
    """What intake makes of a photo's resolution, whole: the frame's long side taken as A4's."""
    return round(long_side_px / A4_LONG_SIDE_INCHES)


def _corners(width: int, height: int, frame: tuple[int, int],
             rng: np.random.Generator) -> np.ndarray:
    """Where the page's corners land in the frame: centred, turned a little, each corner pulled
    in or out by up to 4 % of the page's height (the phone not held square)."""
    frame_w, frame_h = frame
    scale = rng.uniform(0.8, 0.9) * min(frame_w / width, frame_h / height)
    angle = np.deg2rad(rng.uniform(-4, 4))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    page = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    placed = (page - [width / 2, height / 2]) * scale @ rotate.T + [frame_w / 2, frame_h / 2]
    placed += rng.uniform(-0.04, 0.04, (4, 2)) * height * scale
    return placed.astype(np.float32)


def _light(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Uneven light: a gradient across the frame and a soft shadow, as a 0.55-1.0 gain."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (xs / width - 0.5) * np.cos(direction) + (ys / height - 0.5) * np.sin(direction)
    gain = 1.0 - rng.uniform(0.1, 0.3) * (ramp + 0.5)
    if rng.random() < 0.6:  # the phone's (or the clerk's) shadow, a soft blob
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        radius = rng.uniform(0.15, 0.35) * height
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius ** 2))
        gain -= rng.uniform(0.1, 0.2) * blob
    return np.clip(gain, 0.55, 1.0)


def photograph_page(page: SynthPage, seed: int) -> SynthPage:
    """``page`` as a phone photo: a 3:4 frame holding the sheet in perspective on a desk, lit
    unevenly, slightly blurred and noisy, through JPEG. ``dpi`` becomes what intake estimates
    for a photo without a real resolution (the frame's long side taken as an A4 page's)."""
    rng = np.random.default_rng([seed, 0x9407])
    height, width = page.image.shape[:2]
    frame_h = int(height * rng.uniform(1.05, 1.2))
    frame = (int(frame_h * 0.75), frame_h)
    corners = _corners(width, height, frame, rng)
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    desk = np.asarray(DESKS[int(rng.integers(len(DESKS)))], np.float32)
    desk_image = np.empty((frame_h, frame[0], 3), np.float32)
    desk_image[:] = desk
    desk_image += rng.standard_normal((frame_h, frame[0], 1), dtype=np.float32) * 6
    paper = cv2.warpPerspective(page.image, matrix, frame, flags=cv2.INTER_AREA,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    inside = cv2.warpPerspective(np.full((height, width), 255, np.uint8), matrix, frame,
                                 flags=cv2.INTER_LINEAR) / np.float32(255)
    out = paper.astype(np.float32) * inside[..., None] + desk_image * (1 - inside[..., None])
    out *= _light((frame_h, frame[0]), rng)[..., None]
    out = cv2.GaussianBlur(out, (0, 0), sigmaX=rng.uniform(0.5, 1.3))
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(2, 5))
    image = np.clip(out, 0, 255).round().astype(np.uint8)
    quality = int(rng.integers(75, 93))
    image = jpeg_again(image, quality)
    lines = tuple((text, tuple((float(x), float(y)) for x, y in cv2.perspectiveTransform(
        np.asarray(box, np.float32).reshape(-1, 1, 2), matrix).reshape(-1, 2)))
        for text, box in page.lines)
    return dataclasses.replace(page, image=image, lines=lines,  # type: ignore[arg-type]
                               dpi=camera_dpi(frame_h),
                               dpi_known=False)
