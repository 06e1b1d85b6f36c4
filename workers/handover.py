"""The Celery implementation of ``ocr_service.handover.TaskQueue``, registered as the entry point
``sohoa.task_queue: celery`` (pyproject.toml). The tasks are imported on first use, so that an
API process that only answers reads never loads the workers' code."""

from __future__ import annotations


class CeleryQueue:
    """Counter documents on ``ocr``, batch documents on ``ocr_batch``, webhooks on ``archive``
    (``workers.tasks``, ``workers.app``)."""

    def submit(self, document_id: str) -> None:
        from .tasks import submit_document

        submit_document(document_id)

    def submit_batch(self, document_id: str) -> None:
        from .tasks import submit_batch_document

        submit_batch_document(document_id)

    def notify(self, document_id: str, status: str) -> None:
        from .tasks import webhook

        webhook.delay(document_id, status)

    def run_worker(self, queues: str, concurrency: int, pool: str) -> int:
        from .run import parse_queues, run_worker

        return run_worker(parse_queues(queues), concurrency, pool)
