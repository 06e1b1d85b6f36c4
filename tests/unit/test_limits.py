"""Request bodies: the key is checked before any of the body is read, and each route's limit is
enforced while the body streams in (``ocr_service.api.limits``), at the ASGI level, where what
was read can be counted. ``tests/integration/test_hardening.py`` does the same over a socket to
a real server and measures its memory and temporary disk."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocr_service.api.app import create_app
from ocr_service.config import Settings
from ocr_service.services import Services
from ocr_service.store import keys, repo
from ocr_service.store.index import Index, Role

MIB = 1 << 20
CHUNK = 64 * 1024


class App:
    def __init__(self, tmp: Path) -> None:
        self.settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'i.sqlite3'}",
                                 max_upload_bytes=2 * MIB, max_request_bytes=64 * 1024)
        self.index = Index.open(self.settings.database_url)
        self.app = create_app(Services(self.settings, self.index, None), submit=lambda _: None)
        with self.index.session() as session:
            repo.ensure_agency(session, "000.00.10.H29")
            _, self.key = keys.create_key(session, "000.00.10.H29", [Role.CLERK])

    def call(self, method: str, path: str, body_size: int, *, key: str | None = None,
             declared: bool = False, content_type: bytes = b"application/octet-stream",
             prefix: bytes = b""):
        """Run one request through the app; the body comes in 64 KiB chunks, counted as read."""
        headers = [(b"content-type", content_type)]
        if key:
            headers.append((b"authorization", f"Bearer {key}".encode()))
        if declared:
            headers.append((b"content-length", str(body_size).encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": headers, "scheme": "http", "server": ("test", 80),
                 "client": ("127.0.0.1", 1), "root_path": ""}
        read, sent = [0], []

        async def receive() -> dict:
            if read[0] >= body_size:
                return {"type": "http.disconnect"}
            chunk = min(CHUNK, body_size - read[0])
            read[0] += chunk
            head = prefix if read[0] == chunk else b""
            return {"type": "http.request", "body": head + b"\0" * (chunk - len(head)),
                    "more_body": read[0] < body_size}

        async def send(message: dict) -> None:
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], dict(start["headers"]), body, read[0]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    made = App(tmp_path_factory.mktemp("limits"))
    yield made
    made.index.close()


@pytest.mark.parametrize("path", ["/v1/extract", "/v1/dossiers/5f0c3a1e-0000-4000-8000-000000000002/documents",
                                  "/v1/verify", "/v1/dossiers"])
@pytest.mark.parametrize("key", [None, "sohoa_0123456789ab_wrong", "not-a-key"])
def test_a_body_without_a_valid_key_is_refused_before_any_of_it_is_read(app, path, key):
    status, headers, body, read = app.call("POST", path, 200 * MIB, key=key)
    assert (status, read) == (401, 0)
    assert b'"code":"unauthorized"' in body and b"Bearer" in headers[b"www-authenticate"]


@pytest.mark.parametrize("path, limit", [("/v1/extract", 3 * MIB),
                                         ("/v1/dossiers", 64 * 1024)])
def test_a_declared_length_over_the_route_limit_is_refused_unread(app, path, limit):
    status, _, body, read = app.call("POST", path, limit + 1, key=app.key, declared=True)
    assert (status, read) == (413, 0), body


def test_an_upload_is_cut_off_as_it_passes_its_limit_while_streaming(app):
    # 2 MiB upload limit + 1 MiB for the multipart envelope; 200 MiB sent, undeclared
    status, _, body, read = app.call(
        "POST", "/v1/extract", 200 * MIB, key=app.key,
        content_type=b"multipart/form-data; boundary=xyz",
        prefix=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
               b"Content-Type: image/png\r\n\r\n")
    assert status == 413 and b'"code":"file_too_large"' in body
    assert b"3 MiB" in body and "giới hạn".encode() in body
    assert 3 * MIB < read <= 3 * MIB + CHUNK  # stopped at the first chunk past the limit


def test_a_json_body_is_cut_off_at_the_small_limit(app):
    status, _, body, read = app.call("POST", "/v1/dossiers", 300 * MIB, key=app.key,
                                     content_type=b"application/json")
    assert status == 413 and b'"code":"body_too_large"' in body
    assert read <= 64 * 1024 + CHUNK


def test_the_routes_own_answers_are_unchanged_under_the_limit(app):
    client = TestClient(app.app)
    headers = {"Authorization": f"Bearer {app.key}"}
    answer = client.post("/v1/dossiers", headers=headers, json={
        "procedure_code": "1.001193", "applicant_id_number": "001187012345"})
    assert answer.status_code == 201, answer.text
    assert client.get("/healthz").status_code == 200  # no body, no key: open as before


def test_a_wrong_method_answers_405_with_allow(app):
    answer = TestClient(app.app).put("/healthz")
    assert answer.status_code in (401, 405)  # PUT carries a body: the key comes first
    answer = TestClient(app.app).get("/v1/extract",
                                     headers={"Authorization": f"Bearer {app.key}"})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == "http_405"
