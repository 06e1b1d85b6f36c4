"""A second look at tone marks, at the page's own resolution.

The fast reader sees a line 32 pixels high (``context.HEIGHT``): a 300 dpi line is shrunk about
2.5 times before it is read, and a tone mark stacked on a circumflex ("ố" against "ổ", "ế"
against "ể") is left with two or three pixels. That is where its errors on clean prose are:
"đối" read "đổi", "kiểm" read "kiếm", "Ủy" read "Uy" (measured on ``dev`` pages, where
tesseract, which reads at full resolution, gets these right).

``ToneJudge`` cuts each vowel the reader is unsure of, and each circumflex letter it read with an
acute or a hook above, out of the page at full resolution, around where the reader placed it, and a small classifier (``sohoa-tone-vi``, trained by
``training/train_tones.py`` on rendered lines, never on the held-out generators) names its tone.
The reader's tone is replaced only when the classifier is sure; the letter and its other marks
(circumflex, breve, horn) stay the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ...domain import Quad
from ...lexicon import syllables
from ...lexicon.syllables import Tone
from .recognize import CharHit, LineReading, bounds, make_reading

TONES = (Tone.NGANG, Tone.HUYEN, Tone.SAC, Tone.HOI, Tone.NGA, Tone.NANG)
"""The classifier's classes, in its output order: no mark, grave (huyền), acute (sắc), hook
above (hỏi), tilde (ngã), dot below (nặng)."""

CROP_HEIGHT, CROP_WIDTH = 64, 48
_ABOVE, _BELOW, _HALF_WIDTH = 0.3, 0.3, 0.5
"""A crop spans the line box's height plus ``_ABOVE`` of it above and ``_BELOW`` below, and
``_HALF_WIDTH`` box heights each side of the letter's centre. The detector's box of a line
without descenders ends near the baseline, and a first classifier, whose crops reached only 0.05
below, took "hộ" for "hô" there (its dot below out of the crop); a capital's mark can rise past
the box as well."""

CONFIRM_SHIFT = 0.3
"""How far right (in box heights) the crop that confirms a tone's removal is cut."""


def split_tone(char: str) -> tuple[str, int] | None:
    """``(letter without its tone, tone class)`` of a Vietnamese vowel, or None for anything else
    ("ổ" -> ("ô", 3); "Ủ" -> ("U", 3); "d" -> None)."""
    split = syllables.split_tone(char) if len(char) == 1 else None
    if split is None or split[0].lower() not in syllables.VOWELS:
        return None
    return split[0], TONES.index(split[1])


def toned(letter: str, tone: int) -> str:
    """``letter`` (a vowel without tone) carrying tone class ``tone``, NFC."""
    return syllables.place_tone(letter, TONES[tone], 0)


def tone_crop(grey: np.ndarray, box: tuple[float, float, float, float],
              centre: float) -> np.ndarray:
    """The ink map (1 = ink) of one letter and its marks, ``CROP_HEIGHT`` x ``CROP_WIDTH``: the
    part of ``grey`` around page x ``centre`` of a line whose bounds are ``box``, the page's paper
    shade outside the page. Contrast is stretched between the crop's paper and its darkest ink,
    so photocopies and pale scans look alike to the classifier."""
    x0, y0, x1, y1 = box
    h = max(1.0, y1 - y0)
    top, bottom = int(np.floor(y0 - _ABOVE * h)), int(np.ceil(y1 + _BELOW * h))
    left, right = int(np.floor(centre - _HALF_WIDTH * h)), int(np.ceil(centre + _HALF_WIDTH * h))
    sy0, sy1 = max(0, top), min(grey.shape[0], bottom)
    sx0, sx1 = max(0, left), min(grey.shape[1], right)
    inside = grey[sy0:sy1, sx0:sx1] if sy1 > sy0 and sx1 > sx0 else np.full((1, 1), 255, np.uint8)
    crop = np.full((bottom - top, right - left), int(np.percentile(inside, 90)), np.uint8)
    if sy1 > sy0 and sx1 > sx0:
        crop[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = inside
    interpolation = cv2.INTER_AREA if crop.shape[0] > CROP_HEIGHT else cv2.INTER_LINEAR
    small = cv2.resize(crop, (CROP_WIDTH, CROP_HEIGHT), interpolation=interpolation)
    small = small.astype(np.float32)
    paper, ink = np.percentile(small, 90), small.min()
    return np.clip((paper - small) / max(paper - ink, 24.0), 0.0, 1.0)


@dataclass(frozen=True)
class ToneCall:
    """One vowel the judge looks at again: which line, which character of its reading."""

    line: int
    index: int
    base: str
    tone: int
    box: tuple[float, float, float, float]
    centre: float


def _always_checked(base: str, tone: int) -> bool:
    """A circumflex letter read with an acute or a hook above ("ố", "ể"): the pair the reader
    confuses most, and often at a high probability ("Cổng" read "Cống" above 0.99). Looking at
    them all mended three more words on 60 `dev` pages and spoiled none."""
    return base.lower() in "âêô" and tone in (2, 3)


def vowels_to_check(reading: LineReading, below: float) -> list[tuple[int, str, int]]:
    """``(index, letter without tone, tone)`` of each vowel the reader read with probability
    under ``below``, and of each circumflex letter it read with an acute or a hook above."""
    found = []
    for index, hit in enumerate(reading.chars):
        split = split_tone(hit.char)
        if split is not None and (hit.prob < below or _always_checked(*split)):
            found.append((index, *split))
    return found


def retone(reading: LineReading, changes: dict[int, str]) -> LineReading:
    """``reading`` with the characters at ``changes``' indices replaced (text rebuilt, NFC)."""
    if not changes:
        return reading
    hits = [replace(hit, char=changes[i]) if i in changes else hit
            for i, hit in enumerate(reading.chars)]
    return make_reading(hits)


class ToneJudge:
    """Re-judges the tone of unsure vowels with the ``sohoa-tone-vi`` classifier.

    ``check_below``: vowels the reader read with a lower probability are looked at (the crops
    cost time, and a sure reading is rarely wrong), and the circumflex letters of
    ``vowels_to_check``; ``sure``: the classifier's probability needed to replace the reader's
    tone."""

    def __init__(self, session, check_below: float, sure: float, batch_size: int = 256) -> None:
        self._session = session
        self._check_below = check_below
        self._sure = sure
        self._batch_size = batch_size

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """Tone probabilities (N x 6) of ``crops`` (N x CROP_HEIGHT x CROP_WIDTH ink maps)."""
        out = [self._session.run(["prob"], {"x": crops[i : i + self._batch_size, None]})[0]
               for i in range(0, len(crops), self._batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(TONES)), np.float32)

    def settle(self, grey: np.ndarray, quads: list[Quad],
               readings: list[LineReading]) -> list[LineReading]:
        """``readings`` of ``quads`` on ``grey`` with the tones the classifier is sure of.

        Taking a tone away needs a second crop, ``CONFIRM_SHIFT`` box heights to the right, to
        see no mark either: the reader's position of a letter (its CTC peak) can drift left by
        up to a letter near a line's end, and a crop centred on the letter before names that
        letter's tone (``dev`` forms: "Hưu trí" -> "Hưu tri", "chủ hộ:" -> "chủ hô:")."""
        calls: list[ToneCall] = []
        crops: list[np.ndarray] = []
        for line, (quad, reading) in enumerate(zip(quads, readings)):
            box = bounds(quad)
            for index, base, tone in vowels_to_check(reading, self._check_below):
                hit: CharHit = reading.chars[index]
                centre = (hit.x0 + hit.x1) / 2
                crops.append(tone_crop(grey, box, centre))
                calls.append(ToneCall(line, index, base, tone, box, centre))
        if not calls:
            return readings
        probs = self.probabilities(np.stack(crops))
        verdicts = [(call, int(np.argmax(p))) for call, p in zip(calls, probs)
                    if int(np.argmax(p)) != call.tone and float(np.max(p)) >= self._sure]
        removals = [n for n, (_, best) in enumerate(verdicts) if best == 0]
        if removals:
            shifted = np.stack([
                tone_crop(grey, c.box, c.centre + CONFIRM_SHIFT * (c.box[3] - c.box[1]))
                for c in (verdicts[n][0] for n in removals)])
            unconfirmed = {n for n, p in zip(removals, self.probabilities(shifted))
                           if int(np.argmax(p)) != 0}
            verdicts = [v for n, v in enumerate(verdicts) if n not in unconfirmed]
        changes: dict[int, dict[int, str]] = {}
        for call, best in verdicts:
            changes.setdefault(call.line, {})[call.index] = toned(call.base, best)
        return [retone(reading, changes.get(line, {})) for line, reading in enumerate(readings)]
