"""Shared dependencies of the routes: settings and the OCR engine, built once per process."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..config import Settings, get_settings
from ..pipeline.ocr import OcrEngine, get_engine


def settings_dep() -> Settings:
    return get_settings()


def engine_dep() -> OcrEngine:
    """The process-wide engine: models load on the first request (or at start-up, see app)."""
    return get_engine()


SettingsDep = Annotated[Settings, Depends(settings_dep)]
EngineDep = Annotated[OcrEngine, Depends(engine_dep)]
