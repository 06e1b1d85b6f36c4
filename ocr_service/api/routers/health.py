"""Liveness: the process answers. (Readiness of broker, S3 and DB comes with the service.)"""

from __future__ import annotations

from fastapi import APIRouter

from ... import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is up")
def healthz() -> dict:
    return {"status": "ok", "version": __version__}
