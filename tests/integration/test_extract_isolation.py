"""``POST /v1/extract`` reads in a child process (issue 17): on a real ``uvicorn`` API
(``ApiProcess`` of test_hardening: SQLite, tesseract), the memory of a reading is the child's, and
a child that dies or passes its memory limit costs its own request only.

Bounds stated and checked here (no timings: the machine is shared):
- a 79-megapixel page (within the intake's limits) is read with the API's peak memory growing
  by under 16 MiB, while its reading process's grows by over 512 MiB (read in the API process,
  the API's grew by 1 GiB);
- the reading process killed mid-document, as the kernel's OOM killer would: 422 ``too_large``
  in both languages, then ``/healthz`` and the next document answer 200, from a new process;
- with ``SOHOA_EXTRACT_MEMORY_BYTES`` at 768 MiB the same page answers 422 ``too_large`` while a
  two-page ID card and a small page are read.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ocr_service.config import REPO_ROOT
from tests.integration.test_hardening import (  # noqa: F401 - api: the default server, a fixture
    MEMORY_BOUND, MIB, ApiProcess, _extract, api)

WAIT_S = 120
ID_CARD = REPO_ROOT / "samples" / "forms" / "cccd-01.pdf"


@pytest.fixture(scope="module")
def small_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """An API whose reading processes may use 768 MiB (the server inherits this environment)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOHOA_EXTRACT_MEMORY_BYTES", str(768 * MIB))
        server = ApiProcess(tmp_path_factory.mktemp("small-extract"))
    yield server
    server.close()


def png(width: int, height: int, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), 255 if mode == "L" else (255, 255, 255)).save(buffer, "PNG")
    return buffer.getvalue()


BIG_PAGE = png(10_000, 7_900, "RGB")
"""79 megapixels of colour (the page limit is 80) in a 250 KB file: over 1 GiB to read."""


def status_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def kib(value: str) -> int:
    return int(value.split()[0]) * 1024


def reading_processes(api: ApiProcess) -> list[int]:
    """The API's children started by ``spawn`` to read documents (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(status_of(int(entry.name))["PPid"])
            command = (entry / "cmdline").read_bytes()
        except (OSError, KeyError, ValueError):
            continue  # gone meanwhile
        if ppid == api.process.pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def the_reader(api: ApiProcess) -> int:
    [pid] = reading_processes(api)  # SOHOA_EXTRACT_PROCESSES defaults to one
    return pid


def assert_bilingual_too_large(answer: httpx.Response, name: str) -> None:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "too_large"
    assert f"“{name}”" in error["message"] and f"“{name}”" in error["message_vi"]
    assert error["message"] != error["message_vi"]


def peak(pid: int) -> int:
    """The process's peak resident memory (VmHWM): what it needed at the worst moment, which
    its RSS after the answer does not show (the page's arrays are unmapped by then)."""
    return kib(status_of(pid)["VmHWM"])


def test_a_big_page_is_read_with_the_memory_of_the_reading_process(api: ApiProcess) -> None:
    assert _extract(api, "warm.png", png(400, 300)).status_code == 200  # the reader started
    reader = the_reader(api)
    api_before, reader_before = peak(api.process.pid), peak(reader)
    answer = _extract(api, "big.png", BIG_PAGE)
    assert answer.status_code == 200, answer.text
    assert peak(api.process.pid) - api_before < MEMORY_BOUND  # read in this process: +1 GiB
    assert peak(reader) - reader_before > 512 * MIB
    assert the_reader(api) == reader  # a document read well keeps its process


def test_a_reading_process_killed_mid_document_costs_that_request_only(api: ApiProcess) -> None:
    assert _extract(api, "warm.png", png(400, 300)).status_code == 200
    reader = the_reader(api)
    answers: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: answers.append(_extract(api, "big.png", BIG_PAGE)))
    sender.start()
    deadline = time.monotonic() + WAIT_S
    while kib(status_of(reader)["VmRSS"]) < 256 * MIB:  # it is decoding the page
        assert time.monotonic() < deadline and sender.is_alive(), "the page was never read"
        time.sleep(0.01)
    os.kill(reader, signal.SIGKILL)  # what the kernel's OOM killer does
    sender.join(WAIT_S)
    assert_bilingual_too_large(answers[0], "big.png")
    assert httpx.get(api.url("/healthz"), timeout=30).status_code == 200
    assert _extract(api, "after.png", png(400, 300)).status_code == 200
    assert the_reader(api) != reader


def test_a_page_past_the_memory_limit_answers_too_large_and_the_api_reads_on(
        small_api: ApiProcess) -> None:
    assert _extract(small_api, "card.pdf", ID_CARD.read_bytes()).status_code == 200
    assert_bilingual_too_large(_extract(small_api, "big.png", BIG_PAGE), "big.png")
    assert httpx.get(small_api.url("/healthz"), timeout=30).status_code == 200
    assert _extract(small_api, "card.pdf", ID_CARD.read_bytes()).status_code == 200
    assert _extract(small_api, "small.png", png(400, 300)).status_code == 200
