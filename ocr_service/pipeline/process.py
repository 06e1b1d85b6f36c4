"""The one composition of pipeline stages, shared by the CLI, the API and the workers."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Settings, get_settings
from ..domain import Document, PageImage, PageText
from .clean import clean_pages
from .intake import load_document
from .ocr import OcrEngine


def read_pages(pages: Sequence[PageImage], engine: OcrEngine) -> list[PageText]:
    """Clean the pages (upright, deskewed, cropped, quality-checked) and recognise their text."""
    return engine.recognize(clean_pages(list(pages)))


def read_document(
    data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None
) -> tuple[Document, list[PageText]]:
    """Intake, clean-up and OCR of one uploaded file."""
    document = load_document(data, filename, settings or get_settings())
    return document, read_pages(document.pages, engine)
