"""Pages held on disk and decoded one at a time: how a document of hundreds of pages goes through
clean-up, OCR, extraction and PDF building in bounded memory.

Why it is written the way it is:

* A 300 dpi A4 page is 8.7 megapixels: 500 of them decoded at once would take 4 to 13 GB. So
  intake hands out pages lazily (``LazyPages``: each access decodes one page from the upload's
  bytes), ``process.read`` cleans and reads them a few at a time, and the cleaned pages go to
  disk as soon as they are read (``PageSpool``). A stage that needs them again (extraction, the
  PDF) decodes them one at a time from there. The pixels a worker holds at once are a few
  pages', whatever the document's length; what grows with the length is only disk, the texts,
  and the PDF being built.
* The spool *is* the OCR result that the workers keep in S3 between stages (``pack``): a ZIP of
  one PNG per cleaned page and ``pages.json`` (page metadata, texts, models), written once,
  uploaded and downloaded as a file, never as one ``bytes``. The review page reads one page of it
  (``page_png``) without decoding the others.
* Sequences here decode on every access and cache nothing: iterate once where you can, and
  never ``list()`` or ``tuple()`` them (that would decode every page into memory at once).
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, overload

import cv2
import numpy as np

from ..domain import OcrLine, PageImage, PageText, QualityIssue, QualityReport

PAGES_JSON = "pages.json"
PNG_COMPRESSION = 1
"""zlib level 1: a cleaned 300 dpi grey page encodes in ~60 ms to about a third of its pixels;
higher levels save little on scans and cost several times the time."""


def page_name(number: int) -> str:
    return f"page-{number:04d}.png"


@dataclass(frozen=True)
class PageFacts:
    """What is known of a page without its pixels: enough to lay a record out and describe it."""

    number: int
    width: int
    height: int
    dpi: float
    skew: float
    color: bool
    quality: QualityReport | None

    @classmethod
    def of(cls, page: PageImage) -> PageFacts:
        return cls(page.number, page.width, page.height, page.dpi, page.skew, page.color,
                   page.quality)


class LazyPages(Sequence[PageImage]):
    """``count`` pages, each decoded by ``decode(index)`` when it is accessed (nothing cached);
    ``facts``, when given, describe them without decoding (``page_facts``).

    ``decode`` is called under a lock: the decoders behind it (pdfium, Pillow) are not safe to
    use from two threads at once."""

    def __init__(self, count: int, decode: Callable[[int], PageImage],
                 facts: Sequence[PageFacts] | None = None) -> None:
        self._count, self._decode = count, decode
        self.facts = tuple(facts) if facts is not None else None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> PageImage: ...
    @overload
    def __getitem__(self, index: slice) -> list[PageImage]: ...
    def __getitem__(self, index: int | slice) -> PageImage | list[PageImage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        with self._lock:
            return self._decode(index % self._count)

    def __iter__(self) -> Iterator[PageImage]:
        return (self[i] for i in range(self._count))


def page_facts(pages: Sequence[PageImage]) -> list[PageFacts]:
    """Each page's facts: read from the pack when the pages come from one, else from the pages
    (one decode each)."""
    if isinstance(pages, LazyPages) and pages.facts is not None:
        return list(pages.facts)
    return [PageFacts.of(page) for page in pages]


def chunks(pages: Sequence[PageImage], size: int) -> Iterator[list[PageImage]]:
    """The pages, ``size`` at a time, each chunk decoded when it is reached."""
    size = max(1, size)
    for start in range(0, len(pages), size):
        yield [pages[i] for i in range(start, min(start + size, len(pages)))]


def images(pages: Sequence[PageImage]) -> Sequence[np.ndarray]:
    """The pages' pixel arrays, decoded on access like the pages themselves."""
    return _Images(pages)


class _Images(Sequence[np.ndarray]):
    def __init__(self, pages: Sequence[PageImage]) -> None:
        self._pages = pages

    def __len__(self) -> int:
        return len(self._pages)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [page.image for page in self._pages[index]]
        return self._pages[index].image

    def __iter__(self) -> Iterator[np.ndarray]:
        return (page.image for page in self._pages)


# --- the spool: cleaned pages on disk, the OCR result's format ----------------------------------


class PageSpool:
    """Cleaned pages written as PNG into a ZIP on a temporary file as they come (``add``);
    ``finish`` adds the texts and models and returns the whole as a ``PackedReading``."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="sohoa-pages-")
        self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_STORED, allowZip64=True)
        self._meta: list[dict[str, Any]] = []

    def add(self, page: PageImage) -> None:
        ok, png = cv2.imencode(".png", page.image, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
        if not ok:
            raise ValueError(f"page {page.number}: cannot encode as PNG")
        self._zip.writestr(page_name(page.number), png.tobytes())
        self._meta.append(_page_meta(page))

    def finish(self, texts: Sequence[PageText], models: dict[str, str]) -> PackedReading:
        meta = {"pages": self._meta, "texts": [_text_json(t) for t in texts], "models": models}
        self._zip.writestr(PAGES_JSON, json.dumps(meta, ensure_ascii=False))
        self._zip.close()
        self._file.seek(0)
        return PackedReading(self._file)

    def close(self) -> None:
        """Drop the spool unfinished (the reading failed; the disk may be full, so closing
        the ZIP may fail too: the file is closed, and its space freed, whatever happens)."""
        try:
            self._zip.close()
        finally:
            self._file.close()


class PackedReading:
    """A packed OCR result (a spool, or one downloaded from S3): its pages decoded on access,
    its texts and models read at once (they are small). Holds an open file: ``close`` it."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self._zip = zipfile.ZipFile(file)
        meta = json.loads(self._zip.read(PAGES_JSON))
        self.texts: tuple[PageText, ...] = tuple(_text(t) for t in meta["texts"])
        self.models: dict[str, str] = dict(meta["models"])
        self.pages: Sequence[PageImage] = LazyPages(
            len(meta["pages"]), lambda i, pages=meta["pages"]: self._page(pages[i]),
            [_facts(page, text) for page, text in zip(meta["pages"], self.texts)])

    @classmethod
    def from_bytes(cls, data: bytes) -> PackedReading:
        return cls(io.BytesIO(data))

    def _page(self, meta: dict[str, Any]) -> PageImage:
        png = np.frombuffer(self._zip.read(page_name(meta["number"])), np.uint8)
        return _page(meta, cv2.imdecode(png, cv2.IMREAD_UNCHANGED))

    def size(self) -> int:
        return self.file.seek(0, io.SEEK_END)

    def getvalue(self) -> bytes:
        """The packed bytes (small results and tests only)."""
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self._zip.close()
        self.file.close()


def pack(pages: Sequence[PageImage], texts: Sequence[PageText],
         models: dict[str, str]) -> PackedReading:
    """Pages already in memory, packed as ``process.read`` packs what it reads."""
    spool = PageSpool()
    for page in pages:
        spool.add(page)
    return spool.finish(texts, models)


def page_png(file: IO[bytes], number: int) -> bytes | None:
    """One cleaned page of a packed OCR result, as the PNG it is kept as (None: no such page);
    the review page shows it without decoding the others."""
    with zipfile.ZipFile(file) as archive:
        try:
            return archive.read(page_name(number))
        except KeyError:
            return None


def _page_meta(page: PageImage) -> dict[str, Any]:
    quality = page.quality
    return {
        "number": page.number, "dpi": page.dpi, "dpi_source": page.dpi_source,
        "color": page.color, "rotation": page.rotation, "skew": page.skew,
        "quality": None if quality is None else {
            "dpi": quality.dpi, "dpi_source": quality.dpi_source, "color": quality.color,
            "blur": quality.blur, "contrast": quality.contrast,
            "issues": [[i.code, i.message, i.message_vi] for i in quality.issues],
        },
    }


def _facts(meta: dict[str, Any], text: PageText) -> PageFacts:
    """A packed page's facts; its size is its text's (the OCR ran on exactly these pixels)."""
    return PageFacts(meta["number"], text.width, text.height, meta["dpi"], meta["skew"],
                     meta["color"], _quality(meta["quality"]))


def _text_json(text: PageText) -> dict[str, Any]:
    return {"page": text.page, "width": text.width, "height": text.height,
            "lines": [[line.text, float(line.confidence),
                       [[float(x), float(y)] for x, y in line.box]] for line in text.lines]}


def _quality(q: dict[str, Any] | None) -> QualityReport | None:
    return None if q is None else QualityReport(
        dpi=q["dpi"], dpi_source=q["dpi_source"], color=q["color"], blur=q["blur"],
        contrast=q["contrast"], issues=tuple(QualityIssue(*issue) for issue in q["issues"]))


def _page(meta: dict[str, Any], image: np.ndarray) -> PageImage:
    return PageImage(number=meta["number"], image=image, dpi=meta["dpi"],
                     dpi_source=meta["dpi_source"], color=meta["color"],
                     rotation=meta["rotation"], skew=meta["skew"],
                     quality=_quality(meta["quality"]))


def _text(data: dict[str, Any]) -> PageText:
    lines = tuple(OcrLine(text, confidence, tuple((x, y) for x, y in box))  # type: ignore[arg-type]
                  for text, confidence, box in data["lines"])
    return PageText(page=data["page"], width=data["width"], height=data["height"], lines=lines)
