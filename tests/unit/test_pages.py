"""Pages decoded one at a time (``pipeline/pages.py``): intake decodes a page when it is read,
``process.read`` cleans and reads a few pages at a time and spools them, and a record is laid out
from the spool's facts. Memory itself is measured in ``bench/batch.py`` (a 500-page scan)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from ocr_service.config import Settings
from ocr_service.domain import PageImage, PageText
from ocr_service.pipeline import intake
from ocr_service.pipeline.intake import load_document
from ocr_service.pipeline.pages import LazyPages, PackedReading, page_facts
from ocr_service.pipeline.process import read


def tiff_of(count: int) -> bytes:
    frames = [Image.fromarray(np.full((300, 200), 40 * i, np.uint8)) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    return buffer.getvalue()


def test_intake_decodes_a_page_only_when_it_is_read(monkeypatch) -> None:
    decoded: list[int] = []
    real = intake._to_bgr_or_grey
    monkeypatch.setattr(intake, "_to_bgr_or_grey", lambda image: decoded.append(1) or real(image))
    document = load_document(tiff_of(5), "five.tif", Settings())
    assert len(document.pages) == 5 and decoded == []  # planned from headers only
    third = document.pages[2]
    assert (third.number, int(third.image[0, 0])) == (3, 80) and decoded == [1]
    assert [page.number for page in document.pages[3:]] == [4, 5] and len(decoded) == 3


class _CountingEngine:
    """An engine that reads nothing but remembers how many pages each call held at once."""

    name = "counting"
    models: dict[str, str] = {"fake": "0"}

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        self.calls.append([page.number for page in pages])
        return [PageText(page.number, page.width, page.height, ()) for page in pages]


def test_read_holds_a_chunk_of_pages_at_a_time_and_spools_them() -> None:
    engine = _CountingEngine()
    reading = read(tiff_of(5), "five.tif", engine, Settings(ocr_page_chunk=2))  # type: ignore[arg-type]
    assert engine.calls == [[1, 2], [3, 4], [5]]
    assert isinstance(reading.pages, LazyPages) and reading.packed is not None
    # The spool is the packed OCR result: pages come back from it, facts without decoding.
    assert [fact.number for fact in page_facts(reading.pages)] == [1, 2, 3, 4, 5]
    again = PackedReading.from_bytes(reading.packed.getvalue())
    assert [t.page for t in again.texts] == [1, 2, 3, 4, 5]
    for kept, cleaned in zip(again.pages, reading.pages, strict=True):
        assert np.array_equal(kept.image, cleaned.image)
    reading.packed.close()
