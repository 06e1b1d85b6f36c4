"""``sohoa up`` (what ``make run`` ends with): the printed URL and key work end to end, through
the API and the worker it started, and Ctrl-C stops every child it started."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ocr_service.config import REPO_ROOT
from ocr_service.devstack import free_ports

SAMPLE = REPO_ROOT / "samples" / "pages" / "form-1.jpg"


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


def _read_until(lines: queue.Queue[str], marker: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if marker in seen[-1]:
            return seen
    raise AssertionError(f"no {marker!r} within {timeout:.0f} s; output:\n{''.join(seen)}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, str, Path]]:
    port = free_ports(1)[0]
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path), "SOHOA_OCR_THREADS": "1"}
    env = {k: v for k, v in env.items()
           if k not in ("SOHOA_REDIS_URL", "SOHOA_S3_ENDPOINT", "SOHOA_DATABASE_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocr_service.cli", "up", "--port", str(port), "--concurrency", "1"],
        env=env, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        printed = _read_until(lines, "Ctrl-C", timeout=180)
        key = next(line.strip() for line in printed if line.strip().startswith("sohoa_"))
        yield proc, f"http://127.0.0.1:{port}", key, tmp_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _children_of(data_dir: Path) -> list[str]:
    """Processes still running whose command line names the stack's data folder."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(data_dir) in command:
            found.append(command)
    return found


def test_up_serves_processes_and_stops(stack: tuple[subprocess.Popen[str], str, str, Path]) -> None:
    proc, url, key, data_dir = stack
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        assert client.get("/readyz").status_code == 200, client.get("/readyz").text
        dossier = client.post("/v1/dossiers", json={"procedure_code": "1.001234",
                                                    "applicant_id_number": "001099012345"})
        assert dossier.status_code == 201, dossier.text
        dossier_id = dossier.json()["id"]
        files = {"file": ("form-1.jpg", SAMPLE.read_bytes(), "image/jpeg")}
        accepted = client.post(f"/v1/dossiers/{dossier_id}/documents", files=files)
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            document = client.get(f"/v1/dossiers/{dossier_id}").json()["documents"][0]
            if document["status"] in ("archived", "failed"):
                break
            time.sleep(0.2)
        assert document["status"] == "archived", document
        pdf = client.get(f"/v1/records/{document['record_id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert _children_of(data_dir) == []
