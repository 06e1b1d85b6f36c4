"""Hardening (issue 17) on real servers: a ``uvicorn`` API process whose memory (VmRSS) and
temporary folder (TMPDIR) are measured around hostile requests sent over a socket, and the
PostgreSQL triggers that make the audit trail append-only.

Bounds stated and checked here (no timings: the machine is shared):
- a 200 MB body without a key: 401, the server's memory grows by under 16 MiB, its temporary
  folder stays empty, and the client could push no more than the sockets buffer;
- a 200 MB upload with a key, of undeclared length: 413, the same memory bound, nothing left in
  the temporary folder;
- the 987-byte PDF of three 29-inch born-digital pages: 422 ``too_large``, under 16 MiB more;
- a 6 MB TIFF of 60,000 pages: 422 ``too_many_pages`` ("more than 500": counting stopped).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ocr_service.config import REPO_ROOT
from ocr_service.devstack import free_ports
from ocr_service.store import audit, keys, repo
from ocr_service.store.index import AuditHead, Index, Role
from tests.unit.test_intake import pdf_with_media_box, tiny_tiff

MIB = 1 << 20
MEMORY_BOUND = 16 * MIB
AGENCY = "000.00.70.H36"


class ApiProcess:
    """``uvicorn`` serving ``create_app`` on SQLite, with its own TMPDIR, tesseract as engine."""

    def __init__(self, tmp: Path) -> None:
        self.tmpdir = tmp / "tmp"
        self.tmpdir.mkdir()
        database = f"sqlite:///{tmp / 'index.sqlite3'}"
        self.index = Index.open(database)
        with self.index.session() as session:
            repo.ensure_agency(session, AGENCY)
            _, self.key = keys.create_key(session, AGENCY, [Role.CLERK])
        [self.port] = free_ports(1)
        env = {**os.environ, "TMPDIR": str(self.tmpdir), "SOHOA_DATA_DIR": str(tmp),
               "SOHOA_DATABASE_URL": database, "SOHOA_MAX_UPLOAD_BYTES": str(8 * MIB),
               "SOHOA_OCR_ENGINE": "tesseract"}
        self.log = (tmp / "api.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "ocr_service.api.app:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=env, cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url("/healthz"), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "API did not start"
            time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def temp_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.tmpdir.rglob("*") if p.is_file())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
        self.index.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    server = ApiProcess(tmp_path_factory.mktemp("hardening"))
    yield server
    server.close()


def push(api: ApiProcess, head: bytes, body_size: int, *, chunked: bool = False,
         first: bytes = b"") -> tuple[int, int]:
    """Send ``head`` and up to ``body_size`` bytes of body (chunked or not) until the server
    answers or stops reading; return the answer's status and how many body bytes went out."""
    sent, block = 0, b"\0" * MIB
    with socket.create_connection(("127.0.0.1", api.port)) as conn:
        conn.sendall(head)
        conn.settimeout(2.0)
        try:
            while sent < body_size:
                data = (first + block[len(first):]) if sent == 0 else block
                conn.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what was sent is what it could have read
        conn.settimeout(30.0)
        answer = b""
        while b"\r\n" not in answer:
            piece = conn.recv(4096)
            if not piece:
                break
            answer += piece
    return int(answer.split(b" ", 2)[1]), sent


def test_a_200_mb_body_without_a_key_is_refused_unread(api: ApiProcess) -> None:
    before = api.rss()
    head = (b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            b"boundary=b\r\nContent-Length: %d\r\n\r\n" % (200 * 1000 * 1000))
    status, sent = push(api, head, 200 * 1000 * 1000)
    assert status == 401
    assert sent < 200 * 1000 * 1000  # the server stopped reading long before the end
    assert api.rss() - before < MEMORY_BOUND
    assert api.temp_bytes() == 0


def test_a_200_mb_upload_with_a_key_is_cut_off_while_streaming(api: ApiProcess) -> None:
    warm = _extract(api, "notes.txt", b"not a scan" * 100)  # first keyed upload: imports, pools
    assert warm.status_code == 415
    before = api.rss()
    head = (b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n" % api.key.encode())
    part = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")
    status, sent = push(api, head, 200 * MIB, chunked=True, first=part)
    assert status == 413
    assert sent < 200 * MIB
    assert api.rss() - before < MEMORY_BOUND
    assert api.temp_bytes() == 0


def _extract(api: ApiProcess, name: str, data: bytes) -> httpx.Response:
    return httpx.post(api.url("/v1/extract"), headers={"Authorization": f"Bearer {api.key}"},
                      files={"file": (name, data)}, timeout=120)


def test_the_987_byte_pdf_bomb_is_refused_within_the_memory_bound(api: ApiProcess) -> None:
    buffer = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buffer, "PNG")
    assert _extract(api, "warm.png", buffer.getvalue()).status_code == 200  # engine loaded
    bomb = pdf_with_media_box(3, 2100)
    assert len(bomb) < 1000
    before = api.rss()
    answer = _extract(api, "bomb.pdf", bomb)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "too_large"
    assert api.rss() - before < MEMORY_BOUND


def test_a_60000_page_tiff_is_refused_by_counting_to_the_limit(api: ApiProcess) -> None:
    answer = _extract(api, "pages.tif", tiny_tiff(60_000))
    error = answer.json()["error"]
    assert answer.status_code == 422 and error["code"] == "too_many_pages"
    assert "more than 500" in error["message"] and "hơn 500" in error["message_vi"]


def test_extract_answers_are_not_kept_for_idempotent_replay(api: ApiProcess) -> None:
    buffer = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buffer, "PNG")
    headers = {"Authorization": f"Bearer {api.key}", "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(2):
        answer = httpx.post(api.url("/v1/extract"), headers=headers,
                            files={"file": ("a.png", buffer.getvalue())}, timeout=120)
        assert answer.status_code == 200 and "Idempotent-Replayed" not in answer.headers
    with api.index.session() as session:
        assert session.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0


# --------------------------------------------------------------------------------------------------
# The audit trail on PostgreSQL


def test_postgresql_refuses_to_edit_delete_or_rewind_the_audit_trail(postgres_url: str) -> None:
    index = Index.open(postgres_url)
    try:
        with index.session() as session:
            agency = repo.create_agency(session, f"A{uuid.uuid4().hex[:10].upper()}").id
            for n in range(3):
                audit.append_event(session, agency, "document.status", details={"n": n})
        refused = [
            f"UPDATE audit_events SET action = 'x' WHERE agency_id = '{agency}' AND seq = 2",
            f"DELETE FROM audit_events WHERE agency_id = '{agency}' AND seq = 3",
            "TRUNCATE audit_events CASCADE",
            f"UPDATE audit_heads SET seq = 2 WHERE agency_id = '{agency}'",
            f"DELETE FROM audit_heads WHERE agency_id = '{agency}'",
        ]
        for statement in refused:
            with pytest.raises(DBAPIError, match="append-only|only moves forward"), \
                    index.session() as session:
                session.execute(text(statement))
        with index.session() as session:  # appending still works, and the chain is whole
            audit.append_event(session, agency, "document.status", details={"n": 3})
            assert audit.verify_chain(session, agency) == []
            assert session.get(AuditHead, agency).seq == 5  # agency.created + 4
    finally:
        index.close()
