"""The one composition of pipeline stages, shared by the CLI, the API and the workers.

Two steps, with a person possibly in between:

* ``read``: intake, clean-up, OCR, classification and field extraction of one upload → a
  ``Reading``. Nothing is signed; the API's ``/v1/extract`` stops here.
* ``make_record``: a ``Reading`` (and, when a person reviewed it, their ``Review``: the approved
  fields and who approved them) → a signed PDF/A and its manifest (``ERecord``).

The rules that decide what a record says live here and nowhere else: whose record it is
(``owner_id_number``) and what it is called (``record_info``). The workers run the same two steps
with their results kept in S3 between them, so that a person can review the draft in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings, get_settings
from ..domain import Extraction, PageImage, PageText, Reading, Upload
from .clean import clean_pages
from .intake import load_document
from .pages import PageSpool, images
from .pages import chunks as page_chunks
from .ocr import OcrEngine
from .orientation import second_look
from .records_model import UNKNOWN, ERecord, RecordInfo

if TYPE_CHECKING:  # PDF and signing libraries load only when a record is made
    from .review import Review
    from .sign import RecordSigning

PageReader = Callable[[list[PageImage]], tuple[list[PageImage], list[PageText]]]
"""Clean-up and OCR of some pages of a document (``settings.ocr_page_chunk`` at a time) → the
cleaned pages and their texts (the workers' GPU batcher is one; ``read_clean_pages`` with an
engine the other)."""
OWNER_FIELDS = ("id_number", "requester_id_number")
"""Extracted fields naming the person a document is about, in order of preference."""


def read_clean_pages(pages: list[PageImage], engine: OcrEngine) -> tuple[list[PageImage], list[PageText]]:
    """Clean the pages (upright, deskewed, cropped, quality-checked) and recognise their text,
    reading a page turned over when its reading says it is upside down (``second_look``); the
    text's boxes are in the cleaned pages' coordinates, so both are returned."""
    cleaned = clean_pages(pages)
    return second_look(cleaned, engine.recognize(cleaned), engine.recognize)


def read_pages(pages: Sequence[PageImage], engine: OcrEngine, chunk: int = 0) -> list[PageText]:
    """The recognised text of the pages, after clean-up, ``chunk`` pages at a time (0: all in
    one engine call); the cleaned pages are dropped as soon as they are read."""
    texts: list[PageText] = []
    for some in page_chunks(pages, chunk or len(pages)):
        texts += read_clean_pages(some, engine)[1]
    return texts


def read_document(
    data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None
) -> tuple[Upload, list[PageText]]:
    """Intake, clean-up and OCR of one uploaded file (no extraction: ``sohoa ocr``)."""
    settings = settings or get_settings()
    document = load_document(data, filename, settings)
    return document, read_pages(document.pages, engine, settings.ocr_page_chunk)


def extract_reading(pages: Sequence[PageImage], texts: Sequence[PageText],
                    settings: Settings | None = None) -> Extraction:
    """Classification and field extraction of cleaned pages and their texts."""
    from .extract import extract

    return extract(texts, images(pages), settings or get_settings())


def read(data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None, *,
         pages_reader: PageReader | None = None) -> Reading:
    """Intake, clean-up, OCR, classification and field extraction of one uploaded file.

    Pages are decoded, cleaned and read ``settings.ocr_page_chunk`` at a time and spooled to
    disk as they are read (``pages.PageSpool``): the reading's ``packed`` pages are that spool,
    ready to be kept as the OCR result, and the memory held is a few pages' whatever the
    document's length. ``pages_reader`` replaces clean-up and OCR of the engine alone (a
    worker's batcher)."""
    settings = settings or get_settings()
    document = load_document(data, filename, settings)
    reader = pages_reader or (lambda pages: read_clean_pages(pages, engine))
    spool, texts = PageSpool(), []
    try:
        for some in page_chunks(document.pages, settings.ocr_page_chunk):
            cleaned, read_texts = reader(some)
            for page in cleaned:
                spool.add(page)
            texts += read_texts
        packed = spool.finish(texts, dict(engine.models))
    except BaseException:
        spool.close()
        raise
    return Reading(document, packed.pages, packed.texts,
                   extract_reading(packed.pages, packed.texts, settings), packed.models,
                   packed=packed)


def extract_document(
    data: bytes, filename: str, engine: OcrEngine, settings: Settings | None = None
) -> Extraction:
    """The form type and fields of one uploaded file (``sohoa extract``, ``/v1/extract``)."""
    return read(data, filename, engine, settings).extraction


def owner_id_number(extraction: Extraction, applicant_id_number: str, *,
                    approved: bool = False) -> str:
    """Whose record this is: the ID number on the document when it passed every check (or a
    person approved it), else the dossier's applicant: a misread number would file the record
    under a stranger."""
    for name in OWNER_FIELDS:
        field = extraction.fields.get(name)
        if field is not None and field.value and (approved or not field.review):
            return field.value
    return applicant_id_number


def record_info(dossier_code: str, *, procedure_code: str | None = None,
                applicant_id_number: str | None = None, component: str | None = None,
                filename: str = "") -> RecordInfo:
    """What a record is called and filed under before its fields are known: the dossier's codes,
    its applicant, and as title the component the file was submitted as, else the file's name."""
    return RecordInfo(dossier_code=dossier_code, procedure_code=procedure_code or UNKNOWN,
                      owner_id_number=applicant_id_number or UNKNOWN,
                      title=component or Path(filename).stem or filename or RecordInfo.title)


def make_record(reading: Reading, review: Review | None, info: RecordInfo,
                signing: RecordSigning, settings: Settings | None = None, *,
                record_id: str | None = None, source: bytes | None = None) -> ERecord:
    """The signed PDF/A and manifest of a read document: its fields as a person approved them
    (``review``), or as read when no review was asked for. ``info.owner_id_number`` is the
    applicant's; the record is filed under the document's own ID number when that can be
    trusted (``owner_id_number``). ``record_id`` names the record the same way on every run of
    a retried task; ``source`` (the upload's bytes) lets JPEG pages that clean-up left unchanged
    be embedded as uploaded, not encoded again."""
    from .record import build_record

    extraction = review.extraction if review is not None else reading.extraction
    owner = owner_id_number(extraction, info.owner_id_number, approved=review is not None)
    return build_record(reading.document, reading.pages, reading.texts,
                        replace(info, owner_id_number=owner), signing,
                        settings or get_settings(), models=reading.models,
                        extraction=extraction, record_id=record_id,
                        review=review.approval if review is not None else None,
                        source=source)
