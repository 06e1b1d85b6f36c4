"""The fault suite (issue 17): per fault, a few documents through the real stack, and a count of
what became of them once the fault is over: archived, failed, lost, stuck, duplicated.

The faults: a worker SIGKILLed mid-OCR (its whole process group, pool included), Redis restarted
mid-run (with one upload while it is down, which the API stores and answers 503), S3 down while
documents are read and archived, PostgreSQL restarted mid-run (down until a worker has noticed),
and the worker's temporary directory full (a tiny tmpfs, filled, then freed). A transient fault
must never lose or strand a document, so each must end ``archived`` exactly once: one record row,
one locked version of each object, a valid signature. Each scenario also checks that its fault
hit (a redelivered task, a retried stage): a fault that missed the documents proves nothing.

Recovery is what production has: task retries, the broker's redelivery, and the sweeper, which
runs throughout as ``sohoa serve`` runs it, with thresholds scaled to the stack's task times (a
15 s stage limit and a 20 s visibility timeout; ``test_workers.py``). The table is printed at the
end of the session (``fault_report.py``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import select

from ocr_service.errors import ObjectNotFound, StorageError
from ocr_service.store import repo
from ocr_service.store.index import DocumentStatus, Job, Record
from ocr_service.sweeper import SweeperThread
from tests.integration.fault_report import FaultTally, remember
from tests.integration.test_workers import (  # noqa: F401 - stack and start_worker: fixtures
    Stack,
    Worker,
    assert_archived_once,
    document,
    jobs,
    stack,
    start_worker,
    unique_sample,
    upload,
    wait_for,
)
from workers.tasks import FINAL, record_id_for, submit_document

REDIS_DB = 6
"""The broker database of this module's stack (``test_workers.py`` uses 5)."""
DOCUMENTS = 3
SETTLE_TIMEOUT = 240.0
"""Seconds after the fault ends within which every document must reach a final status: about
eight times what three documents take on an idle 2-core machine with a redelivery (20 s)."""
SWEEP = {"sweep_interval": 2, "sweep_queued_after": 15, "sweep_processing_after": 40,
         "audit_anchor_interval": 0}
"""``sohoa serve``'s sweeper at the scale of this stack: queued documents older than three
documents' work, processing ones older than the visibility timeout (20 s) plus a stage."""
RETRIED = re.compile(r"(\w+) of document ([0-9a-f-]{36}): index_unavailable; retry")
"""The worker's log line of a stage retried because the index was unreachable."""
TEMP_SIZE = 64 * 1024 * 1024
"""Room for a few documents' page spools once the disk is freed (one page's is about 2 MiB)."""
TEMP_LEFT = 64 * 1024
"""The full temporary directory keeps this much free: enough for Python's check that the
directory is writable (else ``tempfile`` would silently use /tmp), not for a page spool."""


@dataclass
class Scenario:
    """One fault's run: the stack, its workers, and the documents it uploaded."""

    stack: Stack
    start_worker: Callable[..., Worker]
    request: pytest.FixtureRequest
    swept: set[str]
    """Documents the sweeper queued again (``sweeping``)."""
    documents: list[uuid.UUID] = field(default_factory=list)

    def upload(self, count: int = 1,
               submit: Callable[[str], None] = submit_document) -> list[uuid.UUID]:
        added = [upload(self.stack, unique_sample(), submit=submit) for _ in range(count)]
        self.documents += added
        return added

    def stage_begun(self, document_id: uuid.UUID, stage: str) -> None:
        wait_for(lambda: (job := jobs(self.stack, document_id).get(stage)) and
                 job.state == "running", f"the {stage} stage to begin", timeout=90)

    def stage_done(self, document_id: uuid.UUID, stage: str) -> None:
        wait_for(lambda: (job := jobs(self.stack, document_id).get(stage)) and
                 job.state == "succeeded", f"the {stage} stage to finish", timeout=90)

    def failed_attempt(self, document_id: uuid.UUID, stage: str | None = None) -> Job:
        """The first job of the document (of ``stage``, else of any) found with an attempt
        that did not succeed: ``failed`` (to be retried) or ``dead``."""
        def failed() -> Job | None:
            return next((job for job in jobs(self.stack, document_id).values()
                         if stage in (None, job.task) and job.state in ("failed", "dead")),
                        None)

        return wait_for(failed, f"a failed {stage or 'stage'} attempt", timeout=90)


def error_code(job: Job) -> str:
    code: str = json.loads(job.last_error)["code"]
    return code


Afterwards = Callable[[Scenario], None]
"""What the fault left behind, checked once the documents settled."""


# --- the faults ----------------------------------------------------------------------------------


def worker_killed(run: Scenario) -> Afterwards:
    first = run.start_worker()
    victim, *_ = run.upload(DOCUMENTS)
    run.stage_begun(victim, "ocr")
    first.kill()
    assert document(run.stack, victim).status == "processing"
    assert jobs(run.stack, victim)["ocr"].state == "running"  # killed mid-OCR
    run.start_worker()

    def afterwards(run: Scenario) -> None:
        job = jobs(run.stack, victim)["ocr"]
        assert job.attempts >= 2 and job.lost >= 1  # the killed delivery came back, counted

    return afterwards


def redis_restarted(run: Scenario) -> Afterwards:
    redis = run.request.getfixturevalue("redis_server")
    run.start_worker()
    first, *_ = run.upload(DOCUMENTS - 1)
    run.stage_begun(first, "ocr")
    refused: list[str] = []

    def as_the_api(document_id: str) -> None:
        """The API keeps the stored upload ``queued`` and answers 503 when the broker is down."""
        try:
            submit_document(document_id)
        except BrokerError:
            refused.append(document_id)

    redis.stop()
    try:
        [during] = run.upload(1, submit=as_the_api)
    finally:
        redis.start()
    assert refused == [str(during)]

    def afterwards(run: Scenario) -> None:
        assert str(during) in run.swept  # nothing but the sweeper could have queued it

    return afterwards


def s3_down(run: Scenario) -> Afterwards:
    seaweed = run.request.getfixturevalue("seaweed")
    run.start_worker("ocr,cpu")  # the archive worker starts once S3 is down
    first, *_ = run.upload(DOCUMENTS)
    run.stage_done(first, "record")
    seaweed.stop()
    try:
        run.start_worker("archive")
        assert error_code(run.failed_attempt(first, "archive")) == "storage_unavailable"
        assert document(run.stack, first).status == "processing"
    finally:
        seaweed.start()

    def afterwards(run: Scenario) -> None:
        assert jobs(run.stack, first)["archive"].attempts >= 2

    return afterwards


def postgres_restarted(run: Scenario) -> Afterwards:
    if not run.stack.settings.database_url:
        pytest.skip("the stack runs on SQLite: PostgreSQL is not installed")
    postgres = run.request.getfixturevalue("postgres_server")
    worker = run.start_worker()
    first, *_ = run.upload(DOCUMENTS)
    run.stage_begun(first, "ocr")
    postgres.stop()
    try:  # down until a worker's stage could not be recorded, and is retried (its log says)
        stage, document_id = wait_for(lambda: RETRIED.search(worker.log.read_text("utf-8")),
                                      "a stage retried while PostgreSQL is down",
                                      timeout=90).groups()
    finally:
        postgres.start()

    def afterwards(run: Scenario) -> None:
        assert jobs(run.stack, uuid.UUID(document_id))[stage].attempts >= 2

    return afterwards


def temp_disk_full(run: Scenario) -> Afterwards:
    temp = run.request.getfixturevalue("full_temp_dir")
    run.start_worker(env={"TMPDIR": str(temp.path)})
    first, *_ = run.upload(DOCUMENTS)
    try:  # the OCR stage spools the pages there; the record stage, its PDF/A (pikepdf)
        failed = run.failed_attempt(first)
        assert (failed.state, error_code(failed)) == ("failed", "disk_full")  # to be retried
        assert document(run.stack, first).status == "processing"
    finally:
        temp.free()

    def afterwards(run: Scenario) -> None:
        assert jobs(run.stack, first)[failed.task].attempts >= 2

    return afterwards


@dataclass(frozen=True)
class Fault:
    name: str
    run: Callable[[Scenario], Afterwards]


FAULTS = [Fault("worker killed", worker_killed), Fault("Redis restarted", redis_restarted),
          Fault("S3 down", s3_down), Fault("PostgreSQL restarted", postgres_restarted),
          Fault("temp dir full", temp_disk_full)]


# --- the full temporary directory ----------------------------------------------------------------


@dataclass
class FullTemp:
    """A tmpfs filled up to ``TEMP_LEFT`` bytes; ``free()`` is what an operator does."""

    path: Path
    filler: Path

    def fill(self) -> None:
        with self.filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
        os.truncate(self.filler, max(0, self.filler.stat().st_size - TEMP_LEFT))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def full_temp_dir(tmp_path: Path) -> Iterator[FullTemp]:
    """A full temporary directory of its own (mounting needs root); skipped where it cannot be
    mounted, rather than faked with a directory that is not full."""
    path = tmp_path / "tmpfs"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TEMP_SIZE},mode=1777",
                              "tmpfs", str(path)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root with CAP_SYS_ADMIN): "
                    f"{mounted.stderr.strip() or mounted.returncode}")
    temp = FullTemp(path, path / "filler")
    try:
        temp.fill()
        yield temp
    finally:
        # Lazily: the worker, stopped after this fixture ends, may still hold files there.
        subprocess.run(["umount", "--lazy", str(path)], check=False)


# --- recovery and the count ----------------------------------------------------------------------


@contextmanager
def sweeping(stack: Stack) -> Iterator[set[str]]:
    """The sweeper thread of ``sohoa serve`` for the block; yields the ids it queued again."""
    swept: set[str] = set()

    def submit(document_id: str) -> None:
        submit_document(document_id)
        swept.add(document_id)

    thread = SweeperThread(lambda: stack.services.index, submit,
                           stack.settings.model_copy(update=SWEEP))
    thread.start()
    try:
        yield swept
    finally:
        thread.stop()
        thread.join(timeout=30)


def settle(stack: Stack, documents: list[uuid.UUID]) -> None:
    """Until every document reached a final status, or ``SETTLE_TIMEOUT`` passed."""
    try:
        wait_for(lambda: all(document(stack, d).status in FINAL for d in documents),
                 "every document to reach a final status", timeout=SETTLE_TIMEOUT)
    except AssertionError:
        pass  # the count says which are stuck


def tally(stack: Stack, fault: str, documents: list[uuid.UUID], swept: set[str]) -> FaultTally:
    count = FaultTally(fault, documents=len(documents),
                       swept=len(swept & {str(d) for d in documents}))
    store = stack.services.store
    for document_id in documents:
        with stack.services.index.session() as session:
            found = repo.get_document(session, stack.agency_id, document_id)
            records = session.scalars(select(Record.id)
                                      .where(Record.document_id == document_id)).all()
        if found is None:
            count.lost += 1
            count.details.append(f"{document_id}: unknown to the index")
            continue
        try:
            store.get_raw(found.raw_key)
        except ObjectNotFound:
            count.lost += 1
            count.details.append(f"{document_id}: scan gone from S3")
            continue
        if found.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING):
            count.stuck += 1
            count.details.append(f"{document_id}: still {found.status} at {found.stage}")
        elif found.status != DocumentStatus.ARCHIVED:
            count.failed += 1
            count.details.append(f"{document_id}: {found.status} ({found.error_code}: "
                                 f"{found.error_message})")
        elif len(records) != 1:
            count.duplicated += 1
            count.details.append(f"{document_id}: {len(records)} record rows")
        else:
            try:
                store.get_record_pdf(str(record_id_for(document_id, found.generation)))
            except ObjectNotFound:
                count.lost += 1
                count.details.append(f"{document_id}: archived, its record gone from S3")
            except StorageError as exc:  # record_overwritten: more than one version
                count.duplicated += 1
                count.details.append(f"{document_id}: {exc.code}")
            else:
                count.archived += 1
    return count


# --- the suite -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name.replace(" ", "-"))
def test_no_document_lost_or_stuck(fault: Fault, stack: Stack,
                                   start_worker: Callable[..., Worker],
                                   request: pytest.FixtureRequest) -> None:
    with sweeping(stack) as swept:
        run = Scenario(stack, start_worker, request, swept)
        try:
            afterwards = fault.run(run)
        except pytest.skip.Exception as skipped:
            remember(request.node, FaultTally(fault.name, note=f"skipped: {skipped}"))
            raise
        except BaseException as exc:
            first_line = (str(exc) or type(exc).__name__).splitlines()[0]
            broke = FaultTally(fault.name, len(run.documents),
                               note=f"the run broke off: {first_line}")
            remember(request.node, broke)
            raise
        settle(stack, run.documents)
    count = tally(stack, fault.name, run.documents, swept)
    remember(request.node, count)
    assert count.documents == DOCUMENTS
    assert (count.lost, count.stuck, count.duplicated) == (0, 0, 0), count.details
    assert count.archived == count.documents, count.details
    for document_id in run.documents:
        assert_archived_once(stack, document_id)
    afterwards(run)
