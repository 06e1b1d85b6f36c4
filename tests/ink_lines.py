"""Lines of text drawn in a real face, with the detector-like box and the reading a reader
would give of them: what the tests of the second looks at the ink (``stops``, ``dashes``) judge."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.pipeline.ocr.recognize import CharHit, make_reading
from sohoa_dev.synth.render import installed_font

SIZE = 40  # pixels: 12 pt at 240 dpi


def line(text: str, box_text: str, font_file: str = "LiberationSerif-Regular.ttf"
         ) -> tuple[np.ndarray, tuple]:
    """A grey strip with ``text`` drawn, and the detector-like box of its first ``box_text``
    characters (ink-tight, its right edge cut into the last mark by a pixel)."""
    path = installed_font(font_file)
    if path is None:
        pytest.skip(f"{font_file} not installed")
    font = ImageFont.truetype(str(path), SIZE)
    image = Image.new("L", (1400, 3 * SIZE), 255)
    draw = ImageDraw.Draw(image)
    draw.text((20, 2 * SIZE), text, font=font, fill=0, anchor="ls")
    x0, y0, x1, y1 = draw.textbbox((20, 2 * SIZE), box_text, font=font, anchor="ls")
    top = 2 * SIZE - SIZE * 0.8
    quad = ((x0, top), (x1 - 1, top), (x1 - 1, y1), (x0, y1))
    return np.asarray(image), quad


def reading_of(text: str, read_as: str, font_file: str = "LiberationSerif-Regular.ttf"):
    """A reader's reading ``read_as`` of the line ``text`` as ``line`` draws it: one character
    hit per character, placed where the font put the drawn character."""
    assert len(read_as) == len(text)
    font = ImageFont.truetype(str(installed_font(font_file)), SIZE)
    return make_reading([CharHit(char, 0.9, 20 + font.getlength(text[:i]),
                                 20 + font.getlength(text[: i + 1]))
                         for i, char in enumerate(read_as)])


def shrunk(text: str, read_as: str, font_file: str, shrink: int):
    """``line`` and ``reading_of``, the page scaled down ``shrink`` times (300 dpi to 100)."""
    grey, quad = line(text, text, font_file)
    grey = np.asarray(Image.fromarray(grey).resize((grey.shape[1] // shrink,
                                                    grey.shape[0] // shrink), Image.LANCZOS))
    quad = tuple((x / shrink, y / shrink) for x, y in quad)
    hits = [replace(hit, x0=hit.x0 / shrink, x1=hit.x1 / shrink)
            for hit in reading_of(text, read_as, font_file).chars]
    return grey, quad, make_reading(hits)
