"""Samples for the tone classifier (``ocr_service.pipeline.ocr.tones``): vowels cut from rendered
lines exactly where the service's reader places them, labelled with the true tone.

Each line of the line generator (``sohoa_dev.synth.lines``; its ``train`` split for training,
``heldout`` for validation: never the held-out pages of ``bench/``) is read by the service's fast
reader (the judge off) in a box grown like the detector's (``data.grow``); ``--source pages`` and
``forms`` take ``dev`` pages and filled ``dev`` forms in the detector's own boxes
(``data.page_boxes``, ``form_boxes``), which end at the baseline on a line without descenders. The reading is aligned
with the truth letter by letter with all marks left out, so a vowel read with the wrong tone or
letter mark still meets its true letter; each aligned vowel gives one crop (``tones.tone_crop``)
at the reader's position, labelled with its tone and its letter mark (``tones.MARKS``).
Every vowel is kept with its reader's tone and probability, so the judge's thresholds can be
chosen on validation lines as the service will meet them.
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
from dataclasses import dataclass
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.config import get_settings  # noqa: E402
from ocr_service.pipeline.ocr.ppocr import PpocrEngine  # noqa: E402
from ocr_service.domain import Quad  # noqa: E402
from ocr_service.lexicon.syllables import strip_marks  # noqa: E402
from ocr_service.pipeline.ocr.recognize import LineReading, bounds  # noqa: E402
from ocr_service.pipeline.ocr.tones import (  # noqa: E402
    FAMILIES, split_mark, split_tone, tone_crop,
)
from training.data import as_detected, form_boxes, grow, page_boxes  # noqa: E402


@dataclass(frozen=True)
class Vowel:
    """One sample: the crop, the true tone and letter mark, the reader's, its probability and
    the letter's family (index in ``tones.FAMILIES``: which marks it can take)."""

    crop: np.ndarray
    tone: int
    read: int
    prob: float
    mark: int
    read_mark: int
    family: int


def vowels(reading: LineReading, grey: np.ndarray, quad: Quad, text: str) -> list[Vowel]:
    """Each vowel of ``reading`` aligned with one of the true ``text``, letters compared with all
    their marks left out, so a vowel read with the wrong tone or the wrong letter mark ("TẠP" for
    "TẬP") still meets its true letter."""
    hits = [h for h in reading.chars if h.char != " "]
    truth = [c for c in text if c != " "]
    matcher = difflib.SequenceMatcher(None, [strip_marks(t).lower() for t in truth],
                                      [strip_marks(h.char).lower() for h in hits],
                                      autojunk=False)
    box = bounds(quad)
    found = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            true, hit = truth[block.a + k], hits[block.b + k]
            true_split, read_split = split_tone(true), split_tone(hit.char)
            if true_split is None or read_split is None:
                continue
            (plain, mark), (_, read_mark) = split_mark(true_split[0]), split_mark(read_split[0])
            crop = tone_crop(grey, box, (hit.x0 + hit.x1) / 2)
            found.append(Vowel(crop, true_split[1], read_split[1], hit.prob, mark, read_mark,
                               FAMILIES.index(plain.lower())))
    return found


def generated_boxes(seeds: range, split: str
                    ) -> Iterator[tuple[np.ndarray, list[tuple[Quad, str]], str]]:
    """``(strip, [(box, text)], source)`` of the line generator's strips in ``split``, boxes grown
    like the detector's and cut before dot leaders (as ``data.generated_lines``)."""
    from sohoa_dev.synth.lines import line_sample, split_of

    for seed in seeds:
        if split_of(seed) != split:
            continue
        sample = line_sample(seed)
        detected = as_detected(sample.image, sample.box, sample.text)
        if detected is not None:
            quad = grow(detected[0], random.Random(f"grow:{seed}"))
            yield sample.image, [(quad, detected[1])], f"line:{seed}"


def _range(text: str) -> range:
    start, end = (int(v) for v in text.split(":"))
    return range(start, end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="lines", choices=["lines", "pages", "forms"],
                        help="generated line strips, or dev pages or filled dev forms as the "
                             "detector boxes them")
    parser.add_argument("--seeds", required=True, help="START:END of seeds")
    parser.add_argument("--split", default="train", choices=["train", "heldout"],
                        help="lines: the generator's split")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sources = {
        "lines": lambda seeds: generated_boxes(seeds, args.split),
        "pages": page_boxes,
        "forms": form_boxes,
    }
    reader = PpocrEngine(get_settings().model_copy(update={"ocr_tone_model": ""}))._fast
    rows = []
    for grey, lines, _ in sources[args.source](_range(args.seeds)):
        readings = reader.read(grey, [quad for quad, _ in lines])
        for (quad, text), reading in zip(lines, readings):
            rows.extend(vowels(reading, grey, quad, text))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        crops=np.stack([(r.crop * 255).round().astype(np.uint8) for r in rows]),
        tone=np.array([r.tone for r in rows], np.int8),
        read=np.array([r.read for r in rows], np.int8),
        prob=np.array([r.prob for r in rows], np.float32),
        mark=np.array([r.mark for r in rows], np.int8),
        read_mark=np.array([r.read_mark for r in rows], np.int8),
        family=np.array([r.family for r in rows], np.int8),
    )
    wrong = sum(r.tone != r.read for r in rows)
    wrong_mark = sum(r.mark != r.read_mark for r in rows)
    print(f"{args.out}: {len(rows)} vowels, reader's tone wrong on {wrong}, "
          f"its letter mark on {wrong_mark}")


if __name__ == "__main__":
    main()
