"""The Celery pipeline against real Redis, SeaweedFS and PostgreSQL (SQLite where PostgreSQL is
not installed), with workers as child processes (``sohoa worker``): the stack and the helpers the
fault suite (``test_faults.py``: worker killed, Redis restarted, S3 down, PostgreSQL restarted,
temporary disk full) shares, and the paths one document takes through it: archived, failed,
stopped for review, a worker SIGKILLed between a person's approval and the archive,
dead-lettered after repeated kills, queued while the broker was down, a lost webhook swept.
After each, an archived document is archived exactly once: one record row, one locked version of
each archived object, a valid signature.

Every wait polls the index with a deadline; nothing sleeps for a fixed time. Each test uploads
bytes of its own (the sample plus a nonce after the JPEG's end), so no test finds the OCR cached
by another, except where a test means to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from ocr_service.config import REPO_ROOT, Settings
from ocr_service.devstack import RedisServer, SeaweedServer
from sohoa_dev.postgres import PostgresServer
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.pki import init_pki
from ocr_service.services import Services, open_services
from ocr_service.signers import trust_roots
from ocr_service.store import repo
from ocr_service.errors import ObjectNotFound
from ocr_service.store.index import Document, Job, Record, ReviewPolicy
from workers.app import configure
from workers.tasks import record_id_for, submit_document
from workers.webhooks import SIGNATURE_HEADER

SAMPLE = (REPO_ROOT / "samples" / "pages" / "form-1.jpg").read_bytes()
AGENCY = "T-WORKERS"
APPLICANT = "001099012345"
T = TypeVar("T")


# --- a webhook receiver ------------------------------------------------------------------------


@dataclass
class Hooks:
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, document_id: uuid.UUID) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return [(headers, body) for headers, body in self.calls
                    if json.loads(body)["document_id"] == str(document_id)]


def _hook_server(hooks: Hooks) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with hooks.lock:
                hooks.calls.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the stack and its workers -----------------------------------------------------------------


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    services: Services
    agency_id: uuid.UUID
    secret: str
    hooks: Hooks
    logs: Path


def _database_url(request: pytest.FixtureRequest) -> str | None:
    """A fresh PostgreSQL database (production's index) when PostgreSQL is installed, else
    None: the SQLite default (which ``test_up.py`` also covers, through ``sohoa up``)."""
    try:
        server: PostgresServer = request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        return None
    return server.create_database(f"workers_{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="module")
def stack(redis_server: RedisServer, seaweed: SeaweedServer, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("workers")
    database_url = _database_url(request)
    hooks, secret = Hooks(), secrets.token_hex(16)
    server = _hook_server(hooks)
    prefix = f"w{uuid.uuid4().hex[:12]}"
    env = {
        "SOHOA_DATA_DIR": str(data),
        # A database of its own on the session's Redis: other modules' leftovers stay apart
        # (a module that shares this fixture names its own in REDIS_DB).
        "SOHOA_REDIS_URL": redis_server.url.rsplit("/", 1)[0] +
                           f"/{getattr(request.module, 'REDIS_DB', 5)}",
        **seaweed.settings_env(),
        "SOHOA_RAW_BUCKET": f"{prefix}-raw", "SOHOA_RECORDS_BUCKET": f"{prefix}-records",
        "SOHOA_RETENTION_DAYS": "1",
        # A stage may run 15 s (soft limit; hard at 17 s): the slowest here, a one-page form's
        # OCR or signing, took 2.0-2.4 s on an idle 2-core machine, so a loaded CI machine
        # has a 6x margin. The visibility timeout must pass the hard limit (Settings checks):
        # 20 s, so each killed worker's task comes back within the test (3 kills: a minute).
        "SOHOA_TASK_TIME_LIMIT": "15",
        "SOHOA_TASK_VISIBILITY_TIMEOUT": "20",
        "SOHOA_TASK_RETRY_BACKOFF_MAX": "2",
        "SOHOA_TASK_MAX_RETRIES": "40",  # S3 may stay down a while on a loaded machine
        "SOHOA_OCR_THREADS": "1",
        **({"SOHOA_DATABASE_URL": database_url} if database_url else {}),
    }
    settings = Settings(**{k.removeprefix("SOHOA_").lower(): v for k, v in env.items()})
    init_pki(settings.pki_folder)
    services = open_services(settings)
    with services.index.session() as session:
        agency = repo.create_agency(
            session, AGENCY, webhook_url=f"http://127.0.0.1:{server.server_port}/hook",
            webhook_secret=secret)
        agency_id = agency.id
    configure(settings)  # this process publishes to the same broker
    logs = data / "logs"
    logs.mkdir()
    yield Stack(settings, {**os.environ, **env}, services, agency_id, secret, hooks, logs)
    services.close()
    server.shutdown()


class Worker:
    """``sohoa worker`` in a session of its own, so a kill takes its pool processes too;
    ``env`` adds to (or overrides) the stack's environment for this worker only."""

    def __init__(self, stack: Stack, queues: str, env: dict[str, str] | None = None) -> None:
        self.log = stack.logs / f"worker-{queues.replace(',', '-')}-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ocr_service.cli", "worker", "--queues", queues,
                 "--concurrency", "1"],
                env={**stack.env, **(env or {})}, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker and its pool, as a crash would."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@pytest.fixture
def start_worker(stack: Stack) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(queues: str = "ocr,cpu,archive", env: dict[str, str] | None = None) -> Worker:
        started.append(Worker(stack, queues, env))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


# --- helpers -----------------------------------------------------------------------------------


def upload(stack: Stack, data: bytes, filename: str = "form-1.jpg", *,
           review: ReviewPolicy = ReviewPolicy.NEVER,
           submit: Callable[[str], None] = submit_document) -> uuid.UUID:
    """What the API does for an upload: raw bytes in S3, a ``queued`` row, then submit. The
    dossier's review policy is ``never`` unless a test is about review: these tests are about
    the stages surviving faults, whatever the extractor makes of the sample."""
    with stack.services.index.session() as session:
        dossier = repo.create_dossier(session, stack.agency_id, "1.001234", APPLICANT,
                                      review=review)
        dossier_id = dossier.id
    raw = stack.services.store.put_raw(data, agency=AGENCY, dossier_id=str(dossier_id),
                                       filename=filename, media_type="image/jpeg")
    with stack.services.index.session() as session:
        document, _ = repo.add_document(session, stack.agency_id, dossier_id, sha256=raw.sha256,
                                        filename=filename, media_type="image/jpeg",
                                        size=raw.size, raw_key=raw.key)
        document_id = document.id
    submit(str(document_id))
    return document_id


def unique_sample() -> bytes:
    return SAMPLE + b"nonce-" + uuid.uuid4().hex.encode()


def document(stack: Stack, document_id: uuid.UUID) -> Document:
    with stack.services.index.session() as session:
        found = repo.get_document(session, stack.agency_id, document_id)
        assert found is not None
        return found


def jobs(stack: Stack, document_id: uuid.UUID) -> dict[str, Job]:
    with stack.services.index.session() as session:
        return {job.task: job for job in repo.get_jobs(session, stack.agency_id, document_id)}


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_status(stack: Stack, document_id: uuid.UUID, status: str,
                timeout: float = 60) -> Document:
    def done() -> Document | None:
        found = document(stack, document_id)
        assert found.status == status or found.status not in ("archived", "failed",
                                                              "needs_review", "rejected"), (
            f"document ended {found.status} ({found.error_code}: {found.error_message})")
        return found if found.status == status else None

    return wait_for(done, f"document {status}", timeout)


def assert_archived_once(stack: Stack, document_id: uuid.UUID,
                         generation: int = 0) -> dict[str, Any]:
    """One record row, one locked version of its PDF and manifest, a valid signature."""
    record_id = record_id_for(document_id, generation)
    with stack.services.index.session() as session:
        rows = session.scalars(select(Record).where(Record.document_id == document_id)).all()
        assert [row.id for row in rows] == [record_id]
    assert document(stack, document_id).record_id == record_id
    store = stack.services.store
    pdf = store.get_record_pdf(str(record_id))  # refuses when a key holds more than one version
    manifest = json.loads(store.get_record_manifest(str(record_id)))
    assert store.is_locked(str(record_id))
    assert store.lock_state(str(record_id)).mode == "COMPLIANCE"
    assert manifest["record_id"] == str(record_id)
    assert manifest["pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert verify_pdf(pdf, trust_roots(stack.settings)).valid
    return manifest


# --- tests -------------------------------------------------------------------------------------


def test_documents_archived_failed_and_reviewed_with_webhooks(
        stack: Stack, start_worker: Callable[[str], Worker]) -> None:
    start_worker("ocr,cpu,archive")
    data = unique_sample()
    good = upload(stack, data)
    bad = upload(stack, b"this is not a scan", "note.jpg")

    done = wait_status(stack, good, "archived", timeout=90)
    assert (done.stage, done.progress, done.error_code) == ("archive", 1.0, None)
    manifest = assert_archived_once(stack, good)
    assert done.form_type == manifest["document_type"]
    assert manifest["source"]["sha256"] == hashlib.sha256(data).hexdigest()
    # (More than one attempt only if a stage outlasted the visibility timeout on a slow machine.)
    stages = {name: job.state for name, job in jobs(stack, good).items() if name != "webhook"}
    assert stages == {"ocr": "succeeded", "record": "succeeded", "archive": "succeeded"}

    failed = wait_status(stack, bad, "failed")
    assert failed.stage == "ocr" and failed.error_code == "unsupported_type"
    assert failed.error_message and failed.error_message_vi
    dead = jobs(stack, bad)["ocr"]
    assert dead.state == "dead"
    assert set(json.loads(dead.last_error)) == {"code", "message", "message_vi"}

    # The same bytes in a dossier that asks for review: OCR reused, then it stops for a person
    # before anything is signed: no record job, no record row, nothing in the records bucket.
    reviewed = upload(stack, data, review=ReviewPolicy.ALWAYS)
    stopped = wait_status(stack, reviewed, "needs_review", timeout=60)
    assert stopped.record_id is None and stopped.extraction["form_type"] == done.form_type
    assert set(jobs(stack, reviewed)) == {"ocr", "webhook"}  # the webhook owed, with the status
    with stack.services.index.session() as session:
        assert session.scalars(select(Record).where(Record.document_id == reviewed)).all() == []
    with pytest.raises(ObjectNotFound):
        stack.services.store.get_record_pdf(str(record_id_for(reviewed)))

    for document_id, status in ((good, "archived"), (bad, "failed"),
                                (reviewed, "needs_review")):
        headers, body = wait_for(lambda d=document_id: stack.hooks.of(d),  # type: ignore[misc]
                                 f"webhook of {status}", timeout=20)[0]
        expected = "sha256=" + hmac.new(stack.secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
        payload = json.loads(body)
        assert payload["event"] == f"document.{status}" and payload["status"] == status
        assert payload["dossier_id"] == str(document(stack, document_id).dossier_id)
        assert payload["record_id"] == (None if status in ("failed", "needs_review")
                                        else str(record_id_for(document_id)))
        wait_for(lambda d=document_id: jobs(stack, d)["webhook"].state == "succeeded",  # type: ignore[misc]
                 f"the webhook job of {status} to succeed", timeout=20)


def test_worker_killed_between_approval_and_archive(
        stack: Stack, start_worker: Callable[[str], Worker]) -> None:
    """A person approves through the API; the worker that signs dies before the archive stage;
    another finishes: exactly one record, holding the person's correction and approval."""
    from fastapi.testclient import TestClient

    from ocr_service.api.app import create_app
    from ocr_service.store import keys

    with stack.services.index.session() as session:
        _, key = keys.create_key(session, AGENCY, ["clerk"])
    client = TestClient(create_app(stack.services, submit=submit_document))
    headers = {"Authorization": f"Bearer {key}"}
    first = start_worker("ocr,cpu")  # no archive queue: the signed record waits there
    document_id = upload(stack, unique_sample(), review=ReviewPolicy.ALWAYS)
    wait_status(stack, document_id, "needs_review", timeout=90)
    draft = client.get(f"/v1/documents/{document_id}", headers=headers).json()
    answer = client.post(f"/v1/documents/{document_id}/approve", headers=headers,
                         json={"accept_flagged": draft["flagged"]})
    assert answer.status_code == 202, answer.text
    wait_for(lambda: (job := jobs(stack, document_id).get("record")) and
             job.state == "succeeded", "the record stage to finish", timeout=90)
    first.kill()
    assert document(stack, document_id).status == "processing"

    start_worker("ocr,cpu,archive")
    wait_status(stack, document_id, "archived", timeout=90)
    manifest = assert_archived_once(stack, document_id)
    assert manifest["approval"]["approved_by"]["kind"] == "key"
    assert manifest["approval"]["accepted_flagged"] == draft["flagged"]


def test_an_upload_that_keeps_killing_workers_is_dead_lettered(
        stack: Stack, start_worker: Callable[[str], Worker]) -> None:
    """Each delivery of the OCR task dies with its worker (SIGKILL, as the kernel's OOM killer
    would): after SOHOA_TASK_MAX_LOST (3) such deliveries the document is failed and its job
    dead, instead of being handed to the next worker forever.

    These workers never finish a stage (the first three are killed while reading, the fourth
    only fails the document), so they run with a stage limit and a visibility timeout far
    shorter than the stack's: each lost delivery comes back after 9 s instead of 20 s."""
    import io

    from PIL import Image

    page = Image.open(io.BytesIO(SAMPLE))
    buffer = io.BytesIO()  # several pages, so each delivery is still reading when it is killed
    page.save(buffer, "PDF", save_all=True, append_images=[page] * 5, resolution=200)
    document_id = upload(stack, buffer.getvalue() + b"%" + uuid.uuid4().hex.encode(),
                         "pages.pdf")
    quick = {"SOHOA_TASK_TIME_LIMIT": "6", "SOHOA_TASK_VISIBILITY_TIMEOUT": "9"}
    for delivery in (1, 2, 3):
        worker = start_worker("ocr,cpu,archive", quick)
        wait_for(lambda n=delivery: (job := jobs(stack, document_id).get("ocr")) and  # type: ignore[misc]
                 job.attempts == n and job.state == "running", f"OCR delivery {delivery}",
                 timeout=90)
        worker.kill()
    start_worker("ocr,cpu,archive", quick)
    failed = wait_status(stack, document_id, "failed", timeout=90)
    assert failed.error_code == "worker_lost" and failed.error_message_vi
    job = jobs(stack, document_id)["ocr"]
    assert (job.state, job.lost, job.attempts) == ("dead", 3, 4)
    assert json.loads(job.last_error)["code"] == "worker_lost"


def test_a_document_queued_while_the_broker_was_down_is_swept_to_archived(
        stack: Stack, redis_server: RedisServer,
        start_worker: Callable[[str], Worker]) -> None:
    """The API stores the upload and answers 503 when it cannot queue it; once the broker is
    back, the sweeper queues it without the client sending anything again."""
    from fastapi.testclient import TestClient

    from ocr_service.api.app import create_app
    from ocr_service.store import keys
    from ocr_service.sweeper import sweep

    with stack.services.index.session() as session:
        _, key = keys.create_key(session, AGENCY, ["clerk"])
    headers = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(stack.services, submit=submit_document))
    dossier = client.post("/v1/dossiers", headers=headers, json={
        "procedure_code": "1.001234", "applicant_id_number": APPLICANT, "review": "never"}).json()
    redis_server.stop()
    try:
        answer = client.post(f"/v1/dossiers/{dossier['id']}/documents", headers=headers,
                             files={"file": ("form-1.jpg", unique_sample(), "image/jpeg")})
    finally:
        redis_server.start()
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "broker_unavailable"
    [waiting] = client.get(f"/v1/dossiers/{dossier['id']}", headers=headers).json()["documents"]
    assert waiting["status"] == "queued"
    document_id = uuid.UUID(waiting["id"])

    fresh = stack.settings.model_copy(update={"sweep_queued_after": 3600})
    assert str(document_id) not in sweep(stack.services.index, submit_document, fresh)
    stale = stack.settings.model_copy(update={"sweep_queued_after": 0})
    assert str(document_id) in sweep(stack.services.index, submit_document, stale)
    start_worker("ocr,cpu,archive")
    wait_status(stack, document_id, "archived", timeout=90)
    assert_archived_once(stack, document_id)


def test_a_webhook_the_broker_lost_when_the_document_was_archived_is_swept_and_sent(
        stack: Stack, start_worker: Callable[[str], Worker],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis fails exactly when the archive stage, its final status committed, queues the
    webhook: the webhook owed was written with the status (a ``queued`` webhook job), so the
    sweeper finds it and the agency's system is told, once the broker is back."""
    from kombu.exceptions import OperationalError

    from workers import tasks
    from ocr_service.handover import notify
    from ocr_service.sweeper import sweep_webhooks

    first = start_worker("ocr,cpu")  # no archive queue: this process runs the archive stage
    document_id = upload(stack, unique_sample())
    wait_for(lambda: (job := jobs(stack, document_id).get("record")) and
             job.state == "succeeded", "the record stage to finish", timeout=90)
    first.stop()

    refused: list[tuple[str, ...]] = []

    def broker_down(*args: str) -> None:
        refused.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1. Connection refused.")

    monkeypatch.setattr(tasks, "services", lambda: stack.services)
    monkeypatch.setattr(tasks.webhook, "delay", broker_down)
    tasks.archive(str(document_id))  # the stage ends well: the webhook is the sweeper's now
    monkeypatch.undo()
    assert refused == [(str(document_id), "archived")]
    wait_status(stack, document_id, "archived")
    assert_archived_once(stack, document_id)
    owed = jobs(stack, document_id)["webhook"]
    assert (owed.state, owed.attempts) == ("queued", 0)

    start_worker("archive")
    fresh = stack.settings.model_copy(update={"sweep_queued_after": 3600})
    assert str(document_id) not in sweep_webhooks(stack.services.index, notify,
                                                  fresh)
    assert stack.hooks.of(document_id) == []  # nothing sent it meanwhile
    stale = stack.settings.model_copy(update={"sweep_queued_after": 0})
    assert str(document_id) in sweep_webhooks(stack.services.index, notify, stale)
    [(_, body)] = wait_for(lambda: stack.hooks.of(document_id), "the swept webhook", timeout=30)
    assert json.loads(body)["status"] == "archived"
    assert json.loads(body)["record_id"] == str(record_id_for(document_id))
    sent = wait_for(lambda: (job := jobs(stack, document_id)["webhook"]).state == "succeeded"
                    and job, "the webhook job to succeed", timeout=20)
    assert sent.attempts == 1
    # Delivered: a later sweep sends nothing again.
    assert str(document_id) not in sweep_webhooks(stack.services.index, notify,
                                                  stale)
