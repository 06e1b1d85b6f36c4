"""The FastAPI application: ``create_app()`` wires routers, error handlers and start-up."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from . import errors
from .routers import extract, health


def create_app(*, preload: bool = False) -> FastAPI:
    """The API app; ``preload`` loads the OCR models at start-up instead of on first use, so a
    server answers its first request as fast as the others."""

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if preload:
            from .deps import engine_dep

            engine_dep()
        yield

    app = FastAPI(title="sohoa", version=__version__, lifespan=lifespan,
                  description="Số hóa hồ sơ: scanned Vietnamese dossiers to fields and e-records.")
    errors.install(app)
    app.include_router(health.router)
    app.include_router(extract.router)
    return app
