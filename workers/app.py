"""The Celery application: queues, routing and the settings that make tasks crash-safe.

Why these settings (measured with Redis 7 and Celery 5.7, see docs/offline-notes.md):

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only after its
  task finished, so a worker that dies mid-task (SIGKILL, OOM, power) loses nothing: the task is
  delivered again. Every task is idempotent (workers/tasks.py), so running twice is harmless.
* A ``visibility_timeout`` just past the hard time limit below, with
  ``unacked_restore_interval``/``throttle`` of 1 s: with kombu's defaults the task of a killed
  worker comes back after about 90 s (or an hour); with these, after about the timeout
  (``SOHOA_TASK_VISIBILITY_TIMEOUT``), and never while it still runs elsewhere.
* Time limits (``SOHOA_TASK_TIME_LIMIT``): the soft one raises ``SoftTimeLimitExceeded`` in the
  task, which fails its document as ``took_too_long`` (workers/tasks.py); the hard one, a little
  later, kills a pool process that did not stop. Both stay below the visibility timeout (checked
  by Settings), so the broker never hands a task still running to a second worker.
* ``worker_prefetch_multiplier=1``: a busy worker holds no messages that an idle one could run,
  and a killed worker strands at most the tasks it was running.
* JSON only: messages carry ids, never pickled objects or document contents.
* Publishing retries for a while: a broker restart must not lose the next stage of a document.
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue, pools

from ocr_service.config import Settings, get_settings

QUEUES = ("ocr", "cpu", "archive", "ocr_batch")
"""``ocr``: GPU or CPU workers that keep the OCR models loaded; ``cpu``: extraction, PDF/A and
signing; ``archive``: S3 and index writes, and webhooks (short, I/O-bound tasks); ``ocr_batch``:
the OCR stage of postal batches, taken only when the queues before it are empty (counter work
first: ``queue_order_strategy`` below)."""

ROUTES = {
    "sohoa.ocr": {"queue": "ocr"},
    "sohoa.record": {"queue": "cpu"},
    "sohoa.archive": {"queue": "archive"},
    "sohoa.webhook": {"queue": "archive"},
}

celery_app = Celery("sohoa", include=["workers.tasks"])


def configure(settings: Settings | None = None, app: Celery = celery_app) -> Celery:
    """Point ``app`` at the broker of ``settings`` (``SOHOA_REDIS_URL``) with the crash-safe
    options; called at import with the environment's settings, and by tests with theirs."""
    settings = settings or get_settings()
    if app._pool is not None:  # configured again after use (tests): drop the old connections
        app._pool.force_close_all()
        # kombu keeps producer pools in a registry of its own, by broker URL: configured again
        # with the same URL, the app would get back the pool just closed ("Acquire on closed
        # pool"), so that registry is emptied too.
        pools.reset()
        app._after_fork()  # Celery's own reset of its connection and producer pools
    app.conf.update(
        broker_url=settings.redis_url,
        broker_transport_options={
            "visibility_timeout": settings.task_visibility_timeout,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
            # A worker takes from its queues in the order QUEUES lists them (kombu's Redis
            # transport otherwise turns round them): counter work before batch work.
            "queue_order_strategy": "priority",
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_channel_error_retry=True,
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name)
                     for name in QUEUES],
        task_default_queue="cpu",
        task_routes=ROUTES,
        task_soft_time_limit=settings.task_time_limit,
        task_time_limit=settings.task_hard_time_limit,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_proc_alive_timeout=120,  # a pool process loads the OCR models before it is up
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 20, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 3},
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


configure()
