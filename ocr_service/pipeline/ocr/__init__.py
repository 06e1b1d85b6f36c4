"""OCR engines behind one protocol (see ``base.OcrEngine``) and the factory that builds them."""

from __future__ import annotations

from functools import lru_cache

from ...config import Settings, get_settings
from .base import OcrEngine

ENGINES = ("ppocr", "tesseract")


def build_engine(name: str, settings: Settings | None = None) -> OcrEngine:
    """A new engine by name; loads its models (slow; use ``get_engine`` to share one)."""
    settings = settings or get_settings()
    if name == "ppocr":
        from .ppocr import PpocrEngine

        return PpocrEngine(settings)
    if name == "tesseract":
        from .tesseract import TesseractEngine

        return TesseractEngine(settings)
    raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")


def engine_from_spec(spec: str, settings: Settings | None = None) -> OcrEngine:
    """An engine from ``ENGINE[:setting=value/...]``, the settings being ``SOHOA_OCR_*`` in
    lower case without the prefix (``ppocr:recognizer=fast/threads=1``): how benchmarks name
    the variants they compare."""
    name, _, options = spec.partition(":")
    overrides = {"ocr_" + key: value for key, _, value in
                 (option.partition("=") for option in options.split("/") if option)}
    settings = settings or get_settings()
    return build_engine(name, settings.model_validate({**settings.model_dump(), **overrides}))


@lru_cache(maxsize=None)
def get_engine(name: str | None = None) -> OcrEngine:
    """The process-wide engine for ``name`` (default: ``SOHOA_OCR_ENGINE``), built once."""
    return build_engine(name or get_settings().ocr_engine)


__all__ = ["ENGINES", "OcrEngine", "build_engine", "engine_from_spec", "get_engine"]
