"""How the service hands work to its workers: a port that ``ocr_service`` calls and the
``workers`` package implements, so that no ``ocr_service`` module imports ``workers``.

The dependency runs one way: ``workers`` imports ``ocr_service`` (the pipeline, the store), and
``ocr_service`` reaches the workers only through a ``TaskQueue`` found at start-up under the
entry-point group ``sohoa.task_queue`` (pyproject.toml registers ``workers.handover:CeleryQueue``),
the way pytest or OCRmyPDF find their plugins. Another queue (a test double, another broker)
is another entry point, or is passed where a ``Submit`` is taken (``create_app(submit=...)``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import Protocol

from .errors import SohoaError

ENTRY_POINT_GROUP = "sohoa.task_queue"

Submit = Callable[[str], None]
"""Queue the processing of an accepted document (by id)."""
Notify = Callable[[str, str], None]
"""Queue the webhook of a document (id) that reached a status."""


class TaskQueue(Protocol):
    """What the API, the sweeper and the CLI ask of the workers. Each call returns once the
    work is queued (the broker has it), not done; a broker that cannot be reached raises."""

    def submit(self, document_id: str) -> None:
        """Queue a stored ``queued`` document on the counter queue (served first)."""
        ...

    def submit_batch(self, document_id: str) -> None:
        """Queue a document of a postal batch, behind counter work."""
        ...

    def notify(self, document_id: str, status: str) -> None:
        """Queue the webhook telling the agency that a document reached ``status``."""
        ...

    def run_worker(self, queues: str, concurrency: int, pool: str) -> int:
        """Consume the comma-separated ``queues`` until stopped (``sohoa worker``); the exit
        code."""
        ...


class NoTaskQueue(SohoaError):
    code = "no_task_queue"

    def __init__(self) -> None:
        super().__init__(
            f"No task queue is installed (entry point group {ENTRY_POINT_GROUP}): install sohoa "
            "with its workers package (pip install -e .).",
            f"Chưa cài đặt hàng đợi tác vụ (nhóm entry point {ENTRY_POINT_GROUP}): hãy cài sohoa "
            "cùng gói workers (pip install -e .).")


@cache
def task_queue() -> TaskQueue:
    """The installed task queue (loaded once, on first use: the API starts without loading
    the workers' code)."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda point: point.name)
    if not found:
        raise NoTaskQueue()
    return found[0].load()()


def submit(document_id: str) -> None:
    """The production hand-over of a counter document (a ``Submit``)."""
    task_queue().submit(document_id)


def submit_batch(document_id: str) -> None:
    """The production hand-over of a batch document (a ``Submit``)."""
    task_queue().submit_batch(document_id)


def notify(document_id: str, status: str) -> None:
    """The production hand-over of a webhook (a ``Notify``)."""
    task_queue().notify(document_id, status)
