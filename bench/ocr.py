"""OCR accuracy and speed on held-out synthetic scans, each engine beside the tesseract baseline.

Pages come from two generators, reported side by side: ``ours`` is ``sohoa_dev.synth``'s
``heldout`` pool (wording never looked at while tuning, but the renderer, fonts and layouts
training saw), half forms and half prose, at the resolutions asked for, degraded like office
scans; ``second`` is ``bench/heldout/`` (its own renderer, fonts no model saw, its own form
layouts and degradations at 150/200/300 dpi: clean, scan, photocopy), never used for tuning. Each engine reads them through
``read_pages`` (clean-up, then OCR), the path the CLI and the API use, so the figures are what a
user gets. Speed is the wall time of that call for all pages at once (engines batch across pages),
after one warm-up page so model loading and first-call set-up are not counted. CER and WER are
micro-averaged (total edits / total reference length; see ``sohoa_dev.evaluation``), and so is
"mark err": letters read with the wrong tone or vowel mark / reference letters carrying a mark
(``mark_errors``).

Tuning is done on ``--pool dev`` or ``--pool unseen``, never on the held-outs. ``dev`` prose is text
the reader was trained on, so it flatters; ``unseen`` sets the machine's Vietnamese program
messages (``sohoa_dev.synth.catalogs``) in the same prose layout. ``--pt`` sets our pages' body
size (9-14 pt; by default each seed draws 11-13.5) and ``--strength photocopy`` copies them on an
office copier instead of scanning them: both widen what tuning sees toward dense forms and poor
copies, without looking at the second generator. ``--strength jpeg`` saves a scan at JPEG
quality 30-50, as portals and chat apps squeeze uploads. ``--strength fax`` sends them by fax (204 x 98
dpi, black and white); ``--strength phone`` photographs the sheet on a desk
(``sohoa_dev.synth.photos``: perspective, uneven light, no real resolution); ``--seal`` stamps a
red seal and a signature over the text of each of our pages, as agencies stamp certified copies.

    python bench/ocr.py [--pages 8] [--generators ours,second]
                        [--engines ppocr,ppocr:recognizer=fast,ppocr:recognizer=accurate,tesseract]
                        [--dpi 200,300] [--pt 9,10] [--pool heldout|dev|unseen]
                        [--seed-base 100000] [--strength light|scan|heavy|jpeg|photocopy|fax|phone]
                        [--seal]
                        [--json] [--dump DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_service.domain import PageImage, PageText  # noqa: E402
from sohoa_dev.evaluation import (  # noqa: E402
    ErrorCount, char_errors, mark_errors, total, word_errors)
from sohoa_dev.synth import SynthPage, degrade_page, render_page  # noqa: E402
from sohoa_dev.synth.degrade import Strength  # noqa: E402
from sohoa_dev.synth.render import MAX_PT, MIN_PT  # noqa: E402
from sohoa_dev.synth.photos import photograph_page  # noqa: E402
from sohoa_dev.synth.seals import stamp_seal  # noqa: E402
from sohoa_dev.synth.corpus import KINDS  # noqa: E402

BASELINE = "tesseract"


GENERATORS = ("ours", "second")
SECOND_SEED_BASE = 900_000


@dataclass(frozen=True)
class EngineResult:
    engine: str
    pages: int
    cer: float
    cer_form: float
    cer_prose: float
    wer: float
    mark_error_rate: float
    pages_per_s: float
    seconds: float
    cer_vs_baseline: float | None = None
    speed_vs_baseline: float | None = None
    generator: str = "ours"
    stages: dict[str, float] | None = None
    """Seconds per page by stage: clean-up (timed apart) and the engine's own stages, summed
    over its page threads (``PpocrEngine.stage_seconds``); None for engines that do not say."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=8, help="held-out pages (default 8)")
    parser.add_argument("--engines",
                        default=f"ppocr,ppocr:recognizer=fast,ppocr:recognizer=accurate,{BASELINE}",
                        help="comma-separated engines, ENGINE[:SETTING=VALUE/...] with SOHOA_OCR_* "
                             "settings in lower case without the prefix, e.g. "
                             "ppocr:recognizer=fused/reread_below=0.8; "
                             f"include {BASELINE} for the ratios")
    parser.add_argument("--dpi", default="200,300", help="resolutions, cycled (default 200,300)")
    parser.add_argument("--pt", default="",
                        help="body sizes in points (9-14) for our generator's pages, cycled; "
                             "default: each seed's own 11-13.5 pt")
    parser.add_argument("--seed-base", type=int, default=100_000, help="first page seed")
    parser.add_argument("--strength",
                        choices=(*get_args(Strength), "phone"),
                        default="scan",
                        help="scan degradation of our pages (jpeg: a scan saved at quality "
                             "30-50), an office photocopy, a fax, or a phone photo of the sheet "
                             "on a desk (default scan)")
    parser.add_argument("--seal", action="store_true",
                        help="stamp a red seal and a signature over text on each of our pages "
                             "(sohoa_dev.synth.seals) before it is degraded")
    parser.add_argument("--pool", choices=("heldout", "dev", "unseen"), default="heldout",
                        help="heldout (default) for reported figures; dev for tuning; unseen "
                             "for tuning on prose wording no model learnt (the machine's "
                             "Vietnamese program messages; dev forms)")
    parser.add_argument("--generators", default=",".join(GENERATORS),
                        help="ours (sohoa_dev.synth's held-out pool) and/or second "
                             "(bench/heldout/, never tuned on); both by default")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--dump", type=Path,
                        help="write each page, its truth and each engine's reading here")
    args = parser.parse_args(argv)
    args.engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    args.dpi = [int(value) for value in args.dpi.split(",")]
    try:
        args.pt = [float(value) for value in args.pt.split(",") if value.strip()]
    except ValueError:
        parser.error(f"--pt: sizes in points, comma-separated, not {args.pt!r}")
    if any(not MIN_PT <= pt <= MAX_PT for pt in args.pt):
        parser.error(f"--pt: sizes must be within {MIN_PT:g}-{MAX_PT:g} pt")
    args.generators = [g.strip() for g in args.generators.split(",") if g.strip()]
    if unknown := set(args.generators) - set(GENERATORS):
        parser.error(f"--generators: unknown {sorted(unknown)}; choose from {GENERATORS}")
    if args.pages < 1:
        parser.error("--pages must be at least 1")
    return args


# --- pages ---------------------------------------------------------------------------------------


def synth_page(seed: int, kind: str, dpi: int, strength: str, pool: str = "heldout",
               body_pt: float | None = None, seal: bool = False) -> SynthPage:
    page = render_page(seed, pool, kind, dpi, body_pt)  # type: ignore[arg-type]
    if seal:
        page = stamp_seal(page, seed)
    if strength == "phone":
        return photograph_page(page, seed)
    return degrade_page(page, seed, strength)  # type: ignore[arg-type]


def make_pages(count: int, dpis: Sequence[int], seed_base: int, strength: str,
               pool: str = "heldout", pts: Sequence[float] = (),
               seal: bool = False) -> list[SynthPage]:
    """Alternate form and prose; each dpi gets one of each before the next dpi. Body sizes in
    ``pts`` are cycled page by page; empty leaves each seed its own. ``seal``: a red seal and a
    signature over each page's text."""
    return [
        synth_page(seed_base + i, KINDS[i % 2], dpis[(i // 2) % len(dpis)], strength, pool,
                   pts[i % len(pts)] if pts else None, seal)
        for i in range(count)
    ]


def second_pages(count: int) -> list:
    """``count`` pages of the second held-out generator (bench/heldout/), always the same."""
    from bench.heldout import make_pages as make_second

    return make_second(count, SECOND_SEED_BASE)


def as_page_image(page: SynthPage, number: int) -> PageImage:
    """The page as intake hands it on: a photo's resolution is intake's estimate (the second
    generator's pages, which make no photos, state theirs)."""
    known = getattr(page, "dpi_known", True)
    return PageImage(number=number, image=page.image, dpi=float(page.dpi),
                     dpi_source="file" if known else "estimated")


# --- measuring -----------------------------------------------------------------------------------


def rate(counts: Sequence[ErrorCount]) -> float:
    return total(counts).rate


def measure(name: str, sets: dict[str, list], warmup: SynthPage
            ) -> list[tuple[EngineResult, list[str]]]:
    """Read each generator's pages with one engine (loaded and warmed up once); return its
    figures and what it read on each page, per generator."""
    from ocr_service.pipeline.ocr import engine_from_spec
    from ocr_service.pipeline.process import read_pages

    engine = engine_from_spec(name)
    read_pages([as_page_image(warmup, 1)], engine)
    measured = []
    for generator, pages in sets.items():
        result, hyps = measure_set(name, engine, pages)
        measured.append((replace(result, generator=generator), hyps))
    return measured


def measure_set(name: str, engine: object, pages: list) -> tuple[EngineResult, list[str]]:
    """One engine's figures on one set of pages (anything with ``image``, ``dpi``, ``text`` and
    ``kind``), timed from the first page in to the last text out."""
    from ocr_service.pipeline.process import read_pages

    from ocr_service.pipeline.clean import clean_pages

    images = [as_page_image(page, i + 1) for i, page in enumerate(pages)]
    engine_stages = getattr(engine, "stage_seconds", None)
    if engine_stages is not None:
        engine_stages.clear()
    start = time.perf_counter()
    texts: list[PageText] = read_pages(images, engine)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    stages = None
    if engine_stages is not None:
        start = time.perf_counter()
        clean_pages(images)
        stages = {"clean": time.perf_counter() - start, **engine_stages}
        stages = {name: value / len(pages) for name, value in stages.items()}
    hyps = [text.text for text in texts]
    chars = [char_errors(hyp, page.text) for hyp, page in zip(hyps, pages)]
    words = [word_errors(hyp, page.text) for hyp, page in zip(hyps, pages)]
    marks = [mark_errors(hyp, page.text) for hyp, page in zip(hyps, pages)]
    by_kind = {kind: [c for c, p in zip(chars, pages) if p.kind == kind] for kind in KINDS}
    result = EngineResult(
        engine=name,
        pages=len(pages),
        cer=rate(chars),
        cer_form=rate(by_kind["form"]),
        cer_prose=rate(by_kind["prose"]),
        wer=rate(words),
        mark_error_rate=rate(marks),
        pages_per_s=len(pages) / seconds,
        seconds=seconds,
        stages=stages,
    )
    return result, hyps


def with_ratios(results: list[EngineResult]) -> list[EngineResult]:
    """Add each engine's CER and speed as multiples of the baseline's on the same generator's
    pages, when it ran."""
    bases = {r.generator: r for r in results if r.engine == BASELINE}
    if not bases:
        return results

    def ratio(value: float, reference: float) -> float | None:
        return value / reference if reference > 0 else None

    return [
        replace(r, cer_vs_baseline=ratio(r.cer, base.cer),
                speed_vs_baseline=ratio(r.pages_per_s, base.pages_per_s))
        if (base := bases.get(r.generator)) else r
        for r in results
    ]


# --- reporting -----------------------------------------------------------------------------------

COLUMNS = ("generator", "engine", "pages", "CER", "CER forms", "CER prose", "WER", "mark err", "pages/s",
           f"CER x {BASELINE}", f"speed x {BASELINE}")


def _cells(r: EngineResult) -> list[str]:
    def pct(value: float) -> str:
        return f"{value * 100:.2f}%"

    def times(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return [r.generator, r.engine, str(r.pages), pct(r.cer), pct(r.cer_form), pct(r.cer_prose), pct(r.wer),
            pct(r.mark_error_rate), f"{r.pages_per_s:.3f}", times(r.cer_vs_baseline),
            times(r.speed_vs_baseline)]


def table(results: list[EngineResult]) -> str:
    rows = [list(COLUMNS), *(_cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def stage_table(results: list[EngineResult]) -> str:
    """Seconds per page by stage, for the engines that report them."""
    timed = [r for r in results if r.stages]
    names = list(dict.fromkeys(name for r in timed for name in r.stages or {}))
    if not timed:
        return ""
    rows = [["generator", "engine", *names],
            *([r.generator, r.engine, *(f"{(r.stages or {}).get(n, 0.0):.3f}" for n in names)]
              for r in timed)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "seconds per page by stage (clean-up timed apart; engine stages summed over threads)\n" \
        + "\n".join(lines)


def dump(folder: Path, pages: list, readings: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(pages, start=1):
        stem = folder / f"page-{i:02d}-{page.kind}-{page.dpi}dpi"
        cv2.imwrite(f"{stem}.jpg", page.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        Path(f"{stem}.truth.txt").write_text(page.text + "\n", encoding="utf-8")
        for engine, hyps in readings.items():
            name = engine.replace("/", "+")  # "ppocr:a=1/b=2" names one file, not a folder
            Path(f"{stem}.{name}.txt").write_text(hyps[i - 1] + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *(sys.argv if argv is None else ["bench/ocr.py", *argv])])
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if not args.json:
        print(f"# {command}\n# {date}  cpus={os.cpu_count()}  pages={args.pages} "
              f"dpi={args.dpi} pt={args.pt or 'seed'} strength={args.strength} "
              f"seal={'yes' if args.seal else 'no'} "
              f"seed-base={args.seed_base} pool={args.pool} "
              f"generators={args.generators} (second: seed-base {SECOND_SEED_BASE}, "
              "150/200/300 dpi, clean/scan/photocopy)", flush=True)
    sets: dict[str, list] = {}
    if "ours" in args.generators:
        sets["ours"] = make_pages(args.pages, args.dpi, args.seed_base, args.strength, args.pool,
                                  args.pt, args.seal)
    if "second" in args.generators:
        sets["second"] = second_pages(args.pages)
    warmup = synth_page(args.seed_base - 1, "form", args.dpi[0], args.strength)
    results: list[EngineResult] = []
    readings: dict[str, dict[str, list[str]]] = {g: {} for g in sets}
    errors: dict[str, str] = {}
    for name in args.engines:
        try:
            for result, hyps in measure(name, sets, warmup):
                readings[result.generator][name] = hyps
                results.append(result)
        except Exception as error:  # report the engine that could not run, measure the others
            errors[name] = f"{type(error).__name__}: {error}"
    results = sorted(with_ratios(results), key=lambda r: GENERATORS.index(r.generator))
    if args.json:
        print(json.dumps({"command": command, "date": date, "cpus": os.cpu_count(),
                          "pages": args.pages, "dpi": args.dpi, "pt": args.pt,
                          "strength": args.strength,
                          "seed_base": args.seed_base, "baseline": BASELINE,
                          "results": [asdict(r) for r in results], "errors": errors},
                         ensure_ascii=False, indent=2))
    else:
        print(table(results) if results else "no engine ran")
        if stages := stage_table(results):
            print(stages)
        for name, message in errors.items():
            print(f"! {name}: {message}", file=sys.stderr)
        if results and not any(r.engine == BASELINE for r in results):
            print(f"(no {BASELINE} run: ratios left out)")
    if args.dump:  # after the figures, so a file-system problem cannot lose them
        for generator, pages in sets.items():
            dump(args.dump / generator, pages, readings[generator])
    return 0 if results and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
