"""A second look at tone marks, at the page's own resolution.

The fast reader sees a line 32 pixels high (``context.HEIGHT``): a 300 dpi line is shrunk about
2.5 times before it is read, and a tone mark stacked on a circumflex ("ố" against "ổ", "ế"
against "ể") is left with two or three pixels. That is where its errors on clean prose are:
"đối" read "đổi", "kiểm" read "kiếm", "Ủy" read "Uy" (measured on ``dev`` pages, where
tesseract, which reads at full resolution, gets these right).

``ToneJudge`` cuts each vowel the reader is unsure of, each circumflex letter it read with an
acute, a hook above or no tone, each capital vowel and each "ă" out of the page at full
resolution, around where the reader placed it, and a small classifier (``sohoa-tone-vi``, trained by
``training/train_tones.py`` on rendered lines, never on the held-out generators) names its tone
and its letter mark (breve, circumflex, horn: capitals lose theirs too, "TẬP" read "TẠP"). The
reader's tone or mark is replaced only when the classifier is sure and the word stays a syllable
if it was one. A model without the ``mark`` output (the first ``sohoa-tone-vi``) judges tones
only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from ...domain import Quad
from ...lexicon import syllables
from ...lexicon.syllables import Tone
from .recognize import CharHit, LineReading, bounds, replace_chars

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


@lru_cache(maxsize=4096)
def split_tone(char: str) -> tuple[str, int] | None:
    """``(letter without its tone, tone class)`` of a Vietnamese vowel, or None for anything else
    ("ổ" -> ("ô", 3); "Ủ" -> ("U", 3); "d" -> None). Cached: asked of every character read."""
    split = syllables.split_tone(char) if len(char) == 1 else None
    if split is None or split[0].lower() not in syllables.VOWELS:
        return None
    return split[0], TONES.index(split[1])


def toned(letter: str, tone: int) -> str:
    """``letter`` (a vowel without tone) carrying tone class ``tone``, NFC."""
    return syllables.place_tone(letter, TONES[tone], 0)


MARKS = ("", "\u0306", "\u0302", "\u031b")
"""The mark head's classes, in its output order: none, breve (ă), circumflex (â ê ô), horn
(ơ ư): the marks that make a letter of its own, beside the tone."""
FAMILIES = "aeiouy"


def split_mark(letter: str) -> tuple[str, int]:
    """``(plain vowel, mark class)`` of a vowel without tone: "â" -> ("a", 2), "Ư" -> ("U", 3)."""
    decomposed = unicodedata.normalize("NFD", letter)
    mark = decomposed[1:2]
    return decomposed[0], MARKS.index(mark) if mark in MARKS else 0


def with_mark(plain: str, mark: int) -> str | None:
    """The vowel ``plain`` with mark class ``mark`` ("o", 3 -> "ơ"), or None when Vietnamese has
    no such letter ("e" with a breve)."""
    letter = unicodedata.normalize("NFC", plain + MARKS[mark])
    return letter if letter.lower() in syllables.VOWELS else None


def paper_shade(values: np.ndarray) -> float:
    """The 90th percentile of ``values``, as ``np.percentile(values, 90)`` computes it (linear
    between the two nearest order statistics), without its overhead: taken twice a crop, the
    general function was a quarter of the judge's time."""
    flat = values.ravel()
    position = 0.9 * (flat.size - 1)
    low = int(position)
    high = min(low + 1, flat.size - 1)
    part = np.partition(flat, (low, high))
    a, b, t = float(part[low]), float(part[high]), position - low
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


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
    crop = np.full((bottom - top, right - left), int(paper_shade(inside)), np.uint8)
    if sy1 > sy0 and sx1 > sx0:
        crop[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = inside
    interpolation = cv2.INTER_AREA if crop.shape[0] > CROP_HEIGHT else cv2.INTER_LINEAR
    small = cv2.resize(crop, (CROP_WIDTH, CROP_HEIGHT), interpolation=interpolation)
    small = small.astype(np.float32)
    paper, ink = paper_shade(small), small.min()
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
    them all mended three more words on 60 `dev` pages and spoiled none.

    And every capital vowel: squeezed between the cap height and the top of the line, a
    capital's mark is the one the reader loses even when sure ("MẪU" read "MÂU", "NGÀY" read
    "NGAY" on prose of wording it never saw). Capitals are few on a page, so this costs little.
    And every "ă": a tone over a breve is lost when the reader is sure too ("bằng" read "băng",
    "nằm" read "năm"); 0.008 s a page. And "â", "ê", "ô" read without a tone: a tilde on them
    is lost the same way ("dẫn" read "dân", "Lỗi" read "Lôi" on unseen prose; 3 words mended
    on 80 pages, none spoiled, for 0.02 s a page)."""
    return (base.lower() in "âêô" and tone in (0, 2, 3)) or base.isupper() or base == "ă"


def vowels_to_check(reading: LineReading, below: float) -> list[tuple[int, str, int]]:
    """``(index, letter without tone, tone)`` of each vowel the reader read with probability
    under ``below``, of each circumflex letter it read with an acute, a hook above or no tone,
    of each capital vowel and of each "ă"."""
    found = []
    for index, hit in enumerate(reading.chars):
        split = split_tone(hit.char)
        if split is not None and (hit.prob < below or _always_checked(*split)):
            found.append((index, *split))
    return found


def _word_at(reading: LineReading, index: int) -> range:
    """Indices of the run of letters around ``index`` in ``reading.chars``: its word."""
    chars = reading.chars
    start, end = index, index + 1
    while start > 0 and chars[start - 1].char.isalpha():
        start -= 1
    while end < len(chars) and chars[end].char.isalpha():
        end += 1
    return range(start, end)


def keeps_syllables(reading: LineReading, changes: dict[int, str]) -> dict[int, str]:
    """``changes`` less those that would turn a valid Vietnamese syllable into none.

    A syllable carries one tone: a crop centred between two vowels can name its neighbour's
    mark, and "đội" would become "độị" (``dev`` pages). Words that were no syllable to begin
    with (names of other languages, acronyms, a misread) are left to the classifier."""
    kept = dict(changes)
    for index in changes:
        if index not in kept:
            continue
        word = _word_at(reading, index)
        before = "".join(reading.chars[i].char for i in word)
        after = "".join(changes.get(i, reading.chars[i].char) for i in word)
        if syllables.is_syllable(before) and not syllables.is_syllable(after):
            for i in word:
                kept.pop(i, None)
    return kept


def _best(probs: np.ndarray, allowed: list[int]) -> tuple[int, float]:
    """The likeliest class of ``probs`` among ``allowed``, and its probability renormalised over
    them."""
    kept = probs[allowed]
    kept = kept / max(float(kept.sum()), 1e-9)
    best = int(np.argmax(kept))
    return allowed[best], float(kept[best])


def _sure_choice(probs: np.ndarray, allowed: list[int], sure: float, current: int) -> int:
    """The class ``_best`` names when its probability is at least ``sure``, else ``current``."""
    best, p = _best(probs, allowed)
    return best if p >= sure else current


def marks_of(plain: str) -> list[int]:
    """The mark classes the vowel ``plain`` can take: "a" -> none, breve, circumflex."""
    return [mark for mark in range(len(MARKS)) if with_mark(plain, mark) is not None]


@dataclass(frozen=True)
class Verdict:
    """What the judge settled for one vowel: its tone and letter mark (the reader's where the
    classifier was not sure)."""

    call: ToneCall
    tone: int
    mark: int

    @property
    def char(self) -> str:
        plain, _ = split_mark(self.call.base)
        return toned(with_mark(plain, self.mark) or self.call.base, self.tone)

    @property
    def changes(self) -> bool:
        """Whether the judged letter differs from the reader's."""
        return self.char != toned(self.call.base, self.call.tone)

    def removes(self) -> tuple[bool, bool]:
        """Whether it takes away the reader's tone, and its letter mark."""
        return (self.tone == 0 and self.call.tone != 0,
                self.mark == 0 and split_mark(self.call.base)[1] != 0)


class ToneJudge:
    """Re-judges the tone (and, with a model that has a ``mark`` output, the letter mark:
    breve, circumflex, horn) of unsure vowels with the ``sohoa-tone-vi`` classifier.

    ``check_below``: vowels the reader read with a lower probability are looked at (the crops
    cost time, and a sure reading is rarely wrong), and the circumflex letters and capitals of
    ``vowels_to_check``; ``sure``: the classifier's probability needed to replace the reader's
    tone or mark; ``marks``: whether the model names letter marks too."""

    def __init__(self, session, check_below: float, sure: float, batch_size: int = 256,
                 marks: bool = False) -> None:
        self._session = session
        self._check_below = check_below
        self._sure = sure
        self._batch_size = batch_size
        self._outputs = ["prob", "mark"] if marks else ["prob"]

    @classmethod
    def of_session(cls, session, check_below: float, sure: float) -> ToneJudge:
        """A judge that names letter marks when the model has a ``mark`` output."""
        names = {output.name for output in session.get_outputs()}
        return cls(session, check_below, sure, marks="mark" in names)

    def classify(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Tone probabilities (N x 6) of ``crops`` (N x CROP_HEIGHT x CROP_WIDTH ink maps), and
        letter-mark probabilities (N x 4) when the model names marks."""
        runs = [self._session.run(self._outputs, {"x": crops[i : i + self._batch_size, None]})
                for i in range(0, len(crops), self._batch_size)]
        if not runs:
            return np.zeros((0, len(TONES)), np.float32), None
        tones = np.concatenate([run[0] for run in runs])
        marks = np.concatenate([run[1] for run in runs]) if len(self._outputs) > 1 else None
        return tones, marks

    def _verdicts(self, calls: list[ToneCall], crops: np.ndarray) -> list[Verdict]:
        """The classifier's verdict on each call, the reader's tone and mark where it is not
        sure; only verdicts that change something are returned."""
        tones, marks = self.classify(crops)
        verdicts = []
        for n, call in enumerate(calls):
            plain, mark = split_mark(call.base)
            tone = _sure_choice(tones[n], list(range(len(TONES))), self._sure, call.tone)
            if marks is not None:
                mark = _sure_choice(marks[n], marks_of(plain), self._sure, mark)
            verdicts.append(Verdict(call, tone, mark))
        return [verdict for verdict in verdicts if verdict.changes]

    def _confirmed(self, grey: np.ndarray, verdicts: list[Verdict]) -> list[Verdict]:
        """``verdicts`` whose removals a second crop, ``CONFIRM_SHIFT`` box heights to the right,
        also sees no mark for; an unconfirmed removal keeps the reader's tone or mark."""
        removing = [n for n, v in enumerate(verdicts) if any(v.removes())]
        if not removing:
            return verdicts
        shifted = np.stack([
            tone_crop(grey, c.box, c.centre + CONFIRM_SHIFT * (c.box[3] - c.box[1]))
            for c in (verdicts[n].call for n in removing)])
        tones, marks = self.classify(shifted)
        out = list(verdicts)
        for k, n in enumerate(removing):
            verdict = verdicts[n]
            plain, read_mark = split_mark(verdict.call.base)
            tone_gone, mark_gone = verdict.removes()
            if tone_gone and int(np.argmax(tones[k])) != 0:
                verdict = replace(verdict, tone=verdict.call.tone)
            if mark_gone and marks is not None and _best(marks[k], marks_of(plain))[0] != 0:
                verdict = replace(verdict, mark=read_mark)
            out[n] = verdict
        return [verdict for verdict in out if verdict.changes]

    def settle(self, grey: np.ndarray, quads: list[Quad],
               readings: list[LineReading]) -> list[LineReading]:
        """``readings`` of ``quads`` on ``grey`` with the tones (and letter marks) the classifier
        is sure of.

        Taking a tone or mark away needs a second crop, ``CONFIRM_SHIFT`` box heights to the
        right, to see none either: the reader's position of a letter (its CTC peak) can drift
        left by up to a letter near a line's end, and a crop centred on the letter before names
        that letter's tone (``dev`` forms: "Hưu trí" -> "Hưu tri", "chủ hộ:" -> "chủ hô:")."""
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
        verdicts = self._confirmed(grey, self._verdicts(calls, np.stack(crops)))
        changes: dict[int, dict[int, str]] = {}
        for verdict in verdicts:
            changes.setdefault(verdict.call.line, {})[verdict.call.index] = verdict.char
        return [replace_chars(reading, keeps_syllables(reading, changes.get(line, {})))
                for line, reading in enumerate(readings)]
