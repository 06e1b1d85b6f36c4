"""``ExtractPool``: documents read in child processes under memory and time limits, with
stand-in work (``tests/extract_targets.py``) so that each failure is certain and quick."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ocr_service.config import Settings
from ocr_service.errors import InputError
from ocr_service.pipeline.isolated import ExtractBusy, ExtractPool, ExtractUnavailable
from ocr_service.store.index import Role
from tests.extract_targets import act

MEMORY = 1 << 30
WAIT_S = 120
"""Deadline of a test's wait for an answer: generous, children are spawned on a shared machine."""


def make_pool(tmp_path: Path, *, processes: int = 1, queue: int = 2,
              time_limit: float = 60) -> ExtractPool:
    settings = Settings(data_dir=tmp_path, extract_memory_bytes=MEMORY)
    return ExtractPool(settings, processes=processes, queue=queue, memory_bytes=MEMORY,
                       time_limit=time_limit, target=act, prepare=None)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[ExtractPool]:
    pool = make_pool(tmp_path, time_limit=2)
    yield pool
    pool.close()


def read(pool: ExtractPool, data: bytes, name: str = "scan.pdf") -> dict:
    return pool.submit(data, name).result(WAIT_S)


def test_a_document_past_the_time_limit_is_cut_off_and_the_next_one_is_read(pool) -> None:
    first = read(pool, b"ok")
    with pytest.raises(InputError) as caught:
        read(pool, b"sleep", "slow.pdf")
    error = caught.value
    assert error.code == "extract_timeout"
    assert "“slow.pdf”" in error.message and "2 s" in error.message
    assert "“slow.pdf”" in error.message_vi and "2 giây" in error.message_vi
    after = read(pool, b"ok")
    assert after["pid"] != first["pid"]  # the sleeping child was killed and replaced


@pytest.mark.parametrize("work", [b"hog", b"cv2-hog", b"die"])
def test_a_child_out_of_memory_answers_too_large_and_is_replaced(pool, work) -> None:
    first = read(pool, b"ok")
    with pytest.raises(InputError) as caught:
        read(pool, work, "bomb.tif")
    error = caught.value
    assert error.code == "too_large"
    assert "“bomb.tif”" in error.message and "1024 MiB" in error.message
    assert "“bomb.tif”" in error.message_vi and "1024 MiB bộ nhớ" in error.message_vi
    assert read(pool, b"ok")["pid"] != first["pid"]


def test_an_input_error_comes_back_whole_and_the_child_stays(pool) -> None:
    first = read(pool, b"ok")
    with pytest.raises(InputError) as caught:
        read(pool, b"bad", "hỏng.pdf")
    error = caught.value
    assert type(error) is InputError and error.code == "corrupt_file"
    assert error.message == "The file “hỏng.pdf” is damaged."
    assert error.message_vi == "Tệp “hỏng.pdf” bị hỏng."
    assert read(pool, b"ok")["pid"] == first["pid"]


def test_past_the_queue_a_request_is_refused_at_once_with_retry_after(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, processes=1, queue=1)
    gate = tmp_path / "open"
    try:
        reading = pool.submit(b"wait:%s" % str(gate).encode(), "a.pdf")
        waiting = pool.submit(b"ok", "b.pdf")
        with pytest.raises(ExtractBusy) as caught:
            pool.submit(b"ok", "c.pdf")
        busy = caught.value
        assert busy.code == "extract_busy" and busy.headers["Retry-After"].isdigit()
        assert "1 documents are waiting" in busy.message
        assert "1 tài liệu đang chờ" in busy.message_vi
        gate.touch()
        assert reading.result(WAIT_S)["file"] == "a.pdf"
        assert waiting.result(WAIT_S)["file"] == "b.pdf"
        assert read(pool, b"ok", "c.pdf")["file"] == "c.pdf"  # room again
    finally:
        pool.close()


def test_children_read_side_by_side_and_are_reused(tmp_path: Path) -> None:
    pool = make_pool(tmp_path, processes=2, queue=0)
    gate = tmp_path / "open"
    try:
        both = [pool.submit(b"wait:%s" % str(gate).encode(), name) for name in ("a", "b")]
        gate.touch()  # each waits in its own child: answered only if both run at once
        pids = {future.result(WAIT_S)["pid"] for future in both}
        assert len(pids) == 2
        again = {read(pool, b"ok")["pid"] for _ in range(4)}
        assert again <= pids
    finally:
        pool.close()


def test_awaiting_a_document_leaves_the_event_loop_free(pool) -> None:
    async def scenario() -> tuple[dict, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        try:
            return await pool.extract(b"ok", "a.pdf"), ticks
        finally:
            ticker.cancel()

    answer, ticks = asyncio.run(scenario())
    assert answer["file"] == "a.pdf" and ticks > 1  # the loop ran while the child started


def test_a_closed_pool_refuses_and_kills_a_child_at_work(tmp_path: Path) -> None:
    pool = make_pool(tmp_path)
    gate = tmp_path / "never"
    reading = pool.submit(b"wait:%s" % str(gate).encode(), "a.pdf")
    deadline = time.monotonic() + WAIT_S
    while not pool._busy and time.monotonic() < deadline:  # noqa: SLF001 - a child has it
        time.sleep(0.05)
    pool.close()
    with pytest.raises(ExtractUnavailable):
        reading.result(WAIT_S)
    with pytest.raises(ExtractUnavailable):
        pool.submit(b"ok", "b.pdf")


def test_the_route_answers_the_pools_errors_in_the_api_shape(tmp_path: Path) -> None:
    from tests.unit.test_api_auth import Stack

    stack = Stack(tmp_path)
    pool = make_pool(tmp_path, processes=1, queue=0)
    stack.app.state.hub._extract_pool = pool  # noqa: SLF001 - stand-in work in its children
    headers = stack.key(Role.CLERK)
    gate = tmp_path / "open"

    def post(data: bytes) -> httpx.Response:
        return stack.client.post("/v1/extract", headers=headers,
                                 files={"file": ("giấy tờ.pdf", data, "application/pdf")})

    try:
        answer = post(b"ok")
        assert answer.status_code == 200 and answer.json()["file"] == "giấy tờ.pdf"
        answer = post(b"bad")
        assert answer.status_code == 422
        assert answer.json()["error"] == {"code": "corrupt_file",
                                          "message": "The file “giấy tờ.pdf” is damaged.",
                                          "message_vi": "Tệp “giấy tờ.pdf” bị hỏng."}
        reading = pool.submit(b"wait:%s" % str(gate).encode(), "a.pdf")  # the one child is busy
        answer = post(b"ok")
        assert answer.status_code == 503 and answer.headers["Retry-After"].isdigit()
        error = answer.json()["error"]
        assert error["code"] == "extract_busy" and error["message_vi"] != error["message"]
        gate.touch()
        reading.result(WAIT_S)
        assert post(b"ok").status_code == 200
    finally:
        pool.close()
        stack.index.close()


def test_with_no_processes_the_route_reads_in_this_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from ocr_service.api import deps
    from ocr_service.pipeline.ocr import build_engine
    from tests.unit.test_api_auth import Stack

    stack = Stack(tmp_path)
    hub = stack.app.state.hub
    hub.settings = hub.settings.model_copy(update={"extract_processes": 0})
    engine = build_engine("tesseract", hub.settings)
    monkeypatch.setattr(deps, "get_engine", lambda: engine)
    page = tmp_path / "page.png"
    Image.new("L", (400, 300), 255).save(page)
    try:
        answer = stack.client.post("/v1/extract", headers=stack.key(Role.CLERK),
                                   files={"file": ("page.png", page.read_bytes(), "image/png")})
        assert answer.status_code == 200 and answer.json()["form_type"] == "unknown"
        assert hub.extract_pool is None
    finally:
        stack.index.close()
