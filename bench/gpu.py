"""OCR throughput by batch size on the best provider present, fp32 vs fp16 CER, and the CPU ratio.

What a GPU OCR worker gets: held-out synthetic scans (``bench/ocr.py``'s pages: half forms, half
prose, degraded like office scans) are cleaned once, then the ``ppocr`` engine reads them all in
calls of 1, 2, 4, ... pages up to ``--max-batch`` (``SOHOA_OCR_BATCH_PAGES`` = the batch; batch 1 is
the page-by-page default). For each batch size: pages/s of the OCR calls (clean-up excluded: it
runs on CPU threads beside the GPU, see ``workers/batching.py``), the GPU utilisation sampled by
``nvidia-smi`` every 100 ms in a thread (n/a without one), and whether the text is identical to
batch 1's (the engine contract says it must be). Then the CER in fp32 and, where TensorRT is
present, fp16 (``SOHOA_OCR_FP16``; n/a elsewhere), and the same pipeline on the CPU provider for
the GPU/CPU ratio (on a machine without a GPU the two are one run). Models are loaded and one
page read before any timing.

    python bench/gpu.py [--pages 64] [--max-batch 64|4] [--device auto] [--dpi 200,300]
                        [--cpu-pages 4] [--tiny] [--json]

``--tiny`` (CI, on a CPU, seconds): two pages cut to their first lines, batches 1 and 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ocr import as_page_image, make_pages  # noqa: E402
from ocr_service.config import get_settings  # noqa: E402
from ocr_service.domain import PageImage, PageText  # noqa: E402
from sohoa_dev.evaluation import char_errors, total  # noqa: E402
from sohoa_dev.synth import SynthPage  # noqa: E402

TINY_LINES = 4
"""Lines kept of each ``--tiny`` page: enough to exercise every stage, quick on a CPU."""


@dataclass(frozen=True)
class BatchResult:
    batch: int
    pages_per_s: float
    seconds: float
    gpu_util_mean: float | None
    gpu_util_max: float | None
    identical_to_batch_1: bool


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, help="held-out pages (default: 64 on a GPU, 4 on CPU)")
    parser.add_argument("--max-batch", type=int,
                        help="largest batch (pages per call; default: 64 on a GPU, 4 on CPU)")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "tensorrt", "cpu"),
                        help="provider to measure (default auto: the best present)")
    parser.add_argument("--dpi", default="200,300", help="resolutions, cycled (default 200,300)")
    parser.add_argument("--cpu-pages", type=int, default=4,
                        help="pages read on the CPU provider for the ratio (default 4)")
    parser.add_argument("--seed-base", type=int, default=100_000, help="first page seed")
    parser.add_argument("--tiny", action="store_true",
                        help="CI: two short pages, batches 1 and 2, seconds on a CPU")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    args.dpi = [int(value) for value in args.dpi.split(",")]
    return args


# --- pages ---------------------------------------------------------------------------------------


def first_lines(page: SynthPage, count: int) -> SynthPage:
    """The top of ``page`` down to midway between its ``count``-th line and the next, with those
    lines as truth."""
    lines = page.lines[:count]
    bottom = max(y for _, quad in lines for _, y in quad)
    below = [min(y for _, y in quad) for _, quad in page.lines[count:]]
    cut = int((bottom + min(below)) / 2) if below else page.image.shape[0]
    return dataclasses.replace(page, image=page.image[:cut].copy(), lines=lines)


def bench_pages(args: argparse.Namespace, gpu: bool) -> list[SynthPage]:
    if args.tiny:
        return [first_lines(page, TINY_LINES) for page in make_pages(2, [200], args.seed_base,
                                                                     "scan")]
    return make_pages(args.pages or (64 if gpu else 4), args.dpi, args.seed_base, "scan")


def batch_sizes(largest: int) -> list[int]:
    """1, 2, 4, ... below ``largest``, then ``largest``."""
    sizes, size = [], 1
    while size < largest:
        sizes.append(size)
        size *= 2
    return [*sizes, max(1, largest)]


# --- measuring -----------------------------------------------------------------------------------


class GpuSampler:
    """``nvidia-smi`` utilisation samples in a thread while the ``with`` block runs."""

    def __init__(self, period_s: float = 0.1) -> None:
        self._period = period_s
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def present() -> bool:
        return shutil.which("nvidia-smi") is not None

    @staticmethod
    def query(field: str) -> str | None:
        """The first GPU's ``field`` (``nvidia-smi --query-gpu``), or None without one."""
        if not GpuSampler.present():
            return None
        try:
            out = subprocess.run(
                ["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=5, check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return out.splitlines()[0].strip() if out.strip() else None

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            value = self.query("utilization.gpu")
            if value is not None:
                try:
                    self._samples.append(float(value))
                except ValueError:
                    pass

    def __enter__(self) -> GpuSampler:
        if self.present():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def mean(self) -> float | None:
        return sum(self._samples) / len(self._samples) if self._samples else None

    def max(self) -> float | None:
        return max(self._samples) if self._samples else None


def engine_for(device: str, batch: int, fp16: bool = False):
    """The ppocr engine on ``device`` reading ``batch`` pages per call, one page read already."""
    from ocr_service.pipeline.ocr.ppocr import PpocrEngine

    settings = get_settings()
    return PpocrEngine(settings.model_validate({**settings.model_dump(), "ocr_device": device,
                                                "ocr_batch_pages": batch, "ocr_fp16": fp16}))


def read_in_batches(engine, pages: list[PageImage], batch: int) -> tuple[list[PageText], float]:
    """All pages read ``batch`` at a time; the texts and the seconds it took."""
    texts: list[PageText] = []
    start = time.perf_counter()
    for first in range(0, len(pages), batch):
        texts.extend(engine.recognize(pages[first : first + batch]))
    return texts, time.perf_counter() - start


def cer(texts: list[PageText], pages: list[SynthPage]) -> float:
    return total([char_errors(text.text, page.text) for text, page in zip(texts, pages)]).rate


def measure_batches(device: str, cleaned: list[PageImage], sizes: list[int],
                    warm_all: bool) -> tuple[list[BatchResult], list[PageText], object]:
    """Pages/s and GPU use at each batch size; batch 1's texts; the largest batch's engine."""
    results: list[BatchResult] = []
    reference: list[PageText] = []
    engine = None
    for size in sizes:
        if engine is None or size == 2:  # batch 1 is the default page-by-page engine
            engine = engine_for(device, 1 if size == 1 else max(sizes))
            # a GPU provider sets up per input shape (TensorRT builds engines): all of them first
            read_in_batches(engine, cleaned if warm_all else cleaned[:1], max(sizes))
        with GpuSampler() as sampler:
            texts, seconds = read_in_batches(engine, cleaned, size)
        reference = reference or texts
        results.append(BatchResult(size, len(cleaned) / seconds, seconds, sampler.mean(),
                                   sampler.max(), texts == reference))
    return results, reference, engine


def run(args: argparse.Namespace) -> dict:
    import onnxruntime as ort

    from ocr_service.pipeline.clean import clean_pages
    from ocr_service.pipeline.ocr.runtime import choose_providers

    available = ort.get_available_providers()
    provider = choose_providers(args.device, available)[0]
    gpu = provider != "CPUExecutionProvider"
    pages = bench_pages(args, gpu)
    start = time.perf_counter()
    cleaned = clean_pages([as_page_image(page, i + 1) for i, page in enumerate(pages)])
    clean_s = (time.perf_counter() - start) / len(pages)
    largest = args.max_batch or (2 if args.tiny else 64 if gpu else 4)
    sizes = batch_sizes(min(largest, len(pages)))
    batches, texts, batched = measure_batches(args.device, cleaned, sizes, warm_all=gpu)
    best = max(batches, key=lambda r: r.pages_per_s)
    cer_fp16 = None
    if "TensorrtExecutionProvider" in available and gpu:
        fp16 = engine_for("tensorrt", best.batch, fp16=True)
        fp16.recognize(cleaned[:1])
        cer_fp16 = cer(read_in_batches(fp16, cleaned, best.batch)[0], pages)
    if gpu:
        cpu_engine = engine_for("cpu", 1)
        cpu_engine.recognize(cleaned[:1])
        few = cleaned[: max(1, args.cpu_pages)]
        cpu_pages_per_s = len(few) / read_in_batches(cpu_engine, few, 1)[1]
    else:
        cpu_pages_per_s = batches[0].pages_per_s  # the CPU provider at batch 1 is that run
    return {
        "device": args.device, "provider": provider, "available": available,
        "gpu": GpuSampler.query("name"), "cpus": os.cpu_count(), "tiny": args.tiny,
        "pages": len(pages), "dpi": sorted({page.dpi for page in pages}),
        "clean_s_per_page": clean_s,
        "batches": [asdict(r) for r in batches],
        "best_batch": best.batch, "best_pages_per_s": best.pages_per_s,
        "cer_fp32": cer(texts, pages), "cer_fp16": cer_fp16,
        "cpu_pages_per_s": cpu_pages_per_s,
        "speed_vs_cpu": best.pages_per_s / cpu_pages_per_s,
        "all_identical": all(r.identical_to_batch_1 for r in batches),
    }


# --- reporting -----------------------------------------------------------------------------------


def _value(value: float | None, form: str) -> str:
    return "n/a" if value is None else format(value, form)


def report(figures: dict) -> str:
    rows = [("batch", "pages/s", "seconds", "GPU util mean %", "GPU util max %", "same text")]
    rows += [(str(r["batch"]), f"{r['pages_per_s']:.3f}", f"{r['seconds']:.2f}",
              _value(r["gpu_util_mean"], ".0f"), _value(r["gpu_util_max"], ".0f"),
              "yes" if r["identical_to_batch_1"] else "NO") for r in figures["batches"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += [
        f"best batch {figures['best_batch']}: {figures['best_pages_per_s']:.3f} pages/s "
        f"({figures['speed_vs_cpu']:.2f}x the CPU provider's {figures['cpu_pages_per_s']:.3f})",
        f"CER fp32 {figures['cer_fp32'] * 100:.2f}%, fp16 "
        + ("n/a (TensorRT only)" if figures["cer_fp16"] is None
           else f"{figures['cer_fp16'] * 100:.2f}%"),
        f"clean-up (CPU, beside the OCR): {figures['clean_s_per_page']:.2f} s/page",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    invocation = sys.argv if argv is None else ["bench/gpu.py", *argv]
    command = shlex.join([sys.executable, *invocation])
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    figures = {"command": command, "date": date, **run(args)}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"# {command}\n# {date}  provider={figures['provider']}  gpu={figures['gpu'] or 'none'}"
              f"  cpus={figures['cpus']}  pages={figures['pages']} dpi={figures['dpi']}")
        print(report(figures))
    return 0 if figures["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
