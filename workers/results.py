"""Intermediate results passed between worker stages through object storage, as ZIP archives.

Why this exists: the three stages run on different queues, possibly on different machines, and
a task may run again (its worker died, the broker came back). So each stage writes what it made
to S3 and the next stage reads it, and a stage that finds its result already there does not
compute it again: the OCR of an upload is keyed by the upload's sha256 and the engine that read
it, a record by its (deterministic) record id. ZIP because one PUT is atomic: a reader sees the
whole result or none of it. Page images are PNG (lossless), so the record stage embeds exactly
the pixels the OCR boxes refer to; numbers keep full precision (no rounding as in the API's JSON).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ocr_service import __version__
from ocr_service.config import Settings
from ocr_service.domain import OcrLine, PageImage, PageText, QualityIssue, QualityReport
from ocr_service.pipeline.ocr import OcrEngine
from ocr_service.pipeline.records_model import Manifest

_PAGES_JSON = "pages.json"
_RECORD_PDF = "record.pdf"
_RECORD_MANIFEST = "manifest.json"


SPEED_ONLY = frozenset({"ocr_threads", "ocr_page_workers", "ocr_batch_pages", "ocr_batch_rows",
                        "ocr_batch_documents", "ocr_batch_wait_ms"})
"""``SOHOA_OCR_*`` settings that change how fast pages are read, never their text (tested: same
text page by page, in batches and across documents), so workers differing only in them share
cached results."""


def engine_fingerprint(engine: OcrEngine, settings: Settings) -> str:
    """What decides an OCR result besides the upload: the software version, the engine, its
    model files and the ``SOHOA_OCR_*`` settings that can change text. A change of any of them
    reads pages anew."""
    knobs = {k: v for k, v in settings.model_dump(mode="json").items()
             if k.startswith("ocr_") and k not in SPEED_ONLY}
    identity = {"sohoa": __version__, "engine": engine.name, "models": dict(engine.models),
                "settings": knobs}
    encoded = json.dumps(identity, sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:24]


def ocr_key(sha256: str, fingerprint: str) -> str:
    """Where the OCR result of the upload with this hash, read by this engine, is kept."""
    return f"work/ocr/{sha256}/{fingerprint}.zip"


def record_work_key(record_id: str) -> str:
    """Where a signed record waits for the archive stage."""
    return f"work/records/{record_id}.zip"


# --- OCR results: cleaned pages and their text ------------------------------------------------


@dataclass(frozen=True)
class OcrResult:
    pages: list[PageImage]
    texts: list[PageText]
    models: dict[str, str]
    """sha256 of the model files that read the pages, by name (for the record's manifest)."""


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


def _text_json(text: PageText) -> dict[str, Any]:
    return {"page": text.page, "width": text.width, "height": text.height,
            "lines": [[line.text, float(line.confidence),
                       [[float(x), float(y)] for x, y in line.box]] for line in text.lines]}


def pack_ocr(pages: list[PageImage], texts: list[PageText], models: dict[str, str]) -> bytes:
    meta = {"pages": [_page_meta(p) for p in pages], "texts": [_text_json(t) for t in texts],
            "models": models}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for page in pages:
            ok, png = cv2.imencode(".png", page.image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            if not ok:
                raise ValueError(f"page {page.number}: cannot encode as PNG")
            archive.writestr(f"page-{page.number:04d}.png", png.tobytes())
        archive.writestr(_PAGES_JSON, json.dumps(meta, ensure_ascii=False))
    return buffer.getvalue()


def _page(meta: dict[str, Any], image: np.ndarray) -> PageImage:
    q = meta["quality"]
    quality = None if q is None else QualityReport(
        dpi=q["dpi"], dpi_source=q["dpi_source"], color=q["color"], blur=q["blur"],
        contrast=q["contrast"], issues=tuple(QualityIssue(*issue) for issue in q["issues"]))
    return PageImage(number=meta["number"], image=image, dpi=meta["dpi"],
                     dpi_source=meta["dpi_source"], color=meta["color"],
                     rotation=meta["rotation"], skew=meta["skew"], quality=quality)


def _text(data: dict[str, Any]) -> PageText:
    lines = tuple(OcrLine(text, confidence, tuple((x, y) for x, y in box))  # type: ignore[arg-type]
                  for text, confidence, box in data["lines"])
    return PageText(page=data["page"], width=data["width"], height=data["height"], lines=lines)


def unpack_ocr(data: bytes) -> OcrResult:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        meta = json.loads(archive.read(_PAGES_JSON))
        pages = []
        for page in meta["pages"]:
            png = np.frombuffer(archive.read(f"page-{page['number']:04d}.png"), np.uint8)
            pages.append(_page(page, cv2.imdecode(png, cv2.IMREAD_UNCHANGED)))
    return OcrResult(pages, [_text(t) for t in meta["texts"]], dict(meta["models"]))


def page_png(data: bytes, number: int) -> bytes | None:
    """One cleaned page of a packed OCR result, as the PNG it is kept as (None: no such page);
    the review page shows it without unpacking the others."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            return archive.read(f"page-{number:04d}.png")
        except KeyError:
            return None


# --- signed records waiting for the archive ---------------------------------------------------


@dataclass(frozen=True)
class SignedRecord:
    pdf: bytes
    manifest: bytes
    """The manifest exactly as it is archived (UTF-8 JSON): its hash goes into the index."""

    def read_manifest(self) -> Manifest:
        """The manifest's typed fields (owner, document type ...) for the stages that index it."""
        return Manifest.from_json(self.manifest)


def pack_record(record: SignedRecord) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(_RECORD_PDF, record.pdf)
        archive.writestr(_RECORD_MANIFEST, record.manifest)
    return buffer.getvalue()


def unpack_record(data: bytes) -> SignedRecord:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return SignedRecord(archive.read(_RECORD_PDF), archive.read(_RECORD_MANIFEST))


def manifest_bytes(manifest: Manifest) -> bytes:
    """How a manifest is written to the archive (as ``sohoa process`` writes it to disk)."""
    return manifest.to_json()
