"""Extraction in child processes under memory and time limits (``POST /v1/extract``).

Reading a document runs native code (decoders, OpenCV, onnxruntime) on whatever a caller sent.
Run in the API process, one document that takes too much memory or time takes the API with it;
run here, it takes one child, which is killed and replaced, and its caller gets an answer:

* each child is started with ``spawn`` (a fresh interpreter: none of the API's threads, sockets
  or locks), limits its own memory (``RLIMIT_DATA``, see ``limit_memory``), loads the OCR engine
  once and then reads one document at a time;
* a document still being read after ``extract_time_limit`` seconds: its child is killed and the
  caller gets ``extract_timeout`` (422);
* a child that runs out of memory (``MemoryError``, a native library's allocation error) or dies
  (the kernel's OOM killer, a crash): replaced, and the caller gets ``too_large`` (422), as for a
  document refused by the intake's work budget;
* an ``InputError`` (or any ``SohoaError``) raised in the child comes back as the same class with
  the same code and both messages;
* ``extract_processes`` children read at once; ``extract_queue`` more requests may wait for one,
  and past that the caller gets ``extract_busy`` (503 with ``Retry-After``).

Children start on first use (or at ``start()``); a child that is replaced starts again when the
next document needs it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import re
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..config import Settings
from ..errors import InputError, SohoaError
from .intake import too_large

log = logging.getLogger(__name__)

Target = Callable[[bytes, str, Settings], Any]
"""What a child runs on each document: (bytes, file name, settings) → a picklable answer."""
Prepare = Callable[[Settings], None]
"""What a child runs once when it starts (loading the OCR engine)."""

START_LIMIT_S = 300.0
"""Seconds a new child has to import its modules and load the engine (hashing the model files
included) before it is given up as broken: generous, since it does not depend on the document."""
RETRY_AFTER_S = 5
"""``Retry-After`` of ``extract_busy``: a one- or two-page document is read in a few seconds."""
_NATIVE_OUT_OF_MEMORY = re.compile(
    r"bad_alloc|out of memory|insufficient memory|failed to allocate", re.IGNORECASE)


class ExtractBusy(SohoaError):
    """Every child is reading and the waiting line is full: send again later (HTTP 503)."""

    code = "extract_busy"

    def __init__(self, waiting: int) -> None:
        super().__init__(
            f"All document readers are busy ({waiting} documents are waiting); send the file "
            f"again in {RETRY_AFTER_S} s.",
            f"Tất cả bộ đọc tài liệu đang bận ({waiting} tài liệu đang chờ); hãy gửi lại tệp sau "
            f"{RETRY_AFTER_S} giây.")
        self.headers = {"Retry-After": str(RETRY_AFTER_S)}


class ExtractUnavailable(SohoaError):
    """A child could not be started, or the pool is closing: not the document's fault (503)."""

    code = "extract_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The document reader could not be started; try again later (the cause is in the "
            "server's log).",
            "Không khởi động được bộ đọc tài liệu; hãy thử lại sau (nguyên nhân được ghi trong "
            "nhật ký của máy chủ).")


def extract_timeout(filename: str, seconds: float) -> InputError:
    return InputError(
        f"The file “{filename}” could not be read within {seconds:g} s. Split it into smaller "
        "documents, or submit it in a dossier, where documents are read in the background.",
        f"Không đọc xong tệp “{filename}” trong vòng {seconds:g} giây. Hãy tách thành các tài "
        "liệu nhỏ hơn, hoặc nộp tệp trong hồ sơ để được xử lý nền.",
        code="extract_timeout")


def out_of_memory(filename: str, limit: int) -> InputError:
    mib = limit / (1 << 20)
    return too_large(filename, f"reading it needs more than {mib:.0f} MiB of memory",
                      f"việc đọc tệp cần hơn {mib:.0f} MiB bộ nhớ")


# --------------------------------------------------------------------------------------------------
# What runs in a child


_engine: Any = None


def load_engine(settings: Settings) -> None:
    """The child's OCR engine, built once from the settings it was given."""
    global _engine
    from .ocr import build_engine

    _engine = build_engine(settings.ocr_engine, settings)


def extract_exported(data: bytes, filename: str, settings: Settings) -> dict:
    """``extract_document`` with the child's engine, as the contract JSON (plain data)."""
    from .process import extract_document

    if _engine is None:
        load_engine(settings)
    return extract_document(data, filename, _engine, settings).export()


def limit_memory(limit: int) -> None:
    """Cap this process's writable private memory (heap, anonymous maps, thread stacks).

    ``RLIMIT_DATA`` (Linux 4.7+), not ``RLIMIT_AS``: the address space also counts what is only
    reserved (each thread's malloc arena, onnxruntime's per-core threads), which grows with the
    number of cores rather than with the document."""
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _is_out_of_memory(exc: BaseException) -> bool:
    """MemoryError, or a native library's own allocation error, which is not one: OpenCV's
    ``cv2.error`` with code -4 (``StsNoMem``), onnxruntime's ``bad_alloc`` in a RuntimeException."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__module__ == "cv2" and getattr(exc, "code", None) == -4:
        return True
    return bool(_NATIVE_OUT_OF_MEMORY.search(str(exc)))


def _flat(exc: SohoaError) -> tuple:
    """A SohoaError as picklable parts (its ``__init__`` may take other arguments than its
    ``args``, so the exception itself does not survive pickling)."""
    return type(exc), exc.message, exc.message_vi, exc.code


def _rebuilt(cls: type[SohoaError], message: str, message_vi: str, code: str) -> SohoaError:
    exc = cls.__new__(cls)
    SohoaError.__init__(exc, message, message_vi, code=code)
    return exc


def _serve(conn: Connection, target: Target, prepare: Prepare | None, settings: Settings,
           memory_bytes: int) -> None:
    """A child's life: limit memory, prepare, say ready, then answer documents until the pipe
    closes. Answers: ``("ok", value)``, ``("error", *flat)``, ``("memory",)`` (then exit: the
    heap may be left fragmented), ``("bug", traceback)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the API stops us
    limit_memory(memory_bytes)
    try:
        if prepare is not None:
            prepare(settings)
    except SohoaError as exc:  # a model file missing: every document would get the same answer
        conn.send(("error", *_flat(exc)))
        return
    except BaseException:  # noqa: BLE001 - told to the API, which logs it
        conn.send(("bug", traceback.format_exc()))
        return
    conn.send(("ready",))
    while True:
        try:
            data, filename = conn.recv()
        except EOFError:
            return
        try:
            reply: tuple = ("ok", target(data, filename, settings))
        except SohoaError as exc:
            reply = ("error", *_flat(exc))
        except Exception as exc:  # noqa: BLE001 - told to the API
            if _is_out_of_memory(exc):
                conn.send(("memory",))
                return
            reply = ("bug", traceback.format_exc())
        conn.send(reply)


# --------------------------------------------------------------------------------------------------
# The API's side


class _Died(Exception):
    """The child closed its pipe: it exited or was killed."""


class _Child:
    """One child process and the API's end of its pipe."""

    def __init__(self, context: multiprocessing.context.BaseContext, pool: ExtractPool) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, name="sohoa-extract", daemon=True,
            args=(theirs, pool.target, pool.prepare, pool.settings, pool.limits.memory_bytes))
        self.process.start()
        theirs.close()
        self.conn = ours
        self.ready = False

    def receive(self, seconds: float) -> tuple | None:
        """The child's next answer, or None when it gave none within ``seconds``."""
        try:
            if not self.conn.poll(seconds):
                return None
            return self.conn.recv()
        except (EOFError, OSError):
            raise _Died from None

    def ask(self, data: bytes, filename: str, seconds: float) -> tuple | None:
        try:
            self.conn.send((data, filename))
        except OSError:
            raise _Died from None
        return self.receive(seconds)

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


@dataclass(frozen=True)
class _Limits:
    processes: int
    queue: int
    memory_bytes: int
    time_limit: float


class ExtractPool:
    """``processes`` children reading documents, ``queue`` more documents waiting for one.

    ``submit`` is for threads, ``extract`` for the event loop; both refuse at once, with
    ``ExtractBusy``, a document that would wait beyond the queue. ``target`` and ``prepare`` are
    what the children run (module-level functions: they are pickled by name); tests give their
    own."""

    def __init__(self, settings: Settings, *, processes: int, queue: int, memory_bytes: int,
                 time_limit: float, target: Target = extract_exported,
                 prepare: Prepare | None = load_engine) -> None:
        if processes < 1:
            raise ValueError("an ExtractPool needs at least one process")
        self.settings, self.target, self.prepare = settings, target, prepare
        self.limits = _Limits(processes, queue, memory_bytes, time_limit)
        self._context = multiprocessing.get_context("spawn")
        self._threads = ThreadPoolExecutor(max_workers=processes,
                                           thread_name_prefix="extract-pool")
        self._free: list[_Child | None] = [None] * processes
        """Children no thread is using; None: one to start when needed (first use, replaced)."""
        self._busy: set[_Child] = set()
        self._lock = threading.Lock()
        self._admitted = 0
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractPool:
        return cls(settings, processes=settings.extract_processes, queue=settings.extract_queue,
                   memory_bytes=settings.extract_memory_bytes,
                   time_limit=settings.extract_time_limit)

    def start(self) -> None:
        """Start every child now (they load the engine meanwhile) instead of on first use."""
        with self._lock:
            self._free = [child or _Child(self._context, self) for child in self._free]

    def submit(self, data: bytes, filename: str) -> Future:
        """The document's answer (``target``'s value), as a future; ``ExtractBusy`` at once when
        the queue is full."""
        limits = self.limits
        with self._lock:
            if self._closed:
                raise ExtractUnavailable()
            if self._admitted >= limits.processes + limits.queue:
                raise ExtractBusy(self._admitted - limits.processes)
            self._admitted += 1
        future = self._threads.submit(self._run, data, filename)
        future.add_done_callback(self._release)
        return future

    async def extract(self, data: bytes, filename: str) -> Any:
        """``submit`` awaited without blocking the event loop (a thread waits on the child)."""
        return await asyncio.wrap_future(self.submit(data, filename))

    def close(self) -> None:
        """Kill the children; a document being read gets ``extract_unavailable``."""
        with self._lock:
            self._closed = True
            free, self._free = [c for c in self._free if c is not None], []
            busy = list(self._busy)
        self._threads.shutdown(wait=False, cancel_futures=True)
        for child in free:
            child.kill()
        for child in busy:  # its thread sees the pipe close, and cleans up
            child.process.kill()

    def _release(self, _: Future) -> None:
        with self._lock:
            self._admitted -= 1

    def _run(self, data: bytes, filename: str) -> Any:
        """In one of ``processes`` threads: there is always a free child (or slot) to take."""
        with self._lock:
            if self._closed:
                raise ExtractUnavailable()
            child = self._free.pop()
        child = child or _Child(self._context, self)
        with self._lock:
            self._busy.add(child)
        keep = False
        try:
            if not child.ready:
                self._wait_ready(child)
            reply = child.ask(data, filename, self.limits.time_limit)
            if reply is None:
                log.warning("extract: %s still being read after %g s; its process is killed",
                            filename, self.limits.time_limit)
                raise extract_timeout(filename, self.limits.time_limit)
            keep = reply[0] in ("ok", "error", "bug")
            return self._answer(reply, filename)
        except _Died:
            if self._closed:
                raise ExtractUnavailable() from None
            log.warning("extract: the process reading %s died (exit code %s)", filename,
                        child.process.exitcode)
            raise out_of_memory(filename, self.limits.memory_bytes) from None
        finally:
            self._give_back(child, keep)

    def _wait_ready(self, child: _Child) -> None:
        """Until the child has loaded the engine; its start-up failure, told to the caller."""
        try:
            reply = child.receive(START_LIMIT_S)
        except _Died:
            reply = ("bug", f"exit code {child.process.exitcode}")
        if reply is None:
            reply = ("bug", f"not ready after {START_LIMIT_S:g} s")
        if reply[0] == "ready":
            child.ready = True
            return
        if reply[0] == "error":
            raise _rebuilt(*reply[1:])
        log.error("extract: a reading process could not start: %s", reply[1])
        raise ExtractUnavailable()

    def _answer(self, reply: tuple, filename: str) -> Any:
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "error":
            raise _rebuilt(*reply[1:])
        if kind == "memory":
            log.warning("extract: %s ran out of memory (limit %d bytes)", filename,
                        self.limits.memory_bytes)
            raise out_of_memory(filename, self.limits.memory_bytes)
        raise RuntimeError(f"extract of {filename} failed in its process:\n{reply[1]}")

    def _give_back(self, child: _Child, keep: bool) -> None:
        """Back to the free list; a child that is not kept (timed out, died, out of memory, or
        the pool closed meanwhile) is killed, and its slot starts a new one when needed."""
        with self._lock:
            self._busy.discard(child)
            keep = keep and not self._closed
            if not self._closed:
                self._free.append(child if keep else None)
        if not keep:
            child.kill()
