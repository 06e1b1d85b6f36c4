"""Postal batches and long documents on a throw-away stack: pages/s, workers' peak memory, and how
fast counter work stays while a batch runs (issue 16, items 4 and 7).

The stack is ``bench/service.py``'s (``running_stack``: Redis, SeaweedFS, SQLite index, test PKI,
the API and ``--workers`` ``sohoa worker`` processes, concurrency 1 each, started as ``sohoa up``
starts them, all stopped at the end, also on an error or Ctrl-C).

**Memory** of a worker is that of its process tree (the ``sohoa worker`` process, Celery's pool
process that runs the tasks, and anything they start): the sum of ``VmRSS`` over the tree, read
from ``/proc`` every ``--sample`` seconds (0.5) while a phase runs; the figure is the largest sum
seen. ``VmHWM`` summed over the tree is printed beside it: an upper bound (each process's own peak,
whenever it was), which also catches a peak shorter than the sampling interval.

1. Batch mode (default): ``--pages`` (200) or a few more pages of held-out generated documents
   (``make_form_sample(type, seed, "heldout")``, form types in turn, each in its generator's file
   format: ID cards of two pages, A4 forms; JPEG, PDF, TIFF), three documents to a dossier, in a
   ZIP with ``manifest.csv``, sent by an operator's key to ``POST /v1/batches`` (review policy
   ``--review``, default ``never``: every page goes through OCR, the PDF/A and the signature).
   Workers take every queue, batch OCR (``ocr_batch``) after counter work. After an untimed
   warm-up document per worker, ``--requests`` counter ``POST /v1/extract`` calls of a held-out
   ID card front one after the other (the idle p95), then the batch: pages/s from the first byte
   of the upload to the poll of ``GET /v1/batches/{id}`` that first saw it done, the peak memory
   of each worker, and the same card read every ``--every`` seconds (10) from the first byte to
   the end, whose p95 is divided by the idle one (choose ``--requests`` near the number of calls
   the batch will see: about its seconds over ``--every``).
2. Long-document mode (``--long-document 500``): one scanned PDF of that many pages (every page a
   full-page grey JPEG at ``--dpi`` 200, as a scanner writes it; ``--distinct`` (10) held-out A4
   form pages repeated, each page numbered in its margin, so that every page is an image of its
   own and the file and the e-record are as large as a real scan's; JPEG quality lowered until
   the file fits the upload limit, the same for both documents), uploaded to a dossier with
   review policy ``never`` with one worker, after a ``--short-document`` (5) page PDF of the
   same pages: seconds, pages/s and the worker's peak memory for each, the seconds each task
   took (from the worker's log), and the size of the signed PDF.

    python bench/batch.py [--pages 200] [--workers 2] [--requests 20] [--every 10]
                          [--review never]
    python bench/batch.py --long-document 500 [--short-document 5] [--dpi 200] [--distinct 10]
    common: [--card-seed 700000] [--seed 910000] [--sample 0.5] [--timeout S] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service import (  # noqa: E402  (bench/ is no package)
    Stack, card_front_jpeg, changes_logged, extract_call, latency_figures, polled, run_dossier,
    run_facts, running_stack, say, warm_up_documents)

from ocr_service.config import Settings  # noqa: E402

BATCH_QUEUES = "ocr,cpu,archive,ocr_batch"
PROCEDURE = "1.001193"
DOCUMENTS_PER_DOSSIER = 3
MIB = 1 << 20
UPLOAD_MARGIN = 4 * MIB
"""The long document stays this far under the upload limit (the multipart envelope)."""
TASK_DONE = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*?Task (sohoa\.\w+)\[[^\]]+\] "
                       rb"succeeded in ([0-9.]+)s", re.MULTILINE)
"""Celery's line for a task done, stamped (local time) when it ended."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200,
                        help="batch mode: at least this many pages in the batch (200)")
    parser.add_argument("--workers", type=int,
                        help="`sohoa worker` processes, concurrency 1 each (2; long document: 1)")
    parser.add_argument("--requests", type=int, default=20,
                        help="counter POST /v1/extract calls, one after the other, when idle "
                             "(20)")
    parser.add_argument("--every", type=float, default=10.0,
                        help="seconds between two counter calls while the batch runs (10)")
    parser.add_argument("--review", choices=("always", "flagged", "never"), default="never",
                        help="the batch's review policy (never: every document is signed)")
    parser.add_argument("--long-document", type=int, metavar="PAGES",
                        help="long-document mode: one scanned PDF of PAGES pages")
    parser.add_argument("--short-document", type=int, default=5, metavar="PAGES",
                        help="long-document mode: pages of the document measured first (5)")
    parser.add_argument("--dpi", type=int, default=200, help="long document: scan dpi (200)")
    parser.add_argument("--distinct", type=int, default=10,
                        help="long document: distinct generated pages, repeated (10)")
    parser.add_argument("--card-seed", type=int, default=700_000,
                        help="held-out seed of the ID card sent to /v1/extract")
    parser.add_argument("--seed", type=int, default=910_000,
                        help="first held-out seed of the generated documents")
    parser.add_argument("--sample", type=float, default=0.5,
                        help="seconds between two readings of the workers' memory (0.5)")
    parser.add_argument("--timeout", type=float, default=7200.0,
                        help="seconds to wait for a batch or a document to be done (7200)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary data dir (logs, index) and print where it is")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 1 if args.long_document else 2
    for name in ("pages", "workers", "requests", "short_document", "dpi", "distinct"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("every", "sample"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be more than 0")
    if args.long_document is not None and args.long_document < 1:
        parser.error("--long-document must be at least 1")
    return args


# --- memory of a process tree ------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    """``field`` (VmRSS, VmHWM) of ``/proc/<pid>/status`` in KiB; 0 for a process gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/<pid>/task/*/children``), processes gone skipped."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in children.read_text().split()]
            except OSError:
                continue
    return tree


def tree_kib(pid: int, field: str) -> int:
    return sum(_status_kib(p, field) for p in process_tree(pid))


class TreeMemory:
    """The largest ``VmRSS`` sum of each named process tree since ``reset``, read every
    ``interval`` seconds by a thread of its own."""

    def __init__(self, roots: dict[str, int], interval: float) -> None:
        self.roots, self.interval = roots, interval
        self.peak_kib = dict.fromkeys(roots, 0)
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in roots}
        """(time.time(), VmRSS sum in KiB) of every reading: which task a peak fell in."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for name, pid in self.roots.items():
            now = tree_kib(pid, "VmRSS")
            with self._lock:
                self.peak_kib[name] = max(self.peak_kib[name], now)
                self.samples[name].append((time.time(), now))

    def reset(self) -> None:
        with self._lock:
            self.peak_kib = dict.fromkeys(self.roots, 0)
        self.sample()

    def figures(self) -> dict[str, dict]:
        """Per tree: the sampled peak, the current RSS and the sum of VmHWM, in MiB."""
        self.sample()
        with self._lock:
            peaks = dict(self.peak_kib)
        return {name: {"peak_rss_mib": peaks[name] / 1024,
                       "rss_now_mib": tree_kib(pid, "VmRSS") / 1024,
                       "hwm_sum_mib": tree_kib(pid, "VmHWM") / 1024,
                       "processes": len(process_tree(pid))}
                for name, pid in self.roots.items()}


def worker_memory(stack: Stack, interval: float) -> TreeMemory:
    roots = {}
    for worker in stack.workers:
        if worker.pid is None:
            raise RuntimeError(f"{worker.name} is not running")
        roots[worker.name] = worker.pid
    return TreeMemory(roots, interval)


def task_figures(log_path: Path, offset: int, samples: Sequence[tuple[float, int]]
                 ) -> dict[str, dict]:
    """Per task name, as the worker's log tells after byte ``offset``: how many ran, their
    seconds in all, and the largest memory reading (``samples``) taken while one of them ran
    (None when they all ran between two readings)."""
    with log_path.open("rb") as log:
        log.seek(offset)
        text = log.read()
    figures: dict[str, dict] = {}
    for stamp, name, value in TASK_DONE.findall(text):
        end = datetime.strptime(stamp.decode(), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        seconds = float(value)
        during = [kib for at, kib in samples if end - seconds - 0.01 <= at <= end + 0.01]
        task = figures.setdefault(name.decode(), {"runs": 0, "seconds": 0.0, "peak_kib": []})
        task["runs"] += 1
        task["seconds"] += seconds
        task["peak_kib"] += during
    for task in figures.values():
        peak = task.pop("peak_kib")
        task["peak_rss_mib"] = max(peak) / 1024 if peak else None
    return figures


# --- inputs --------------------------------------------------------------------------------------


def batch_documents(pages: int, seed: int) -> Iterator[tuple[str, bytes, str, int]]:
    """(file name, bytes, form type, pages) of held-out documents, form types in turn, until
    they hold at least ``pages`` pages."""
    from sohoa_dev.synth.forms import FORM_TYPES, make_form_sample

    total = i = 0
    while total < pages:
        sample = make_form_sample(FORM_TYPES[i % len(FORM_TYPES)], seed + i, "heldout")
        data, suffix = sample.to_file()
        yield (f"{i + 1:04d}-{sample.form_type}-{sample.seed}{suffix}", data, sample.form_type,
               len(sample.pages))
        total += len(sample.pages)
        i += 1


def write_batch_zip(target: Path, pages: int, seed: int, log: Callable[[str], None]) -> dict:
    """The batch ZIP (scans stored, as scanners' files are compressed already) and its
    ``manifest.csv``: three documents to a dossier, each dossier its own applicant."""
    manifest = io.StringIO(newline="")
    rows = csv.writer(manifest, lineterminator="\n")
    rows.writerow(["file", "dossier_ref", "procedure_code", "applicant_id_number", "component"])
    files = total = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data, form_type, count in batch_documents(pages, seed):
            dossier = files // DOCUMENTS_PER_DOSSIER
            archive.writestr(name, data)
            rows.writerow([name, f"BENCH-{dossier:04d}", PROCEDURE, f"0011870{dossier:05d}",
                           form_type])
            files, total = files + 1, total + count
            if files % 25 == 0:
                log(f"  {files} documents, {total} pages generated")
        archive.writestr("manifest.csv", manifest.getvalue())
    return {"documents": files, "pages": total, "zip_mib": target.stat().st_size / MIB}


def a4_scans(count: int, dpi: int, seed: int) -> list[np.ndarray]:
    """``count`` distinct held-out A4 form pages as grey images at ``dpi``."""
    import cv2

    from sohoa_dev.synth.forms import make_form_sample

    types = ("birth_registration", "residence_change")
    pages: list[np.ndarray] = []
    i = 0
    while len(pages) < count:
        sample = make_form_sample(types[i % len(types)], seed + i, "heldout")
        for page in sample.pages[:count - len(pages)]:
            grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
            scale = dpi / sample.dpi
            if scale != 1:
                size = (round(grey.shape[1] * scale), round(grey.shape[0] * scale))
                grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
            pages.append(grey)
        i += 1
    return pages


def jpeg_quality(pages: int, scans: list[np.ndarray], limit: int) -> int:
    """The highest JPEG quality of 70, 60, ... at which ``pages`` pages of ``scans`` in turn fit
    a PDF under ``limit`` bytes (a scanner's setting for a large job)."""
    for quality in range(70, 19, -10):
        average = sum(len(_jpeg(scan, quality)) for scan in scans) / len(scans)
        if average * pages < limit - 64 * pages:  # page objects and content streams
            return quality
    raise ValueError(f"{pages} pages do not fit {limit // MIB} MiB")


def _jpeg(scan: np.ndarray, quality: int) -> bytes:
    import cv2

    return cv2.imencode(".jpg", scan, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def numbered(scan: np.ndarray, number: int, pages: int) -> np.ndarray:
    """The scan with "number/pages" printed in its bottom margin, as a numbering scanner does:
    every page of a long document is then an image of its own (the same bytes twice would be
    stored once in the e-record, and the record would look smaller than a real one)."""
    import cv2

    page = scan.copy()
    height, width = page.shape[:2]
    scale = height / 2339  # 1 at 200 dpi A4
    cv2.putText(page, f"{number}/{pages}", (round(width - 330 * scale), round(height - 40 * scale)),
                cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, 0, max(1, round(2 * scale)), cv2.LINE_AA)
    return page


def scanned_pdf(pages: int, scans: list[np.ndarray], dpi: int, quality: int) -> bytes:
    """A PDF of ``pages`` pages, each a full-page JPEG image of its own (``scans`` in turn,
    ``numbered``), as a scanner writes one."""
    import pikepdf

    pdf = pikepdf.Pdf.new()
    for i in range(pages):
        scan = numbered(scans[i % len(scans)], i + 1, pages)
        jpeg = _jpeg(scan, quality)
        height, width = scan.shape[:2]
        image = pikepdf.Stream(pdf, jpeg, Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Image, Width=width, Height=height,
                               ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                               Filter=pikepdf.Name.DCTDecode)
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, w_pt, h_pt],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=pikepdf.Stream(pdf, f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode()))
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# --- batch mode ----------------------------------------------------------------------------------


def operator_key(stack: Stack) -> str:
    """A key of the stack's agency with the operator role only, as a postal operator holds."""
    from ocr_service.services import open_services
    from ocr_service.store.keys import create_key
    from ocr_service.up import AGENCY

    services = open_services(stack.stack)
    try:
        with services.index.session() as session:
            _, key = create_key(session, AGENCY, ["operator"], label="bench/batch.py")
    finally:
        services.close()
    return key


def idle_extract(client: httpx.Client, card: bytes, requests: int,
                 log: Callable[[str], None]) -> list[float]:
    for _ in range(2):  # the extract pool's first reads (models, caches) are not timed
        extract_call(client, card)
    seconds = []
    for i in range(requests):
        seconds.append(extract_call(client, card)[0])
        if (i + 1) % 10 == 0 or i + 1 == requests:
            log(f"  {i + 1}/{requests} idle extract calls")
    return seconds


class CounterCalls(threading.Thread):
    """Sequential extract calls while a batch runs, one every ``every`` seconds (start to start;
    at once when the last took longer), until ``finish``: a counter's steady trickle, spread
    evenly over the batch whatever order its documents end in."""

    def __init__(self, stack: Stack, card: bytes, every: float) -> None:
        super().__init__(name="counter-calls", daemon=True)
        self.stack, self.card, self.every = stack, card, every
        self.done = threading.Event()
        self.seconds: list[float] = []
        self.errors: list[str] = []

    def finish(self) -> None:
        self.done.set()

    def run(self) -> None:
        with self.stack.client() as client:
            while not self.done.is_set():
                began = time.monotonic()
                try:
                    self.seconds.append(extract_call(client, self.card)[0])
                except httpx.HTTPError as exc:
                    self.errors.append(str(exc))
                self.done.wait(max(0.0, began + self.every - time.monotonic()))


def run_batch(stack: Stack, path: Path, review: str, counter: CounterCalls, timeout: float,
              log: Callable[[str], None]) -> dict:
    """Send the ZIP as an operator, follow it until done; times from the first byte sent."""
    with stack.client(operator_key(stack)) as client, path.open("rb") as upload:
        first = time.perf_counter()
        counter.start()
        response = client.post("/v1/batches", data={"contract_code": "BENCH", "review": review},
                               files={"file": (path.name, upload, "application/zip")})
        response.raise_for_status()
        accepted = response.json()
        answered = time.perf_counter()
        log(f"  batch accepted in {answered - first:.1f} s: {accepted['documents']} documents, "
            f"{accepted['pages']} pages, {len(accepted['errors'])} rows refused")
        show = changes_logged(log, first)
        for now, progress in polled(client, stack, f"/v1/batches/{accepted['id']}", first,
                                    timeout, lambda: "the batch is not done"):
            show(f"{progress['pages_done']}/{progress['pages_total']} pages", now,
                 f" ({len(counter.seconds)} counter calls)")
            if progress["status"] == "done":
                break
        counter.finish()
    counter.join()
    seconds = now - first
    return {"documents": progress["documents"], "pages": progress["pages_total"],
            "rows_refused": len(accepted["errors"]), "upload_seconds": answered - first,
            "seconds": seconds, "pages_per_second": progress["pages_total"] / seconds,
            "server_pages_per_second": progress["pages_per_second"],
            "by_status": {k: v for k, v in progress["by_status"].items() if v},
            "failures": progress["failures"]}


def batch_mode(args: argparse.Namespace, log: Callable[[str], None]) -> dict:
    card = card_front_jpeg(args.card_seed)
    warm_up = warm_up_documents(args.workers, args.card_seed + 1)
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-batch-") as work:
        path = Path(work) / "batch.zip"
        log(f"generating at least {args.pages} pages:")
        began = time.monotonic()
        generated = write_batch_zip(path, args.pages, args.seed, log)
        log(f"  {generated['documents']} documents, {generated['pages']} pages, "
            f"{generated['zip_mib']:.1f} MiB in {time.monotonic() - began:.0f} s")
        with running_stack(args.workers, log, keep=args.keep, queues=BATCH_QUEUES) as stack, \
                stack.client() as client, worker_memory(stack, args.sample) as memory:
            log(f"warm-up ({len(warm_up)} documents, not timed):")
            run_dossier(client, stack, warm_up, args.timeout, log)
            log("counter extract calls, idle:")
            idle = idle_extract(client, card, args.requests, log)
            at_rest = memory.figures()
            log("batch:")
            memory.reset()
            offsets = {w.name: w.log_path.stat().st_size for w in stack.workers}
            counter = CounterCalls(stack, card, args.every)
            batch = run_batch(stack, path, args.review, counter, args.timeout, log)
            busy = memory.figures()
            tasks = {w.name: task_figures(w.log_path, offsets[w.name], memory.samples[w.name])
                     for w in stack.workers}
    if not counter.seconds:
        raise RuntimeError("no counter call was made while the batch ran")
    extract = {"requests": args.requests, "idle": latency_figures(idle),
               "during_batch": {**latency_figures(counter.seconds),
                                "calls": len(counter.seconds), "errors": counter.errors}}
    extract["p95_ratio"] = extract["during_batch"]["p95_s"] / extract["idle"]["p95_s"]
    extract["p50_ratio"] = extract["during_batch"]["p50_s"] / extract["idle"]["p50_s"]
    return {"generated": generated, "batch": batch, "extract": extract,
            "memory": {"after_warm_up": at_rest, "batch": busy}, "tasks": tasks}


# --- long-document mode --------------------------------------------------------------------------


def one_document(stack: Stack, client: httpx.Client, memory: TreeMemory, name: str,
                 data: bytes, pages: int, timeout: float, log: Callable[[str], None]) -> dict:
    """Upload one document to a dossier that signs without review; its seconds, memory, task
    times and signed PDF."""
    worker = stack.workers[0]
    offset = worker.log_path.stat().st_size
    memory.reset()
    first, uploaded, done = run_dossier(client, stack, [(name, data)], timeout, log,
                                        review="never")
    result = done[name]
    seconds = result["done"] - first
    figures = {"pages": pages, "mib": len(data) / MIB, "status": result["status"],
               "error": result["error"], "upload_seconds": uploaded - first,
               "seconds": seconds, "pages_per_second": pages / seconds,
               "memory": memory.figures()[worker.name],
               "tasks": task_figures(worker.log_path, offset, memory.samples[worker.name])}
    if result["record_id"]:
        figures["signed_pdf"] = signed_pdf(client, result["record_id"])
    return figures


def signed_pdf(client: httpx.Client, record_id: str) -> dict:
    """The e-record's size and page count, read from ``GET /v1/records/{id}/pdf``."""
    import pypdfium2 as pdfium

    with tempfile.NamedTemporaryFile(suffix=".pdf") as target:
        with client.stream("GET", f"/v1/records/{record_id}/pdf") as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(MIB):
                target.write(chunk)
        target.flush()
        pdf = pdfium.PdfDocument(target.name)
        try:
            pages = len(pdf)
        finally:
            pdf.close()
        return {"mib": os.path.getsize(target.name) / MIB, "pages": pages}


def long_mode(args: argparse.Namespace, log: Callable[[str], None]) -> dict:
    limit = Settings().max_upload_bytes - UPLOAD_MARGIN
    log(f"generating {args.distinct} distinct pages at {args.dpi} dpi:")
    scans = a4_scans(args.distinct, args.dpi, args.seed)
    quality = jpeg_quality(max(args.long_document, args.short_document), scans, limit)
    short = scanned_pdf(args.short_document, scans, args.dpi, quality)
    long = scanned_pdf(args.long_document, scans, args.dpi, quality)
    log(f"  {args.short_document} pages: {len(short) / MIB:.1f} MiB; {args.long_document} pages: "
        f"{len(long) / MIB:.1f} MiB (JPEG quality {quality})")
    warm_up = warm_up_documents(args.workers, args.card_seed + 1)
    with running_stack(args.workers, log, keep=args.keep) as stack, stack.client() as client, \
            worker_memory(stack, args.sample) as memory:
        log(f"warm-up ({len(warm_up)} document{'s' * (len(warm_up) > 1)}, not timed):")
        run_dossier(client, stack, warm_up, args.timeout, log)
        log(f"{args.short_document}-page document:")
        small = one_document(stack, client, memory, f"scan-{args.short_document}p.pdf", short,
                             args.short_document, args.timeout, log)
        log(f"{args.long_document}-page document:")
        large = one_document(stack, client, memory, f"scan-{args.long_document}p.pdf", long,
                             args.long_document, args.timeout, log)
    return {"dpi": args.dpi, "distinct_pages": args.distinct,
            "jpeg_quality": quality,
            "short": small, "long": large}


# --- reporting -----------------------------------------------------------------------------------


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]


def memory_rows(memory: dict[str, dict], label: Callable[[str], str]) -> list[list[str]]:
    rows = [["", "peak RSS (tree, sampled) MiB", "VmHWM sum MiB", "RSS now MiB", "processes"]]
    for name, m in memory.items():
        rows.append([label(name), f"{m['peak_rss_mib']:.0f}", f"{m['hwm_sum_mib']:.0f}",
                     f"{m['rss_now_mib']:.0f}", str(m["processes"])])
    return rows


def task_line(tasks: dict[str, dict]) -> str:
    """"ocr 765 s (peak 1400 MiB), record ...": each stage's seconds and peak memory."""
    return ", ".join(f"{name.removeprefix('sohoa.')} {t['seconds']:.0f} s"
                     + (f" x{t['runs']}" if t["runs"] > 1 else "")
                     + (f" (peak {t['peak_rss_mib']:.0f} MiB)" if t["peak_rss_mib"] else "")
                     for name, t in tasks.items() if name != "sohoa.webhook")


def batch_report(result: dict, args: argparse.Namespace) -> str:
    batch, extract = result["batch"], result["extract"]
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(batch["by_status"].items()))
    lines = [
        f"batch, {args.workers} workers (queues {BATCH_QUEUES}, concurrency 1), review "
        f"{args.review}:",
        f"  {batch['documents']} documents, {batch['pages']} pages "
        f"({result['generated']['zip_mib']:.1f} MiB ZIP, upload answered in "
        f"{batch['upload_seconds']:.1f} s) in {batch['seconds']:.1f} s ({statuses})",
        f"  {batch['pages_per_second']:.3f} pages/s end to end (server's count "
        f"{batch['server_pages_per_second']:.3f})",
        "",
        "worker memory during the batch:",
        *table(memory_rows(result["memory"]["batch"], str)),
        *(f"  {name}: {task_line(tasks)}" for name, tasks in result["tasks"].items()),
        "",
        f"counter POST /v1/extract (ID card front), {extract['requests']} calls idle, "
        f"{extract['during_batch']['calls']} during the batch:",
    ]
    rows = [["", "p50 s", "p95 s", "mean s", "max s"]]
    for label, key in (("idle", "idle"), ("during batch", "during_batch")):
        f = extract[key]
        rows.append([label, *(f"{f[k]:.3f}" for k in ("p50_s", "p95_s", "mean_s", "max_s"))])
    lines += table(rows)
    lines.append(f"  during / idle: p95 {extract['p95_ratio']:.2f}  p50 "
                 f"{extract['p50_ratio']:.2f}")
    if batch["failures"]:
        lines.append("failures: " + "; ".join(
            f"{f['file']}: {f['error']['code']}" for f in batch["failures"]))
    return "\n".join(lines)


def long_report(result: dict) -> str:
    lines = [f"scanned PDFs ({result['dpi']} dpi grey JPEG pages, {result['distinct_pages']} "
             "distinct), one worker, review never:"]
    rows = [["pages", "file MiB", "status", "seconds", "pages/s", "peak RSS MiB", "VmHWM MiB",
             "signed PDF MiB"]]
    for key in ("short", "long"):
        d = result[key]
        rows.append([str(d["pages"]), f"{d['mib']:.1f}", d["status"], f"{d['seconds']:.0f}",
                     f"{d['pages_per_second']:.3f}", f"{d['memory']['peak_rss_mib']:.0f}",
                     f"{d['memory']['hwm_sum_mib']:.0f}",
                     f"{d['signed_pdf']['mib']:.1f}" if "signed_pdf" in d else "-"])
    lines += table(rows)
    lines += [f"  {result[key]['pages']} pages: {task_line(result[key]['tasks'])}"
              for key in ("short", "long")]
    for key in ("short", "long"):
        if result[key]["error"]:
            lines.append(f"{result[key]['pages']} pages failed: {result[key]['error']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    facts = run_facts("bench/batch.py", argv)
    mode = "long_document" if args.long_document else "batch"
    if not args.json:
        print(f"# {facts['command']}\n# {facts['date']}  cpus={facts['cpus']}  "
              f"load={facts['load_1min']['start']:.2f}  mode={mode} workers={args.workers}",
              flush=True)
    log = lambda text: say(args, text)  # noqa: E731
    try:
        result = long_mode(args, log) if args.long_document else batch_mode(args, log)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    facts["load_1min"]["end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps({**facts, "mode": mode, "workers": args.workers,
                          "worker_concurrency": 1, "memory_sample_s": args.sample, **result},
                         ensure_ascii=False, indent=2))
    else:
        print(long_report(result) if args.long_document else batch_report(result, args))
        print(f"# load (1 min) at the end {facts['load_1min']['end']:.2f}: other work on the "
              "machine skews the figures")
    if args.long_document:
        return 0 if all(result[k]["status"] == "archived" for k in ("short", "long")) else 1
    return 0 if not result["batch"]["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
