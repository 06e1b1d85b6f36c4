"""``POST /v1/extract``: one document in, its form type and fields out, synchronously."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from ...errors import InputError
from ...pipeline.process import extract_document
from ..deps import EngineDep, SettingsDep
from ..schemas import ERROR_RESPONSES, ExtractResponse

router = APIRouter(prefix="/v1", tags=["extract"])

CHUNK = 1 << 20


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refusing (413) as soon as it passes the limit rather than after."""
    parts, size = [], 0
    while chunk := upload.file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise InputError(
                f"The file is larger than the {limit // (1 << 20)} MiB limit.",
                f"Tệp lớn hơn giới hạn {limit // (1 << 20)} MiB.", code="file_too_large")
        parts.append(chunk)
    return b"".join(parts)


@router.post("/extract", response_model=ExtractResponse, responses=ERROR_RESPONSES,
             summary="Classify one scanned document and extract its fields")
def extract(file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG; one document")],
            engine: EngineDep, settings: SettingsDep) -> dict:
    """Synchronous: intake, clean-up, OCR and extraction run while the caller waits (about a
    second per page on a CPU worker). Unknown documents answer ``form_type: "unknown"`` with
    their text; a file that is not a readable scan answers 4xx."""
    data = _read_limited(file, settings.max_upload_bytes)
    return extract_document(data, file.filename or "upload", engine, settings).export()
