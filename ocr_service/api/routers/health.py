"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: it can do its work).

Both are open (no API key): load balancers and orchestrators call them. Readiness checks each part
the service needs and names the one that failed, with the class of error only: a connection
error's text can carry host names and user names, which an open endpoint must not show.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ... import __version__
from ...errors import SohoaError
from ...weights import read_manifest
from ..deps import HubDep, ServiceHub
from ..errors import error_body
from ..schemas import ErrorResponse, ReadyResponse

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])
BROKER_TIMEOUT_S = 2.0


@router.get("/healthz", summary="The API process is up")
def healthz() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", response_model=ReadyResponse, summary="Database, storage, broker and "
            "model files are all usable", responses={503: {
                "model": ErrorResponse, "description": "A part is not ready: see checks"}})
def readyz(hub: HubDep) -> JSONResponse:
    checks = {name: _run(name, check, hub) for name, check in CHECKS.items()}
    failed = [name for name, result in checks.items() if result.startswith("failed")]
    if not failed:
        return JSONResponse({"status": "ready", "checks": checks})
    names = ", ".join(failed)
    return JSONResponse({**error_body("not_ready", f"Not ready: {names}.",
                                      f"Chưa sẵn sàng: {names}."),
                         "status": "not_ready", "checks": checks}, 503)


def _run(name: str, check: Callable[[ServiceHub], str], hub: ServiceHub) -> str:
    try:
        return check(hub)
    except SohoaError as exc:
        log.warning("readiness: %s failed: %s", name, exc.message)
        return f"failed: {exc.code}"
    except Exception as exc:  # noqa: BLE001 - any failure is "not ready", never a 500
        log.warning("readiness: %s failed: %s", name, type(exc).__name__)
        return f"failed: {type(exc).__name__}"


def _database(hub: ServiceHub) -> str:
    with hub.index.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


def _storage(hub: ServiceHub) -> str:
    hub.store.ping()
    return "ok"


def _broker(hub: ServiceHub) -> str:
    url = hub.settings.redis_url
    if not url:
        return "not configured"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT_S,
                                  socket_timeout=BROKER_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _models(hub: ServiceHub) -> str:
    """Presence only (hashing hundreds of MB per probe would make the probe the load); the
    hashes are checked when an engine loads them: in ``/v1/extract``'s reading processes and in
    the workers, not in this process."""
    settings = hub.settings
    if settings.ocr_engine == "tesseract":
        return "ok" if shutil.which("tesseract") else "failed: tesseract not installed"
    missing = [m.file for m in read_manifest().values()
               if not (settings.models_dir / m.file).is_file()]
    return f"failed: missing {', '.join(missing)}" if missing else "ok"


CHECKS: dict[str, Callable[[ServiceHub], str]] = {
    "database": _database, "storage": _storage, "broker": _broker, "models": _models,
}
