"""The HTTP service against real SeaweedFS (S3), SQLite and PostgreSQL: a dossier from upload to
archived, signed, verifiable records that reuse search finds and no other agency can see.

The main flow runs twice: with the workers' tasks run synchronously inside ``submit`` (Celery's
eager mode: the same stages, ``process.read`` and ``process.make_record``, on the raw bytes read
back from S3), and with the real hand-over (``workers.tasks.submit_document``) to a ``sohoa
worker`` process on Redis. The other checks use the eager stand-in: they are about the API.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ocr_service.api.app import create_app
from ocr_service.api.idempotency import Idempotency
from ocr_service.config import REPO_ROOT, Settings
from ocr_service.devstack import RedisServer, SeaweedServer
from ocr_service.pipeline.ocr import OcrEngine, build_engine
from ocr_service.pipeline.sign import RecordSigning
from ocr_service.services import Services
from ocr_service.signers import record_signing
from ocr_service.store import audit, keys, repo
from ocr_service.store.index import AuditEvent, Document, Dossier, Index, Role
from ocr_service.store.objects import ObjectStore
from tests.eager import eager_tasks
from tests.pages import render_page

OWNER = "001187012345"
AGENCY, OTHER = "000.00.10.H29", "000.00.20.H30"


def _png(*lines: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(render_page(lines, dpi=120)).save(buffer, "PNG", dpi=(120, 120))
    return buffer.getvalue()


PAGES = {
    "giay-khai-sinh.png": _png("GIẤY KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN VĂN AN"),
    "so-ho-khau.png": _png("XÁC NHẬN THÔNG TIN CƯ TRÚ", "Nơi thường trú: phường Ba Đình"),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OcrEngine, RecordSigning]:
    """One data folder (its test PKI signs and is trusted), engine and signer for the module."""
    data_dir = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data_dir)
    return data_dir, build_engine("ppocr", settings), record_signing(settings)


class Service:
    """The app on ``index`` and ``store``, with a ``submit`` that archives at once."""

    def __init__(self, settings: Settings, index: Index, store: ObjectStore,
                 engine: OcrEngine, signing: RecordSigning, *, workers: bool = False) -> None:
        self.settings, self.index, self.store = settings, index, store
        self.engine, self.signing = engine, signing
        self.raw_seen: list[str] = []
        self.archiving = True
        """False: ``submit`` only checks that the raw object is there (no pipeline run)."""
        submit = None if workers else self.archive  # None: the app's default, the workers
        self.client = TestClient(create_app(Services(settings, index, store), submit=submit))

    def key(self, agency: str, *roles: Role) -> dict[str, str]:
        with self.index.session() as session:
            repo.ensure_agency(session, agency)
            _, plaintext = keys.create_key(session, agency, roles or (Role.SYSTEM,))
        return {"Authorization": f"Bearer {plaintext}"}

    def archive(self, document_id: str) -> None:
        """What the workers do with an accepted document, synchronously: their own tasks, run
        eagerly on this service's index, storage, engine and signer."""
        with self.index.session() as session:
            raw_key = session.get(Document, uuid.UUID(document_id)).raw_key
        assert self.store.get_raw(raw_key)  # in S3 before the API answered
        self.raw_seen.append(raw_key)
        if not self.archiving:
            return
        from workers import tasks

        services = Services(self.settings, self.index, self.store)
        with eager_tasks(services, self.engine, self.signing, self.settings):
            tasks.submit_document(document_id)

    def wait_archived(self, headers: dict[str, str], dossier: str, count: int,
                      timeout: float = 120.0) -> dict:
        """The dossier once ``count`` documents are archived (at once with the stand-in)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.client.get(f"/v1/dossiers/{dossier}", headers=headers).json()
            states = [d["status"] for d in status["documents"]]
            if states.count("archived") == count or time.monotonic() > deadline:
                assert states == ["archived"] * count, status
                return status
            assert "failed" not in states, status
            time.sleep(0.3)

    def create_dossier(self, headers: dict[str, str]) -> dict:
        answer = self.client.post("/v1/dossiers", headers=headers, json={
            "procedure_code": "1.001193", "applicant_id_number": OWNER})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def upload(self, headers: dict[str, str], dossier: str, name: str, data: bytes,
               **extra: str):
        return self.client.post(f"/v1/dossiers/{dossier}/documents",
                                headers={**headers, **extra},
                                files={"file": (name, data, "application/octet-stream")})


def _service(database_url: str, s3_settings, pipeline, *, workers: bool = False,
             **settings_values: object) -> Iterator[Service]:
    data_dir, engine, signing = pipeline
    settings = s3_settings(data_dir=data_dir, database_url=database_url, **settings_values)
    index, store = Index.open(database_url), ObjectStore.from_settings(settings)
    store.ensure_buckets()
    service = Service(settings, index, store, engine, signing, workers=workers)
    with service.client:
        yield service
    store.close()
    index.close()


@pytest.fixture
def service(tmp_path: Path, s3_settings, pipeline) -> Iterator[Service]:
    yield from _service(f"sqlite:///{tmp_path / 'index.sqlite3'}", s3_settings, pipeline)


@pytest.fixture
def worker_service(tmp_path: Path, s3_settings, pipeline, seaweed: SeaweedServer,
                   redis_server: RedisServer) -> Iterator[Service]:
    """The API handing documents to a real ``sohoa worker`` (all queues) over Redis."""
    from workers.app import configure

    # A Redis database of its own: other modules' queues stay apart.
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/7"
    services = _service(f"sqlite:///{tmp_path / 'index.sqlite3'}", s3_settings, pipeline,
                        redis_url=redis_url, workers=True)
    service = next(services)
    configure(service.settings)  # this process publishes to the worker's broker
    settings = service.settings
    env = {**os.environ, **seaweed.settings_env(), "SOHOA_REDIS_URL": redis_url,
           "SOHOA_DATA_DIR": str(settings.data_dir), "SOHOA_DATABASE_URL": service.index.url,
           "SOHOA_RAW_BUCKET": settings.raw_bucket, "SOHOA_RECORDS_BUCKET": settings.records_bucket,
           "SOHOA_OCR_THREADS": "1"}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ocr_service.cli", "worker", "--concurrency", "1"], env=env,
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        yield service
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        next(services, None)


@pytest.fixture(params=["inline", "workers"])
def flow(request: pytest.FixtureRequest) -> Service:
    """The main flow's service: the synchronous stand-in, then the real workers."""
    return request.getfixturevalue("service" if request.param == "inline" else "worker_service")


@pytest.fixture
def pg_service(postgres_url: str, s3_settings, pipeline) -> Iterator[Service]:
    yield from _service(postgres_url, s3_settings, pipeline)


def _error(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["message"] and error["message_vi"] and error["message"] != error["message_vi"]
    return error


def test_a_dossier_goes_from_upload_to_verifiable_records_that_reuse_finds(flow: Service):
    service = flow
    headers = service.key(AGENCY, Role.CLERK)
    dossier = service.create_dossier(headers)
    assert dossier["dossier_code"].startswith(f"{AGENCY}-")
    ids = []
    for name, data in PAGES.items():
        answer = service.upload(headers, dossier["id"], name, data)
        assert answer.status_code == 202 and answer.json()["status"] == "queued", answer.text
        ids.append(answer.json()["id"])
    assert len(set(ids)) == 2
    status = service.wait_archived(headers, dossier["id"], 2)
    again = service.upload(headers, dossier["id"], "copy.png", PAGES["giay-khai-sinh.png"])
    assert again.status_code == 202 and again.json() == {"id": ids[0], "status": "archived"}

    documents = {d["id"]: d for d in status["documents"]}
    assert list(documents) == ids
    assert all(d["status"] == "archived" and d["progress"] == 1.0 and d["record_id"]
               for d in documents.values())

    found = service.client.get("/v1/records", headers=headers,
                               params={"owner_id": OWNER, "doc_type": "unknown"}).json()["items"]
    assert {r["id"] for r in found} == {d["record_id"] for d in documents.values()}
    record = found[0]
    manifest = service.client.get(record["manifest_url"], headers=headers)
    assert manifest.status_code == 200 and manifest.json()["record_id"] == record["id"]
    pdf = service.client.get(record["pdf_url"], headers=headers)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    verified = service.client.post("/v1/verify", headers=headers, files={
        "file": ("r.pdf", pdf.content, "application/pdf"),
        "manifest": ("r.json", manifest.content, "application/json")}).json()
    assert verified["valid"] is True, verified["reasons"]
    assert verified["archived"] == {"record_id": record["id"], "state": "valid",
                                    "superseded_by": None}
    other_manifest = service.client.get(found[1]["manifest_url"], headers=headers).content
    mismatch = service.client.post("/v1/verify", headers=headers, files={
        "file": ("r.pdf", pdf.content), "manifest": ("m.json", other_manifest)}).json()
    assert mismatch["valid"] is False and mismatch["manifest_reasons"][0]["message_vi"]

    with service.index.session() as session:
        assert audit.verify_chain(session) == []
        reads = session.query(AuditEvent).filter(AuditEvent.action == "record.read").count()
    assert reads == 3  # two manifests and one PDF


def test_another_agency_gets_404_for_everything_on_postgresql(pg_service: Service):
    service = pg_service
    mine, theirs = service.key(AGENCY), service.key(OTHER, Role.ADMIN)
    dossier = service.create_dossier(mine)["id"]
    document = service.upload(mine, dossier, "a.png", PAGES["so-ho-khau.png"]).json()["id"]
    status = service.client.get(f"/v1/dossiers/{dossier}", headers=mine).json()
    record = status["documents"][0]["record_id"]
    assert status["documents"][0]["id"] == document and record
    missing = str(uuid.uuid4())
    for path in (f"/v1/dossiers/{dossier}", f"/v1/records/{record}",
                 f"/v1/records/{record}/pdf"):
        theirs_answer = service.client.get(path, headers=theirs)
        nobodys = service.client.get(path.replace(dossier, missing).replace(record, missing),
                                     headers=theirs)
        assert theirs_answer.status_code == nobodys.status_code == 404
        assert theirs_answer.json() == nobodys.json()
    upload = service.upload(theirs, dossier, "b.png", PAGES["giay-khai-sinh.png"])
    assert _error(upload, 404)["code"] == "not_found"
    search = service.client.get("/v1/records", headers=theirs, params={"owner_id": OWNER})
    assert search.json() == {"items": []}
    pdf = service.client.get(f"/v1/records/{record}/pdf", headers=mine).content
    verified = service.client.post("/v1/verify", headers=theirs, files={"file": ("r.pdf", pdf)})
    # not theirs, but archived: its id (in its QR code) and state, nothing of its owner
    assert verified.json()["archived"] == {"record_id": record, "state": "valid",
                                           "superseded_by": None}
    with service.index.session() as session:
        assert audit.verify_chain(session) == []


@pytest.mark.parametrize("name, data, status, code", [
    ("notes.txt", "đây không phải ảnh quét".encode(), 415, "unsupported_type"),
    ("empty.pdf", b"", 422, "empty_file"),
])
def test_a_bad_file_gets_a_4xx_in_both_languages_and_nothing_is_queued(
        service: Service, name, data, status, code):
    headers = service.key(AGENCY)
    dossier = service.create_dossier(headers)["id"]
    answer = service.upload(headers, dossier, name, data)
    assert _error(answer, status)["code"] == code
    status_now = service.client.get(f"/v1/dossiers/{dossier}", headers=headers).json()
    assert status_now["documents"] == [] and service.raw_seen == []


def test_an_upload_with_an_idempotency_key_is_replayed_or_refused(service: Service):
    headers, replay = service.key(AGENCY), {"Idempotency-Key": str(uuid.uuid4())}
    service.archiving = False
    dossier = service.create_dossier(headers)["id"]
    first = service.upload(headers, dossier, "a.png", PAGES["so-ho-khau.png"], **replay)
    again = service.upload(headers, dossier, "a.png", PAGES["so-ho-khau.png"], **replay)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() == {"id": first.json()["id"], "status": "queued"}
    assert again.headers["Idempotent-Replayed"] == "true" and len(service.raw_seen) == 1
    other = service.upload(headers, dossier, "b.png", PAGES["giay-khai-sinh.png"], **replay)
    assert _error(other, 409)["code"] == "idempotency_conflict"
    assert len(service.raw_seen) == 1


def test_readiness_names_the_part_that_fails(service: Service, s3_settings):
    ready = service.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "storage": "ok",
                                      "broker": "not configured", "models": "ok"}
    down = s3_settings(s3_endpoint="127.0.0.1:9", redis_url="redis://127.0.0.1:9/0")
    app = create_app(Services(down, service.index, ObjectStore.from_settings(down)))
    with TestClient(app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["storage"].startswith("failed") and checks["broker"].startswith("failed")
    assert answer.json()["error"]["message_vi"].startswith("Chưa sẵn sàng")


def test_racing_requests_with_one_idempotency_key_make_one_dossier_on_postgresql(
        postgres_url: str) -> None:
    index = Index.open(postgres_url)
    with index.session() as session:
        agency = repo.create_agency(session, f"R{uuid.uuid4().hex[:10].upper()}").id
    request = Idempotency(str(uuid.uuid4()), agency, index, "POST", "/v1/dossiers")
    fingerprint = request.fingerprint({"procedure_code": "1.1"})
    start = threading.Barrier(4)

    def create(session) -> dict:
        start.wait()  # every thread is past the replay check: they all race to commit
        dossier = repo.create_dossier(session, agency, "1.1", OWNER)
        return {"id": str(dossier.id)}

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: request.create(fingerprint, 201, create), range(4)))
    bodies = {answer.body for answer in answers}
    with index.session() as session:
        dossiers = session.query(Dossier).filter(Dossier.agency_id == agency).all()
    index.close()
    assert len(bodies) == 1 and [str(d.id) for d in dossiers] == [json.loads(bodies.pop())["id"]]


def test_a_revoked_record_is_held_kept_and_no_longer_offered(service: Service):
    clerk, admin = service.key(AGENCY, Role.CLERK), service.key(AGENCY, Role.ADMIN)
    dossier = service.create_dossier(clerk)
    name, data = next(iter(PAGES.items()))
    assert service.upload(clerk, dossier["id"], name, data).status_code == 202
    record_id = service.wait_archived(clerk, dossier["id"], 1)["documents"][0]["record_id"]
    path = f"/v1/records/{record_id}/revoke"
    _error(service.client.post(path, headers=clerk, json={"reason": "nhầm"}), 403)

    answer = service.client.post(path, headers=admin, json={"reason": "Cấp nhầm người"})
    assert answer.status_code == 200 and answer.json()["state"] == "revoked", answer.text
    assert service.store.lock_state(record_id, "pdf").legal_hold
    assert service.store.lock_state(record_id, "manifest").legal_hold
    assert service.client.post(path, headers=admin, json={"reason": "lần hai"}).status_code == 200
    found = service.client.get("/v1/records", headers=clerk, params={"owner_id": OWNER}).json()
    assert record_id not in [r["id"] for r in found["items"]]
    pdf = service.client.get(f"/v1/records/{record_id}/pdf", headers=clerk)
    assert pdf.status_code == 200 and pdf.headers["x-record-state"] == "revoked"  # kept
    verified = service.client.post("/v1/verify", headers=clerk, files={
        "file": ("r.pdf", pdf.content, "application/pdf")}).json()
    assert verified["valid"] is False
    with service.index.session() as session:
        assert audit.verify_chain(session) == []
        assert session.query(AuditEvent).filter(AuditEvent.action == "record.revoked").count() == 1
