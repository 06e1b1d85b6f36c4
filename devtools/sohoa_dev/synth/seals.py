"""Red seals and signatures stamped over a page's text, as agencies stamp certified copies.

A Vietnamese agency's seal is a red ring, about 36 mm across, with the agency's name in
capitals round its upper arc, its place round the lower one and a star in the middle; it is
stamped half over the signature and the text beside it, and the signature is written in blue
or black ink across it all. Neither is text of the page: the ground truth stays the printed
lines, and an engine that reads the seal's words, or loses the letters under it, pays for it.
"""

from __future__ import annotations

import dataclasses
import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw

from sohoa_dev.synth.render import FAMILIES, SynthPage, _font, font_path, mm_to_px

SEAL_RED = (38, 30, 200)
"""BGR of seal ink (a stamp pad's red: strong red, a little blue)."""
SEAL_AGENCIES = ("ỦY BAN NHÂN DÂN", "CÔNG AN", "PHÒNG CÔNG CHỨNG SỐ 2", "TRƯỜNG THCS HÒA BÌNH",
                 "BỆNH VIỆN ĐA KHOA")
SEAL_PLACES = ("XÃ TÂN PHÚ", "PHƯỜNG BA ĐÌNH", "TỈNH LÂM ĐỒNG", "XÃ YÊN THẾ", "TP. HỒ CHÍ MINH")
INKS = ((150, 60, 20), (40, 30, 30))
"""BGR of a ballpoint signature: blue, or black."""


def _arc_text(draw: ImageDraw.ImageDraw, centre: float, radius: float, text: str, font,
              upper: bool, image: Image.Image) -> None:
    """Each letter of ``text`` round the circle, upright to the rim: over the top for the upper
    arc, along the bottom (read left to right) for the lower."""
    spread = min(math.pi * 0.85, 1.1 * len(text) * font.size / radius)
    for index, char in enumerate(text):
        share = (index + 0.5) / len(text) - 0.5
        angle = (-math.pi / 2 + share * spread) if upper else (math.pi / 2 - share * spread)
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        tile = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(tile).text((font.size, font.size), char, fill=255, font=font, anchor="mm")
        turn = -math.degrees(angle) - 90 if upper else -math.degrees(angle) + 90
        tile = tile.rotate(turn, resample=Image.BICUBIC)
        image.paste(255, (int(x - font.size), int(y - font.size)), tile)


def seal_mask(rng: random.Random, dpi: int) -> np.ndarray:
    """A seal's ink as a 0-1 float mask, square, its diameter 34-40 mm at ``dpi``."""
    size = mm_to_px(rng.uniform(34, 40), dpi)
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    ring = max(2, size // 60)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=255, width=ring)
    inner = size * 0.29
    draw.ellipse((size / 2 - inner, size / 2 - inner, size / 2 + inner, size / 2 + inner),
                 outline=255, width=max(1, ring // 2))
    star = [(size / 2 + (size * (0.12 if k % 2 == 0 else 0.05)) * math.cos(math.pi / 2 + k * math.pi / 5),
             size / 2 - (size * (0.12 if k % 2 == 0 else 0.05)) * math.sin(math.pi / 2 + k * math.pi / 5))
            for k in range(10)]
    draw.polygon(star, fill=255)
    path = font_path(rng.choice(FAMILIES[:2]), "bold")
    font = _font(path, max(8, size // 12))
    _arc_text(draw, size / 2, size * 0.39, rng.choice(SEAL_AGENCIES), font, True, image)
    _arc_text(draw, size / 2, size * 0.39, rng.choice(SEAL_PLACES), font, False, image)
    mask = np.asarray(image, dtype=np.float32) / 255.0
    # A stamp never inks evenly: the pad leaves lighter patches.
    patches = cv2.resize(np.asarray([[rng.uniform(0.55, 1.0) for _ in range(6)] for _ in range(6)],
                                    dtype=np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    return mask * np.clip(patches, 0.4, 1.0)


def signature_mask(rng: random.Random, width: int, height: int) -> np.ndarray:
    """A handwritten flourish: smooth loops running across a ``width`` x ``height`` box."""
    mask = np.zeros((height, width), np.float32)
    t = np.linspace(0.0, 1.0, 240)
    loops, swing, phase = rng.uniform(3, 6), rng.uniform(0.03, 0.08), rng.uniform(0, math.pi)
    x = width * (0.05 + 0.9 * t + swing * np.sin(2 * math.pi * loops * t + phase))
    y = height * (0.5 + 0.35 * np.cos(2 * math.pi * loops * t) * (1 - 0.4 * t))
    curve = np.stack([x, y], axis=1).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(mask, [curve], False, 1.0, thickness=max(2, height // 40), lineType=cv2.LINE_AA)
    return mask


def _lay(image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int], x: int, y: int,
         opacity: float) -> None:
    """Ink ``mask`` on ``image`` at (x, y), in place, multiplied like ink over print."""
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(image.shape[1], x + w), min(image.shape[0], y + h)
    if x0 >= x1 or y0 >= y1:
        return
    alpha = (mask[y0 - y:y1 - y, x0 - x:x1 - x] * opacity)[..., None]
    tint = np.asarray(colour, np.float32) / 255.0
    area = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(area * (1 - alpha + alpha * tint), 0, 255).astype(np.uint8)


def stamp_seal(page: SynthPage, seed: int) -> SynthPage:
    """``page`` with a red seal and a signature over text in its lower half, where the
    signature block of a certified copy sits; the text and its boxes are unchanged."""
    rng = random.Random(f"sohoa-seal:{page.pool}:{seed}")
    image = page.image.copy()
    seal = seal_mask(rng, page.dpi)
    height, width = image.shape[:2]
    boxes = [np.asarray(box) for _, box in page.lines]
    lower = [b for b in boxes if b[:, 1].min() > height * 0.45] or boxes
    target = rng.choice(lower)
    cx = int(rng.uniform(target[:, 0].min(), target[:, 0].max()))
    cx = min(max(cx, width // 3), width - seal.shape[1] // 2)
    cy = int(target[:, 1].mean())
    _lay(image, seal, SEAL_RED, cx - seal.shape[1] // 2, cy - seal.shape[0] // 2,
         rng.uniform(0.7, 0.95))
    sign_w, sign_h = int(seal.shape[1] * 1.2), int(seal.shape[0] * 0.45)
    _lay(image, signature_mask(rng, sign_w, sign_h), rng.choice(INKS),
         cx - sign_w // 3, cy - sign_h // 2 + int(rng.uniform(-0.2, 0.2) * sign_h), 0.9)
    return dataclasses.replace(page, image=image)
