"""Write the sample scans in ``samples/pages/`` and their ground-truth text.

The README's ``make run`` and the tests need real files in the formats clerks upload: a colour
JPEG photo-like scan, a grey PNG, a scanned PDF (JPEG pages inside) and a multi-page fax-style
TIFF. They are rendered from the ``dev`` pool with fixed seeds, so running this again gives the
same bytes. ``NAME.txt`` beside each holds its text; pages of a multi-page file are separated by
a form feed (``\\f``).

    python samples/make_samples.py [--out samples/pages]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sohoa_dev.synth import SynthPage, degrade_page, render_page  # noqa: E402
from sohoa_dev.synth.degrade import Strength  # noqa: E402

DPI = 200
FIXED_DATE = datetime(2025, 7, 1, tzinfo=timezone.utc).timetuple()
"""Stamped into the PDF instead of "now", so the file is byte-for-byte reproducible."""

Page = tuple[int, str, Strength]
"""(seed, kind, degradation) of one page, all from the dev pool."""

Writer = Callable[[list[Image.Image], Path], None]


def scan(seed: int, kind: str, strength: Strength) -> SynthPage:
    page = render_page(seed, "dev", kind, DPI)  # type: ignore[arg-type]
    return degrade_page(page, seed, strength)


def colour(page: SynthPage) -> Image.Image:
    return Image.fromarray(cv2.cvtColor(page.image, cv2.COLOR_BGR2RGB))


def grey(page: SynthPage) -> Image.Image:
    return Image.fromarray(cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY))


def bilevel(page: SynthPage) -> Image.Image:
    """Black and white as a fax-mode scanner makes it (Otsu threshold)."""
    _, binary = cv2.threshold(cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY), 0, 255,
                              cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return Image.fromarray(binary.astype(np.uint8)).convert("1", dither=Image.Dither.NONE)


def write_jpeg(images: list[Image.Image], path: Path) -> None:
    images[0].save(path, "JPEG", quality=80, dpi=(DPI, DPI))


def write_png(images: list[Image.Image], path: Path) -> None:
    images[0].save(path, "PNG", dpi=(DPI, DPI), optimize=True)


def write_pdf(images: list[Image.Image], path: Path) -> None:
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=DPI,
                   quality=75, creationDate=FIXED_DATE, modDate=FIXED_DATE,
                   producer="sohoa samples", title=path.stem)


def write_tiff(images: list[Image.Image], path: Path) -> None:
    images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="group4",
                   dpi=(DPI, DPI))


SAMPLES: dict[str, tuple[tuple[Page, ...], Callable[[SynthPage], Image.Image], Writer]] = {
    "form-1.jpg": (((1, "form", "scan"),), colour, write_jpeg),
    "prose-1.png": (((2, "prose", "light"),), grey, write_png),
    "dossier-2pages.pdf": (((3, "form", "scan"), (4, "prose", "scan")), colour, write_pdf),
    "dossier-3pages.tif": (((5, "form", "light"), (6, "form", "light"), (7, "prose", "light")),
                           bilevel, write_tiff),
}


def make(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (specs, convert, write) in SAMPLES.items():
        pages = [scan(*spec) for spec in specs]
        write([convert(page) for page in pages], out / name)
        truth = out / f"{Path(name).stem}.txt"
        truth.write_text("\f".join(page.text for page in pages) + "\n", encoding="utf-8")
        written += [out / name, truth]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "pages")
    for path in make(parser.parse_args().out):
        print(f"{path.stat().st_size:>9,d}  {path}")


if __name__ == "__main__":
    main()
