"""The workers' own Celery tasks run in this process, on given services, engine and signer:
how tests that are about the API or the pages get documents processed without a worker process
(the real hand-over to ``sohoa worker`` has tests of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ocr_service.config import Settings
from ocr_service.services import Services

EAGER = {"task_always_eager": True, "task_eager_propagates": True}


@contextmanager
def eager_tasks(services: Services, engine: Any, signing: Any,
                settings: Settings) -> Iterator[None]:
    """Within the block, queued tasks run at once in the caller's thread, with this process's
    Celery configuration and the tasks' resources put back afterwards (a later test that hands
    documents to a real worker must find the broker in use again)."""
    from workers import tasks

    conf = tasks.celery_app.conf
    before = {name: conf[name] for name in EAGER}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "services", lambda: services)
        patch.setattr(tasks, "_engine", lambda: engine)
        patch.setattr(tasks, "_signing", lambda: signing)
        patch.setattr(tasks, "get_settings", lambda: settings)
        conf.update(EAGER)
        try:
            yield
        finally:
            conf.update(before)
