"""`POST /v1/extract` on a running server (`sohoa serve` as a child process), as callers use it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The running server, and a client that sends an API key of its index (every endpoint but
    health needs one)."""
    port = _free_port()
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path_factory.mktemp("api"))}
    key = subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "keys", "create", "--agency", "000.00.10.H29",
         "--role", "clerk"], env=env, check=True, capture_output=True, text=True).stdout.strip()
    process = subprocess.Popen(
        [sys.executable, "-m", "ocr_service.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sohoa serve did not start:\n{process.stdout.read()}")
            time.sleep(0.3)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"},
                          timeout=300) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(client: httpx.Client, name: str, data: bytes, media_type: str) -> httpx.Response:
    return client.post("/v1/extract", files={"file": (name, data, media_type)})


def test_an_id_card_gets_its_fields_with_confidence_page_box_and_review(server):
    sample = FORMS / "cccd-01.pdf"
    expected = json.loads(sample.with_suffix(".json").read_text(encoding="utf-8"))
    answer = _post(server, sample.name, sample.read_bytes(), "application/pdf")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["form_type"] == "cccd"
    for name in ("id_number", "date_of_birth", "sex", "date_of_expiry"):
        assert body["fields"][name]["value"] == expected["fields"][name], name
    field = body["fields"]["id_number"]
    assert set(field) >= {"value", "confidence", "page", "review", "box", "reasons"}
    assert 0.0 <= field["confidence"] <= 1.0 and field["page"] in (1, 2)


@pytest.mark.parametrize("name, data, media_type, status, code", [
    ("notes.txt", "không phải ảnh quét".encode(), "text/plain", 415, "unsupported_type"),
    ("scan.pdf", b"%PDF-1.7\n1 0 obj garbage", "application/pdf", 422, "corrupt_file"),
    ("empty.jpg", b"", "image/jpeg", 422, "empty_file"),
])
def test_a_bad_file_gets_a_4xx_with_vietnamese_and_english_messages(
        server, name, data, media_type, status, code):
    answer = _post(server, name, data, media_type)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_vi"] and error["message"] != error["message_vi"]


def test_a_request_without_a_file_is_a_4xx_in_the_same_shape(server):
    answer = server.post("/v1/extract", timeout=30)
    assert answer.status_code == 422
    assert set(answer.json()["error"]) == {"code", "message", "message_vi"}
    unauthenticated = httpx.post(server.base_url.join("/v1/extract"), timeout=30)
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()["error"]) == {"code", "message", "message_vi"}
