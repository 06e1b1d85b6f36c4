"""Write the form samples in ``samples/forms/``: documents with the field values to extract.

The form extractor's README demo and tests need files a clerk would upload (JPEG, PNG, scanned
PDF, multi-page TIFF) whose right answers are known. Each ``<form_type>-NN.<ext>`` is written with
``<form_type>-NN.json``, the expected ``{"form_type", "fields"}`` of ``sohoa_dev.synth.forms``;
``unknown-NN`` are documents of other kinds, expected ``"unknown"``.

Samples come from the ``dev`` pool; ``NN`` is the seed, counted up from 1. A seed is skipped
when its file would be large (over ``MAX_BYTES``, plus ``EXTRA_PAGE_BYTES`` for a second page:
a 300 dpi page of scanner noise is about a megabyte, a lossless PNG of an A4 page even more), so
the committed set stays small; the one PNG is the first that fits its own, larger limit. Running
this again gives the same bytes.

    python samples/make_form_samples.py [--out samples/forms]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sohoa_dev.synth.forms import (  # noqa: E402
    FORM_TYPES,
    FormSample,
    make_form_sample,
    make_unknown_sample,
)

PER_TYPE = 10
UNKNOWN = 3
MAX_BYTES = 300_000
EXTRA_PAGE_BYTES = 150_000
MAX_PNG_BYTES = 600_000
MAX_SEED = 200


def expected_json(sample: FormSample) -> str:
    return json.dumps(sample.expected, ensure_ascii=False, indent=2) + "\n"


def _sheets(sample: FormSample) -> int:
    """Pages that count against the size limit: both sides of a card are one small sheet."""
    return 1 if sample.form_type == "cccd" else len(sample.pages)


def _select(make: Callable[[int], FormSample], count: int, png_wanted: list[bool],
            keep_png_slot: bool) -> Iterator[tuple[FormSample, bytes, str]]:
    """The first ``count`` samples, by seed, whose file fits the size limits.

    ``keep_png_slot`` keeps one of the ``count`` for a PNG while none has been taken, so that the
    set holds one whatever the seeds give.
    """
    others = found = 0
    for seed in range(1, MAX_SEED):
        sample = make(seed)
        data, suffix = sample.to_file()
        if suffix == ".png":
            if not png_wanted[0] or len(data) > MAX_PNG_BYTES:
                continue
            png_wanted[0] = False
        elif len(data) > MAX_BYTES + EXTRA_PAGE_BYTES * (_sheets(sample) - 1):
            continue
        elif others == count - (keep_png_slot and png_wanted[0]):
            continue
        else:
            others += 1
        yield sample, data, suffix
        found += 1
        if found == count:
            return
    raise RuntimeError(f"only {found} of {count} samples fit the size limits")


def make(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        if old.is_file():
            old.unlink()
    written: list[Path] = []
    png_wanted = [True]
    makers: list[tuple[str, Callable[[int], FormSample], int]] = [
        (form_type, lambda seed, t=form_type: make_form_sample(t, seed, "dev"), PER_TYPE)
        for form_type in FORM_TYPES
    ]
    makers.append(("unknown", lambda seed: make_unknown_sample(seed, "dev"), UNKNOWN))
    for number, (name, maker, count) in enumerate(makers):
        last = number == len(makers) - 1
        for sample, data, suffix in _select(maker, count, png_wanted, keep_png_slot=last):
            stem = f"{name}-{sample.seed:02d}"
            (out / f"{stem}{suffix}").write_bytes(data)
            (out / f"{stem}.json").write_text(expected_json(sample), encoding="utf-8")
            written += [out / f"{stem}{suffix}", out / f"{stem}.json"]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "forms")
    total = 0
    for path in make(parser.parse_args().out):
        total += path.stat().st_size
        print(f"{path.stat().st_size:>9,d}  {path}")
    print(f"{total:>9,d}  in all")


if __name__ == "__main__":
    main()
