"""Several documents' pages in one OCR engine call, for workers that own a GPU.

A GPU reads 64 pages in little more time than one, but the ``ocr`` task gets one document (often
one or two pages) at a time. With ``SOHOA_OCR_BATCH_DOCUMENTS=B`` (and a worker running several
tasks at once: ``--pool threads --concurrency`` of at least B), each task hands its pages to the
worker's ``OcrBatcher`` and waits: one engine thread takes the first document waiting, then the
others that arrive within ``SOHOA_OCR_BATCH_WAIT_MS`` (up to B documents), reads all their pages
in one ``engine.recognize`` call and gives each document its own pages' texts. The engine contract
(``ocr/base.py``) makes the text independent of the grouping, so a document reads the same as
alone; only the wait (at most the bounded wait plus one batch) is added.

CPU work overlaps the engine: each task cleans its pages (deskew, crop, quality) in its own
thread before it joins a batch, so while the engine reads one batch the next batch's intake and
clean-up run beside it, and the record stage (PDF/A, signing) runs on the ``cpu`` queue's workers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from ocr_service.domain import PageImage, PageText
from ocr_service.pipeline.ocr.base import OcrEngine
from ocr_service.pipeline.orientation import second_look

log = logging.getLogger(__name__)

Cleaner = Callable[[list[PageImage]], list[PageImage]]


@dataclass
class _Job:
    pages: list[PageImage]
    done: Future[list[PageText]] = field(default_factory=Future)


class OcrBatcher:
    """Reads documents' pages in shared engine calls of up to ``max_documents`` documents,
    waiting at most ``wait_ms`` after the first for the others; thread-safe."""

    def __init__(self, engine: OcrEngine, max_documents: int = 8, wait_ms: float = 50,
                 clean: Cleaner | None = None) -> None:
        if clean is None:
            from ocr_service.pipeline.clean import clean_pages

            clean = clean_pages
        self.engine = engine
        self._max_documents = max(1, max_documents)
        self._wait_s = max(0.0, wait_ms) / 1000
        self._clean = clean
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches: list[int] = []
        """Documents per engine call so far (for tests and logs; the last 1000)."""

    def read(self, pages: Sequence[PageImage]) -> tuple[list[PageImage], list[PageText]]:
        """The cleaned pages and their texts, as ``process.read_clean_pages`` returns them (a
        doubtful page read again turned over); the clean-up runs in the caller's thread, the
        OCR in the batcher's."""
        cleaned = self._clean(list(pages))
        return second_look(cleaned, self.recognize(cleaned), self.recognize)

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        """``engine.recognize(pages)``, in a call shared with other documents."""
        if not pages:
            return []
        job = _Job(list(pages))
        self._start()
        self._jobs.put(job)
        return job.done.result()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ocr-batcher", daemon=True)
                self._thread.start()

    def _collect(self) -> list[_Job]:
        """The first job waiting and those that come within the wait, up to the batch size."""
        jobs = [self._jobs.get()]
        deadline = time.monotonic() + self._wait_s
        while len(jobs) < self._max_documents:
            try:
                jobs.append(self._jobs.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return jobs

    def _run(self) -> None:
        while True:
            jobs = self._collect()
            self.batches = [*self.batches[-999:], len(jobs)]
            pages = [page for job in jobs for page in job.pages]
            try:
                texts = self.engine.recognize(pages)
            except BaseException as exc:  # each document's task handles (and retries) it
                for job in jobs:
                    job.done.set_exception(exc)
                continue
            log.debug("OCR batch: %d documents, %d pages", len(jobs), len(pages))
            start = 0
            for job in jobs:
                job.done.set_result(texts[start : start + len(job.pages)])
                start += len(job.pages)
