"""Task time limits: the order Settings enforces (time limit < visibility timeout < sweep of
``processing`` documents), and a stage past its soft limit failing its document as
``took_too_long`` instead of running on into a second delivery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import ValidationError

from ocr_service.config import Settings
from ocr_service.services import Services
from ocr_service.store import repo
from ocr_service.store.index import Index, ReviewPolicy
from workers import tasks
from workers.app import configure


def test_defaults_let_a_long_task_finish_before_the_broker_hands_it_on() -> None:
    settings = Settings()
    assert (settings.task_time_limit, settings.task_hard_time_limit) == (3600, 3660)
    assert settings.task_hard_time_limit < settings.task_visibility_timeout == 3900
    assert settings.task_visibility_timeout < settings.sweep_processing_after == 4500
    conf = configure(Settings(redis_url="redis://127.0.0.1:1/0")).conf
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (3600, 3660)
    assert conf.broker_transport_options["visibility_timeout"] == 3900


def test_hard_limit_is_a_little_after_the_soft_one() -> None:
    assert Settings(task_time_limit=15, task_visibility_timeout=20,
                    sweep_processing_after=30).task_hard_time_limit == 17  # at least 2 s
    assert Settings(task_time_limit=300, task_visibility_timeout=400).task_hard_time_limit == 330


@pytest.mark.parametrize("values, named", [
    ({"task_visibility_timeout": 300}, ["SOHOA_TASK_VISIBILITY_TIMEOUT (300 s)",
                                        "SOHOA_TASK_TIME_LIMIT=3600", "3660 s"]),
    # Equal to the hard limit is not enough: the broker would hand it on as it is killed.
    ({"task_time_limit": 100, "task_visibility_timeout": 110},
     ["SOHOA_TASK_VISIBILITY_TIMEOUT (110 s)", "(110 s, from SOHOA_TASK_TIME_LIMIT=100)"]),
    ({"sweep_processing_after": 1800}, ["SOHOA_SWEEP_PROCESSING_AFTER (1800 s)",
                                        "SOHOA_TASK_VISIBILITY_TIMEOUT (3900 s)"]),
    ({"task_time_limit": 0}, ["SOHOA_TASK_TIME_LIMIT must be at least 1 second"]),
])
def test_settings_out_of_order_are_refused_naming_both(values: dict[str, int],
                                                       named: list[str]) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**values)
    message = str(refused.value)
    for text in named:
        assert text in message


def test_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_TASK_VISIBILITY_TIMEOUT", "600")
    with pytest.raises(ValidationError, match="SOHOA_TASK_VISIBILITY_TIMEOUT"):
        Settings()
    monkeypatch.setenv("SOHOA_TASK_TIME_LIMIT", "500")
    assert Settings().task_hard_time_limit == 550


# --- a stage over its soft limit ---------------------------------------------------------------


@pytest.fixture
def one_document(tmp_path: Path) -> Iterator[tuple[Services, uuid.UUID, list[Any]]]:
    """A ``queued`` document in a fresh SQLite index; no S3 (the stage never reaches it), and
    queued webhooks collected instead of sent to a broker."""
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'i.sqlite3'}")
    index = Index.open(settings.database_url or "")
    with index.session() as session:
        agency = repo.create_agency(session, "T-LIMITS")
        dossier = repo.create_dossier(session, agency.id, "1.001234", "001099012345",
                                      review=ReviewPolicy.NEVER)
        document, _ = repo.add_document(session, agency.id, dossier.id, sha256="ab" * 32,
                                        filename="long.pdf", media_type="application/pdf",
                                        size=1, raw_key="raw/long.pdf")
        document_id = document.id
    hooks: list[Any] = []
    services = Services(settings, index, store=None)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "services", lambda: services)
        patch.setattr(tasks, "get_settings", lambda: settings.model_copy(
            update={"task_time_limit": 7, "task_visibility_timeout": 20,
                    "sweep_processing_after": 30}))
        patch.setattr(tasks.webhook, "delay", lambda *args: hooks.append(args))
        yield services, document_id, hooks
    index.close()


def test_a_stage_past_its_soft_limit_fails_the_document_as_took_too_long(
        one_document: tuple[Services, uuid.UUID, list[Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    services, document_id, hooks = one_document

    def slow(ctx: tasks.Context) -> tasks.Outcome:
        raise SoftTimeLimitExceeded()  # what Celery raises in the task when the limit passes

    monkeypatch.setattr(tasks, "_read", slow)
    tasks.ocr(str(document_id))  # runs in this process; nothing is retried or raised

    with services.index.session() as session:
        agency_id = repo.document_agency(session, document_id)
        assert agency_id is not None
        document = repo.get_document(session, agency_id, document_id)
        assert document is not None
        assert (document.status, document.stage, document.error_code) == (
            "failed", "ocr", "took_too_long")
        assert document.error_message is not None and "7 s" in document.error_message
        assert document.error_message_vi is not None
        assert "quá thời gian cho phép (7 giây)" in document.error_message_vi
        [job] = repo.get_jobs(session, agency_id, document_id)
        assert (job.task, job.state, job.attempts) == ("ocr", "dead", 1)
        assert json.loads(job.last_error or "{}")["code"] == "took_too_long"
    assert hooks == [(str(document_id), "failed")]
