"""S3 waits inside a stage: a stalled S3 (a server restarting, a proxy holding the connection)
must end the call as ``storage_unavailable``, which the workers retry, before the stage's time
limit fails the document as ``took_too_long`` (a transient outage stranding a document)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from ocr_service.config import S3_TRIES, Settings
from ocr_service.errors import StorageUnavailable
from ocr_service.store.objects import ObjectStore

SHORT_STAGES = {"task_time_limit": 6, "task_visibility_timeout": 10,
                "sweep_processing_after": 20}


def test_the_wait_follows_the_stage_limit_up_to_two_minutes() -> None:
    assert Settings().s3_timeout == 120  # an hour's stage: as before
    assert Settings(**SHORT_STAGES).s3_timeout == 1
    assert Settings(**SHORT_STAGES, s3_timeout=1.5).s3_timeout == 1.5


@pytest.mark.parametrize("timeout", [2, 0])
def test_a_wait_that_could_outlast_a_stage_is_refused(timeout: float) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**SHORT_STAGES, s3_timeout=timeout)
    message = str(refused.value)
    assert f"SOHOA_S3_TIMEOUT ({timeout} s)" in message
    assert f"its {S3_TRIES} tries shorter than SOHOA_TASK_TIME_LIMIT (6 s)" in message


@pytest.fixture
def stalled_s3() -> Iterator[str]:
    """A server that takes connections and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield f"127.0.0.1:{server.getsockname()[1]}"


def test_a_stalled_s3_call_ends_as_unavailable_within_the_stage_limit(stalled_s3: str) -> None:
    settings = Settings(**SHORT_STAGES, s3_endpoint=stalled_s3, s3_access_key="k",
                        s3_secret_key="s", s3_region="us-east-1")
    store = ObjectStore.from_settings(settings)
    raised: list[BaseException] = []

    def call() -> None:
        try:
            store.has_work("work/stalled.zip")
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            raised.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout=settings.task_time_limit)  # the stage's limit is the deadline
    assert not caller.is_alive(), "the S3 call outlasted the stage's time limit"
    [error] = raised
    assert isinstance(error, StorageUnavailable) and error.code == "storage_unavailable"
