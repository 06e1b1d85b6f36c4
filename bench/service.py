"""Service throughput (documents/min end to end) and ``POST /v1/extract`` latency, here.

Both with the number of workers used, the extract latency beside the same extraction in-process.

A throw-away stack is started as ``sohoa up`` starts it (``ocr_service.up``): Redis and SeaweedFS
(``ocr_service.devstack``) on free loopback ports, the SQLite index and the development PKI in a
temporary data dir, the API (``sohoa serve``) and ``--workers`` worker processes (``sohoa worker``,
all queues, concurrency 1 each), all child processes configured through ``SOHOA_*`` variables only,
as in a deployment. Everything started is stopped at the end, also on an error or Ctrl-C.

1. Throughput: one API key, one dossier, ``--docs`` uploads of the committed samples
   (``samples/forms/*.{jpg,pdf,tiff,png}``, form types taken in turn, so a run mixes ID cards,
   forms, unknown documents and file formats; at most as many as there are samples: the same
   bytes twice in one dossier are one document), then ``GET /v1/dossiers/{id}`` is polled until
   every document is ``archived``, ``needs_review`` or ``failed``. Documents (and pages) per
   minute count from the first upload to the last document done; per document, upload (request
   sent) to the poll that first saw it done. The uploads go at once, as a counter's scanner would
   send them. Before, ``--warm-up`` held-out synthetic documents (default one per worker) go
   through a dossier of their own, untimed, so that each worker's first-task set-up (imports,
   PDF and signing libraries) is not counted, as the other benchmarks leave out model loading.
2. Extract latency: ``--requests`` sequential ``POST /v1/extract`` calls with a one-page JPEG of
   the front of a held-out synthetic ID card (``make_form_sample("cccd", seed, "heldout")``), after
   two warm-up calls; the baseline is ``extract_document`` with ``get_engine()`` in this process on
   the same bytes, warmed up the same way. Calls alternate (HTTP, in-process, HTTP, ...) so that
   both see the same machine load; the ratio is the cost of HTTP (multipart upload, JSON
   answer), the key check and the API process around the same work.

    python bench/service.py [--workers 1] [--docs 6] [--requests 20] [--card-seed 700000]
                            [--warm-up N] [--timeout 900] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import secrets
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_service.config import REPO_ROOT, Settings  # noqa: E402
from ocr_service.devstack import (  # noqa: E402
    ChildServer, RedisServer, SeaweedServer, free_ports, stop_all)
from ocr_service.up import (  # noqa: E402
    ServiceProcess, _answers, _logged_ready, _prepare, _stack_settings)

SAMPLES = REPO_ROOT / "samples" / "forms"
SAMPLE_SUFFIXES = (".jpg", ".pdf", ".tiff", ".png")
COUNTER_QUEUES = "ocr,cpu,archive"
"""What this benchmark's workers take: every queue of counter work (batches have ``ocr_batch``)."""
DONE = ("archived", "needs_review", "failed")
POLL_S = 0.25
# The stack's own index, PKI and place: never the caller's database or signer.
NOT_INHERITED = ("SOHOA_DATABASE_URL", "SOHOA_PKI_DIR", "SOHOA_HOST", "SOHOA_PORT",
                 "SOHOA_DATA_DIR")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=1,
                        help="`sohoa worker` processes, each on all queues, concurrency 1 (1)")
    parser.add_argument("--docs", type=int, default=6, help="documents uploaded (6)")
    parser.add_argument("--requests", type=int, default=20,
                        help="timed POST /v1/extract calls, after 2 warm-up calls (20)")
    parser.add_argument("--card-seed", type=int, default=700_000,
                        help="held-out seed of the ID card sent to /v1/extract")
    parser.add_argument("--warm-up", type=int, metavar="N",
                        help="untimed documents processed first, so that no worker's first-task "
                             "set-up is timed (default: one per worker; 0: none)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds to wait for the documents to be done (900)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary data dir (logs, index) and print where it is "
                             "(always kept after an error)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    for name in ("workers", "docs", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.docs > (available := len(samples_in_turn())):
        parser.error(f"--docs: at most {available}, the committed samples (the same bytes "
                     "twice in one dossier are one document)")
    return args


def say(args: argparse.Namespace, text: str) -> None:
    """Progress on stderr (stdout carries only the figures)."""
    if not args.json:
        print(text, file=sys.stderr, flush=True)


# --- inputs --------------------------------------------------------------------------------------


def samples_in_turn() -> list[Path]:
    """The committed samples, one form type after the other."""
    files = sorted(p for p in SAMPLES.iterdir() if p.suffix in SAMPLE_SUFFIXES)
    by_type: dict[str, list[Path]] = {}
    for path in files:
        by_type.setdefault(path.stem.rsplit("-", 1)[0], []).append(path)
    interleaved = [group[i] for i in range(max(map(len, by_type.values())))
                   for group in by_type.values() if i < len(group)]
    return interleaved


def page_count(data: bytes, name: str) -> int:
    from ocr_service.pipeline.intake import load_document

    return len(load_document(data, name).pages)


def card_front_jpeg(seed: int) -> bytes:
    """The front side of a held-out ID card as the one-page grey JPEG a scanner gives (dpi set)."""
    from sohoa_dev.synth.forms import make_form_sample

    card = make_form_sample("cccd", seed, "heldout")
    front = dataclasses.replace(card, pages=card.pages[:1], lines=card.lines[:1],
                                turns=card.turns[:1])
    data, _ = front.to_file("jpg")
    return data


# --- the stack -----------------------------------------------------------------------------------


class Stack:
    """Redis, SeaweedFS, the API and N workers (each on ``queues``, concurrency 1) under
    ``root``; ``stop()`` leaves nothing running."""

    def __init__(self, root: Path, workers: int, queues: str = COUNTER_QUEUES) -> None:
        self.root = root
        self.settings = Settings(data_dir=root, host="127.0.0.1", database_url=None, pki_dir=None)
        self.redis = RedisServer(root / "redis")
        self.seaweed = SeaweedServer(root / "s3", access_key="sohoa-bench",
                                     secret_key=secrets.token_urlsafe(24))
        port = free_ports(1)[0]
        self.stack, env = _stack_settings(self.settings, self.redis, self.seaweed, port)
        env = {k: v for k, v in env.items() if k not in NOT_INHERITED}
        env.update({"SOHOA_DATA_DIR": str(root), "SOHOA_PORT": str(port),
                    "SOHOA_HOST": "127.0.0.1", **self.redis.settings_env(),
                    **self.seaweed.settings_env()})
        self.url = f"http://127.0.0.1:{port}"
        self.api = ServiceProcess("api", root / "api", ["serve", "--port", str(port)], env,
                                  _answers(f"{self.url}/healthz"))
        self.workers = [
            ServiceProcess(f"worker{i}", root / f"worker{i}",
                           ["worker", "--queues", queues, "--concurrency", "1"],
                           env, _logged_ready)
            for i in range(1, workers + 1)]
        self.parts: list[ChildServer] = []
        self.key = ""

    def start(self, log: Callable[[str], None]) -> None:
        for part in (self.redis, self.seaweed):
            self.parts.append(part)  # listed before start(): one interrupted starting is stopped
            began = time.monotonic()
            part.start()
            log(f"  {part.name} ready in {time.monotonic() - began:.1f} s")
        with contextlib.redirect_stdout(sys.stderr):  # it says where the PKI went: not a figure
            self.key, _ = _prepare(self.stack)  # the desk's first password: not needed
        for part in (*self.workers, self.api):
            self.parts.append(part)
            began = time.monotonic()
            part.start()
            log(f"  {part.name} ready in {time.monotonic() - began:.1f} s")

    def check_alive(self) -> None:
        dead = [part.name for part in self.parts if not part.running]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} stopped unexpectedly; logs under {self.root}")

    def stop(self) -> None:
        stop_all(*(p for p in self.parts if isinstance(p, ServiceProcess)))
        stop_all(*(p for p in self.parts if not isinstance(p, ServiceProcess)))

    def client(self, key: str | None = None) -> httpx.Client:
        """An HTTP client of the API with ``key`` (default: the admin/clerk key of ``start``)."""
        return httpx.Client(base_url=self.url, timeout=600,
                            headers={"Authorization": f"Bearer {key or self.key}"})


@contextlib.contextmanager
def running_stack(workers: int, log: Callable[[str], None], *, keep: bool,
                  queues: str = COUNTER_QUEUES) -> Iterator[Stack]:
    """A started throw-away stack in a new temporary folder, stopped when the block ends, also
    on an error, Ctrl-C or SIGTERM (both raise KeyboardInterrupt in the block, even while the
    stack starts). The folder is removed unless ``keep``, or an error other than an interrupt
    ended the block: its logs say what went wrong."""
    root = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = None
    try:
        stack = Stack(root, workers, queues)
        log(f"starting the stack in {root}")
        began = time.monotonic()
        stack.start(log)
        log(f"stack up in {time.monotonic() - began:.1f} s: {stack.url}")
        yield stack
        stack.check_alive()
    except KeyboardInterrupt:
        raise
    except BaseException:
        keep = True
        raise
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the clean stop short
            signal.signal(sig, signal.SIG_IGN)
        if stack is not None:
            log("stopping the stack")
            stack.stop()
        if keep:
            print(f"data dir (logs, index) kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_facts(script: str, argv: Sequence[str] | None) -> dict:
    """The command line (as run), when, the CPUs and the load at the start: every report's head."""
    return {"command": shlex.join([sys.executable,
                                   *(sys.argv if argv is None else [script, *argv])]),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "load_1min": {"start": os.getloadavg()[0]}}


# --- measuring -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def new_dossier(client: httpx.Client, review: str | None = None) -> str:
    """A new dossier (with review policy ``review`` when given, else the agency's default)."""
    body = {"procedure_code": "1.001193", "applicant_id_number": "001187012345"}
    response = client.post("/v1/dossiers", json=body | ({"review": review} if review else {}))
    response.raise_for_status()
    return response.json()["id"]


def run_dossier(client: httpx.Client, stack: Stack, documents: list[tuple[str, bytes]],
                timeout: float, log: Callable[[str], None], review: str | None = None
                ) -> tuple[float, float, dict[str, dict]]:
    """Upload ``documents`` to a new dossier (review policy ``review``), wait until each is done.

    Returns (first upload sent, last upload answered, {file name: {"sent", "done", "status",
    "form_type", "error", "record_id"}}), times from ``time.perf_counter``.
    """
    dossier = new_dossier(client, review)
    sent: dict[str, tuple[str, float]] = {}
    first = time.perf_counter()
    for name, data in documents:
        began = time.perf_counter()
        response = client.post(f"/v1/dossiers/{dossier}/documents",
                               files={"file": (name, data)}, headers={"Idempotency-Key": name})
        response.raise_for_status()
        document_id = response.json()["id"]
        if document_id in sent:
            raise RuntimeError(f"{name} was taken for a document already uploaded")
        sent[document_id] = (name, began)
    uploaded = time.perf_counter()
    done: dict[str, dict] = {}
    show = changes_logged(log, first)
    for now, answer in polled(client, stack, f"/v1/dossiers/{dossier}", first, timeout,
                              lambda: f"{len(sent) - len(done)} documents not done"):
        for doc in answer["documents"]:
            if doc["id"] in sent and doc["id"] not in done and doc["status"] in DONE:
                name, began = sent[doc["id"]]
                done[doc["id"]] = {"file": name, "sent": began, "done": now,
                                   "status": doc["status"], "form_type": doc["form_type"],
                                   "error": doc["error"], "record_id": doc["record_id"]}
        show(f"{len(done)}/{len(sent)} done", now)
        if len(done) == len(sent):
            break
    return first, uploaded, {d["file"]: d for d in done.values()}


def polled(client: httpx.Client, stack: Stack, path: str, first: float, timeout: float,
           waiting: Callable[[], str]) -> Iterator[tuple[float, dict]]:
    """``GET path`` every ``POLL_S`` seconds, for as long as the caller iterates: (when it
    answered, its JSON). Past ``timeout`` seconds from ``first`` it raises TimeoutError saying
    ``waiting()``; a part of the stack that stopped raises at once."""
    while True:
        if time.perf_counter() - first > timeout:
            raise TimeoutError(f"{waiting()} after {timeout:.0f} s")
        stack.check_alive()
        time.sleep(POLL_S)
        response = client.get(path)
        response.raise_for_status()
        yield time.perf_counter(), response.json()


def changes_logged(log: Callable[[str], None], first: float) -> Callable[..., None]:
    """``show(state, now, aside="")`` logs "state at N s aside" when ``state`` changed."""
    shown = [""]

    def show(state: str, now: float, aside: str = "") -> None:
        if state != shown[0]:
            log(f"  {state} at {now - first:.1f} s{aside}")
            shown[0] = state

    return show


def warm_up_documents(count: int, seed: int) -> list[tuple[str, bytes]]:
    """Held-out synthetic documents (never among the timed samples), form types in turn."""
    from sohoa_dev.synth.forms import FORM_TYPES, make_form_sample

    documents = []
    for i in range(count):
        sample = make_form_sample(FORM_TYPES[i % len(FORM_TYPES)], seed + i, "heldout")
        data, suffix = sample.to_file()
        documents.append((f"warmup-{sample.form_type}-{sample.seed}{suffix}", data))
    return documents


def throughput(client: httpx.Client, stack: Stack, files: list[Path], timeout: float,
               log: Callable[[str], None]) -> dict:
    documents = [(path.name, path.read_bytes()) for path in files]
    pages = {name: page_count(data, name) for name, data in documents}
    first, uploaded, done = run_dossier(client, stack, documents, timeout, log)
    seconds = max(d["done"] for d in done.values()) - first
    latencies = [d["done"] - d["sent"] for d in done.values()]
    statuses: dict[str, int] = {}
    for d in done.values():
        statuses[d["status"]] = statuses.get(d["status"], 0) + 1
    failed = {name: d["error"] for name, d in done.items() if d["status"] == "failed"}
    total_pages = sum(pages.values())
    return {
        "documents": len(done),
        "pages": total_pages,
        "seconds": seconds,
        "upload_seconds": uploaded - first,
        "docs_per_minute": 60 * len(done) / seconds,
        "pages_per_minute": 60 * total_pages / seconds,
        "latency_p50_s": percentile(latencies, 0.5),
        "latency_p95_s": percentile(latencies, 0.95),
        "statuses": statuses,
        "failed": failed,
        "per_document": [{"file": name, "pages": pages[name], "status": done[name]["status"],
                          "form_type": done[name]["form_type"],
                          "seconds": done[name]["done"] - done[name]["sent"]}
                         for name, _ in documents],
    }


CARD_NAME = "cccd-front.jpg"


def extract_call(client: httpx.Client, card: bytes) -> tuple[float, str]:
    """One ``POST /v1/extract`` of the card: (seconds from request to answer, form type read)."""
    began = time.perf_counter()
    response = client.post("/v1/extract", files={"file": (CARD_NAME, card, "image/jpeg")})
    seconds = time.perf_counter() - began
    response.raise_for_status()
    return seconds, response.json()["form_type"]


def latency_figures(values: Sequence[float]) -> dict:
    return {"p50_s": percentile(values, 0.5), "p95_s": percentile(values, 0.95),
            "mean_s": statistics.fmean(values), "min_s": min(values), "max_s": max(values)}


def extract_latency(client: httpx.Client, card: bytes, requests: int,
                    log: Callable[[str], None]) -> dict:
    from ocr_service.pipeline.ocr import get_engine
    from ocr_service.pipeline.process import extract_document

    engine = get_engine()

    def over_http() -> tuple[float, str]:
        return extract_call(client, card)

    def in_process() -> tuple[float, str]:
        began = time.perf_counter()
        result = extract_document(card, CARD_NAME, engine).export()
        return time.perf_counter() - began, result["form_type"]

    for _ in range(2):
        over_http()
        in_process()
    http, local, types = [], [], set()
    for i in range(requests):
        for call, into in ((over_http, http), (in_process, local)):
            seconds, form_type = call()
            into.append(seconds)
            types.add(form_type)
        if (i + 1) % 5 == 0 or i + 1 == requests:
            log(f"  {i + 1}/{requests} extract calls, HTTP median so far "
                f"{statistics.median(http):.2f} s")

    result = {"requests": requests, "bytes": len(card), "form_types": sorted(types),
              "http": latency_figures(http), "in_process": latency_figures(local)}
    result["overhead_x_p50"] = result["http"]["p50_s"] / result["in_process"]["p50_s"]
    result["overhead_x_p95"] = result["http"]["p95_s"] / result["in_process"]["p95_s"]
    result["overhead_ms_p50"] = 1000 * (result["http"]["p50_s"] - result["in_process"]["p50_s"])
    return result


# --- reporting -----------------------------------------------------------------------------------


def report(e2e: dict, extract: dict, workers: int) -> str:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(e2e["statuses"].items()))
    lines = [
        f"end to end, {workers} worker{'s' if workers > 1 else ''} (all queues, concurrency 1):",
        f"  {e2e['documents']} documents, {e2e['pages']} pages in {e2e['seconds']:.1f} s "
        f"({statuses})",
        f"  {e2e['docs_per_minute']:.2f} docs/min  {e2e['pages_per_minute']:.2f} pages/min  "
        f"upload->done p50 {e2e['latency_p50_s']:.1f} s  p95 {e2e['latency_p95_s']:.1f} s",
        "",
        f"POST /v1/extract, one-page ID card front ({extract['bytes'] // 1024} KiB JPEG, "
        f"{extract['requests']} sequential calls, form type {'/'.join(extract['form_types'])}):",
    ]
    rows = [["", "p50 s", "p95 s", "mean s", "min s", "max s"]]
    for label, key in (("HTTP API", "http"), ("in-process", "in_process")):
        f = extract[key]
        rows.append([label, *(f"{f[k]:.3f}" for k in ("p50_s", "p95_s", "mean_s", "min_s",
                                                          "max_s"))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines += ["  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    lines.append(f"  HTTP x in-process: p50 {extract['overhead_x_p50']:.2f}  "
                 f"p95 {extract['overhead_x_p95']:.2f}  "
                 f"({extract['overhead_ms_p50']:+.0f} ms at p50)")
    if e2e["failed"]:
        lines.append("failed: " + "; ".join(f"{n}: {e}" for n, e in e2e["failed"].items()))
    return "\n".join(lines)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    facts = run_facts("bench/service.py", argv)
    if not args.json:
        print(f"# {facts['command']}\n# {facts['date']}  cpus={facts['cpus']}  "
              f"load={facts['load_1min']['start']:.2f}  workers={args.workers} "
              f"docs={args.docs} requests={args.requests} card-seed={args.card_seed} "
              f"warm-up={args.workers if args.warm_up is None else args.warm_up}", flush=True)
    files = samples_in_turn()[:args.docs]
    card = card_front_jpeg(args.card_seed)
    warm_up = warm_up_documents(args.workers if args.warm_up is None else args.warm_up,
                                args.card_seed + 1)
    log = lambda text: say(args, text)  # noqa: E731
    try:
        with running_stack(args.workers, log, keep=args.keep) as stack, \
                stack.client() as client:
            if warm_up:
                log(f"warm-up ({len(warm_up)} document{'s' * (len(warm_up) > 1)}, not timed):")
                run_dossier(client, stack, warm_up, args.timeout, log)
            log("throughput:")
            e2e = throughput(client, stack, files, args.timeout, log)
            log("extract latency:")
            extract = extract_latency(client, card, args.requests, log)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    facts["load_1min"]["end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps({**facts, "workers": args.workers, "worker_concurrency": 1,
                          "warm_up_documents": len(warm_up),
                          "end_to_end": e2e, "extract": extract},
                         ensure_ascii=False, indent=2))
    else:
        print(report(e2e, extract, args.workers))
        print(f"# load (1 min) at the end {facts['load_1min']['end']:.2f}: other work on the "
              "machine skews the figures")
    return 0 if not e2e["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
