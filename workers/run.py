"""``sohoa worker``: a Celery worker in this process, for some or all of the queues."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ocr_service.config import get_settings
from ocr_service.errors import SohoaError

from .app import QUEUES, celery_app

POOLS = ("prefork", "solo", "threads")


def parse_queues(text: str) -> list[str]:
    """``ocr,cpu,archive`` → the queue names, each checked."""
    queues = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in queues if name not in QUEUES]
    if unknown or not queues:
        raise SohoaError(f"Unknown queue(s) {', '.join(unknown) or '(none)'}; choose from "
                         f"{', '.join(QUEUES)}.",
                         f"Hàng đợi không hợp lệ: {', '.join(unknown) or '(trống)'}; chọn trong "
                         f"{', '.join(QUEUES)}.", code="bad_argument")
    return sorted(queues, key=QUEUES.index)  # counter work first (workers/app.py)


def run_worker(queues: Sequence[str], concurrency: int = 1, pool: str = "prefork") -> int:
    """Consume ``queues`` until SIGTERM/Ctrl-C (Celery's warm shutdown: running tasks finish).

    The models and connections are opened in each pool process (after the fork: onnxruntime and
    database connections must not cross a fork), once, and kept for every task.
    """
    import warnings

    from celery.exceptions import CPendingDeprecationWarning
    from celery.signals import worker_process_init

    # Celery warns on every broker reconnect that running tasks are not cancelled; we chose
    # that (worker_cancel_long_running_tasks_on_connection_loss=False in workers/app.py).
    warnings.filterwarnings("ignore", category=CPendingDeprecationWarning)

    from . import tasks

    if not get_settings().redis_url:
        raise SohoaError("No broker: set SOHOA_REDIS_URL (or run `sohoa up`).",
                         "Chưa cấu hình hàng đợi tác vụ: đặt SOHOA_REDIS_URL "
                         "(hoặc chạy `sohoa up`).",
                         code="broker_not_configured")
    reads_pages = "ocr" in queues or "ocr_batch" in queues
    if pool == "prefork":
        worker_process_init.connect(lambda **_: tasks.warm_up(ocr=reads_pages), weak=False)
    else:
        tasks.warm_up(ocr=reads_pages)
    celery_app.worker_main([
        "worker", "--queues", ",".join(queues), "--concurrency", str(concurrency),
        "--pool", pool, "--without-mingle", "--without-gossip", "--loglevel", "INFO",
        "--hostname", f"sohoa-{'-'.join(queues)}-{os.getpid()}@%h",
    ])
    return 0
