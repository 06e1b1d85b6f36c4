"""The webhook owed with a document's final status (a ``webhook`` job written in the same
transaction) and the sweeper that queues it again when no worker ever picked it up."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from ocr_service.config import Settings
from ocr_service.store import repo
from ocr_service.store.index import DocumentStatus, Index, JobState, ReviewPolicy, utcnow
from ocr_service.sweeper import sweep, sweep_webhooks


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return Index.open(f"sqlite:///{tmp_path / 'i.sqlite3'}")


def _document(index: Index, code: str, webhook: str | None) -> tuple[uuid.UUID, uuid.UUID]:
    with index.session() as session:
        agency = repo.create_agency(session, code, webhook_url=webhook,
                                    webhook_secret="s" if webhook else None)
        dossier = repo.create_dossier(session, agency.id, "1.001234", "001099012345",
                                      review=ReviewPolicy.NEVER)
        document, _ = repo.add_document(session, agency.id, dossier.id, sha256=code * 8,
                                        filename="a.jpg", media_type="image/jpeg", size=1,
                                        raw_key=f"raw/{code}")
        return agency.id, document.id


def _finish(index: Index, agency_id: uuid.UUID, document_id: uuid.UUID,
            status: DocumentStatus) -> None:
    """What a stage's last transaction does: the final status and the webhook owed."""
    with index.session() as session:
        repo.set_document_status(session, agency_id, document_id, status, stage="archive")
        repo.owe_webhook(session, agency_id, document_id)


def test_an_owed_webhook_is_swept_once_per_period_until_a_worker_picks_it_up(
        index: Index) -> None:
    settings = Settings(sweep_queued_after=120)
    agency, owed = _document(index, "T-HOOK", "https://example.test/hook")
    _, silent = _document(index, "T-NOHOOK", None)  # no webhook: nothing owed
    _, running = _document(index, "T-RUN", "https://example.test/hook")
    _finish(index, agency, owed, DocumentStatus.ARCHIVED)
    with index.session() as session:
        no_hook = repo.document_agency(session, silent)
        run_agency = repo.document_agency(session, running)
    assert no_hook and run_agency
    _finish(index, no_hook, silent, DocumentStatus.FAILED)
    _finish(index, run_agency, running, DocumentStatus.FAILED)
    with index.session() as session:  # a worker picked this one up (its retries are its own)
        repo.start_job(session, run_agency, running, repo.WEBHOOK_JOB)
        assert [j.task for j in repo.get_jobs(session, no_hook, silent)] == []

    sent: list[tuple[str, str]] = []
    now = utcnow()
    assert sweep_webhooks(index, lambda *a: sent.append(a), settings, now=now) == []
    later = now + timedelta(seconds=121)
    assert sweep_webhooks(index, lambda *a: sent.append(a), settings, now=later) == [str(owed)]
    assert sent == [(str(owed), "archived")]
    # Queued again just now: the next sweep leaves it to the broker for another period.
    assert sweep_webhooks(index, lambda *a: sent.append(a), settings,
                          now=later + timedelta(seconds=60)) == []
    assert len(sent) == 1
    # The document ran again (reprocess): no webhook is owed while it is not final.
    with index.session() as session:
        repo.set_document_status(session, agency, owed, DocumentStatus.PROCESSING, stage="ocr")
    assert sweep_webhooks(index, lambda *a: sent.append(a), settings,
                          now=later + timedelta(hours=1)) == []
    # Final again: owed again, with the new status.
    _finish(index, agency, owed, DocumentStatus.FAILED)
    with index.session() as session:
        [job] = repo.get_jobs(session, agency, owed)
        assert (job.task, job.state) == ("webhook", JobState.QUEUED)
    sweep(index, lambda _: None, settings, now=utcnow() + timedelta(hours=2),
          notify=lambda *a: sent.append(a))
    assert sent[-1] == (str(owed), "failed")


def test_the_sweeper_queues_what_was_never_handed_over_not_a_batch_waiting_its_turn(
        index: Index) -> None:
    """A document the broker never got (it was down) is queued after ``sweep_queued_after``;
    one handed over and waiting in a long batch queue is left alone until the broker must have
    lost it (``sweep_handed_over_after``), and then goes back on the batch queue, never ahead
    of counter work."""
    from ocr_service.store import batches

    settings = Settings(sweep_queued_after=120, sweep_handed_over_after=86_400)
    _, never = _document(index, "T-NEVER", None)
    _, waiting = _document(index, "T-WAIT", None)
    _, lost = _document(index, "T-LOST", None)
    now = utcnow()
    with index.session() as session:
        repo.mark_handed_over(session, [waiting], now=now - timedelta(hours=3))
        repo.mark_handed_over(session, [lost], now=now - timedelta(hours=25))
        for number, document_id in enumerate((waiting, lost), start=1):
            owner = repo.document_agency(session, document_id)
            assert owner is not None
            batch = batches.create_batch(session, owner, contract_code="BD-01",
                                         review=ReviewPolicy.NEVER, operator="key:x",
                                         sha256=f"{number}" * 64, actor_key_id=None,
                                         actor_user_id=None)
            batches.add_item(session, batch.id, 2, "a.jpg", None, document_id=document_id,
                             pages=1)
    counter: list[str] = []
    batch_queue: list[str] = []
    later = now + timedelta(minutes=5)  # past sweep_queued_after for all three
    swept = sweep(index, counter.append, settings, submit_batch=batch_queue.append, now=later)
    assert sorted(swept) == sorted([str(never), str(lost)])
    assert counter == [str(never)] and batch_queue == [str(lost)]
    # Both are handed over now: the next sweep leaves them for a day.
    assert sweep(index, counter.append, settings, submit_batch=batch_queue.append,
                 now=later + timedelta(minutes=5)) == []
