"""The FastAPI application: ``create_app()`` wires routers, error handlers, metrics and start-up."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from .. import __version__
from ..config import get_settings
from ..services import Services
from . import errors, limits, uploads
from .. import handover
from ..handover import Submit
from .deps import ServiceHub
from .metrics import ApiMetrics, MetricsMiddleware
from .routers import (
    audit, documents, dossiers, extract, health, keys, metrics, records, session, verify)

DESCRIPTION = """Số hóa hồ sơ: scanned Vietnamese dossiers to fields and signed e-records.

Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer <api key>` (from
`sohoa keys create`); a key sees only its own agency's dossiers and records. Every POST honours
`Idempotency-Key`. Errors are `{"error": {"code", "message", "message_vi"}}`."""


def create_app(services: Services | None = None, submit: Submit | None = None, *,
               preload: bool = False, sweep: bool = False) -> FastAPI:
    """The API app.

    ``services``: the index and object store to use (tests); None opens them from Settings on
    first use, so a server starts without waiting for S3 and says in ``/readyz`` what is missing.
    ``submit``: how an accepted document is queued (default: the Celery workers).
    ``preload``: start the ``/v1/extract`` reading processes (which load the OCR models) at
    start-up instead of on first use, so that a server answers its first ``/v1/extract`` as fast
    as the others.
    ``sweep``: queue again, every ``SOHOA_SWEEP_INTERVAL`` seconds, documents left behind
    (``ocr_service/sweeper.py``); ``sohoa serve`` turns it on.
    """
    hub = ServiceHub(get_settings() if services is None else services.settings, services)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if preload:
            if hub.extract_pool is not None:
                hub.extract_pool.start()
            else:
                from .deps import engine_dep

                engine_dep()
        sweeper = None
        if sweep and hub.settings.sweep_interval > 0:
            from ..sweeper import SweeperThread

            sweeper = SweeperThread(lambda: hub.index, app.state.submit, hub.settings,
                                    submit_batch=app.state.submit_batch)
            sweeper.start()
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.stop()
            hub.close()

    app = FastAPI(title="sohoa", version=__version__, lifespan=lifespan, description=DESCRIPTION,
                  dependencies=[Depends(uploads.one_part_each)])
    app.state.hub = hub
    app.state.submit = submit or handover.submit
    # Batch documents wait behind counter work on the workers' batch queue; an app given its own
    # ``submit`` (tests) queues them with it too (tests may set ``app.state.submit_batch``).
    app.state.submit_batch = handover.submit_batch if submit is None else submit
    app.state.metrics = ApiMetrics()
    app.state.caller_checks = [limits.api_key_check(hub), limits.session_check(hub)]
    app.add_middleware(limits.BodyLimits, settings=hub.settings,
                       caller_checks=app.state.caller_checks)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    errors.install(app)
    for module in (health, metrics, extract, dossiers, documents, records, verify, session,
                   keys, audit):
        app.include_router(module.router)
    from .routers import public  # GET /v/{record_id}: the page a record's QR code opens, no key

    app.include_router(public.router)
    from fastapi.staticfiles import StaticFiles

    from ..web import STATIC_DIR
    from .routers import desk  # /desk/: the counter clerk's pages (issue 13)

    app.include_router(desk.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")  # no CDN
    from .routers import procedures, receipts, status_page

    app.include_router(procedures.router)
    app.include_router(receipts.router)
    app.include_router(status_page.router)  # GET /tra-cuu/...: the receipt's QR code, no key
    from .routers import batches, reports  # postal operators' batches and page metering

    app.include_router(batches.router)
    app.include_router(reports.router)
    return app
