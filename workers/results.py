"""Intermediate results passed between worker stages through object storage, as ZIP archives.

Why this exists: the three stages run on different queues, possibly on different machines, and
a task may run again (its worker died, the broker came back). So each stage writes what it made
to S3 and the next stage reads it, and a stage that finds its result already there does not
compute it again: the OCR of an upload is keyed by the upload's sha256 and the engine that read
it, a record by its (deterministic) record id. ZIP because one PUT is atomic: a reader sees the
whole result or none of it. The OCR result's format is the pipeline's page spool
(``ocr_service.pipeline.pages``: PNG pages, lossless, so the record stage embeds exactly the
pixels the OCR boxes refer to; numbers at full precision), streamed to and from S3 as a file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from ocr_service import __version__
from ocr_service.config import Settings
from ocr_service.pipeline.ocr import OcrEngine
from ocr_service.pipeline.records_model import Manifest

_RECORD_PDF = "record.pdf"
_RECORD_MANIFEST = "manifest.json"


SPEED_ONLY = frozenset({"ocr_threads", "ocr_page_workers", "ocr_page_chunk", "ocr_batch_pages",
                        "ocr_batch_rows", "ocr_batch_documents", "ocr_batch_wait_ms"})
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
