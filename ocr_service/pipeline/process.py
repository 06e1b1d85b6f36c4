"""The one composition of pipeline stages, shared by the CLI, the API and the workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..config import Settings, get_settings
from ..domain import Document, Extraction, PageImage, PageText
from .clean import clean_pages
from .intake import load_document
from .ocr import OcrEngine

if TYPE_CHECKING:  # PDF and signing libraries load only when a record is made
    from .record import ERecord, RecordInfo
    from .sign import RecordSigning


def read_clean_pages(pages: Sequence[PageImage], engine: OcrEngine) -> tuple[list[PageImage], list[PageText]]:
    """Clean the pages (upright, deskewed, cropped, quality-checked) and recognise their text;
    the text's boxes are in the cleaned pages' coordinates, so both are returned."""
    cleaned = clean_pages(list(pages))
    return cleaned, engine.recognize(cleaned)


def read_pages(pages: Sequence[PageImage], engine: OcrEngine) -> list[PageText]:
    """The recognised text of the pages, after clean-up."""
    return read_clean_pages(pages, engine)[1]


def read_document(
    data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None
) -> tuple[Document, list[PageText]]:
    """Intake, clean-up and OCR of one uploaded file."""
    document = load_document(data, filename, settings or get_settings())
    return document, read_pages(document.pages, engine)


def _read_and_extract(
    document: Document, engine: OcrEngine, settings: Settings
) -> tuple[list[PageImage], list[PageText], Extraction]:
    """Clean-up, OCR and field extraction of an accepted document."""
    from .extract import extract

    pages, texts = read_clean_pages(document.pages, engine)
    return pages, texts, extract(texts, [page.image for page in pages], settings)


def extract_document(
    data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None
) -> Extraction:
    """Intake, clean-up, OCR, classification and field extraction of one uploaded file."""
    settings = settings or get_settings()
    return _read_and_extract(load_document(data, filename, settings), engine, settings)[2]


def make_record(
    data: bytes,
    filename: str,
    info: RecordInfo,
    engine: OcrEngine,
    signing: RecordSigning,
    settings: Settings | None = None,
) -> ERecord:
    """The whole pipeline for one document: intake, clean-up, OCR, field extraction, PDF/A,
    signatures, manifest."""
    from .record import build_record

    settings = settings or get_settings()
    document = load_document(data, filename, settings)
    pages, texts, extraction = _read_and_extract(document, engine, settings)
    models = dict(getattr(engine, "models", {}))
    return build_record(document, pages, texts, info, signing, settings, models=models,
                        extraction=extraction)
