"""``POST /v1/extract``: one document in, its form type and fields out, synchronously.

Its answers are not stored for ``Idempotency-Key`` replays: the answer is a function of the file
alone (a retry computes the same one), and a stored copy would keep the citizen's ID number and
name in the index, in clear, with nothing to remove it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ...pipeline.process import extract_document
from ..auth import AnyKey
from ..deps import EngineDep, SettingsDep
from ..schemas import ExtractResponse, error_responses
from ..uploads import read_limited

router = APIRouter(prefix="/v1", tags=["extract"])


@router.post("/extract", response_model=ExtractResponse,
             responses=error_responses(400, 401, 413, 415, 422),
             summary="Classify one scanned document and extract its fields")
def extract(_: AnyKey,
            file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG; one document")],
            settings: SettingsDep,
            engine: EngineDep) -> JSONResponse:
    """Synchronous: intake, clean-up, OCR and extraction run while the caller waits (about a
    second per page on a CPU worker). Unknown documents answer ``form_type: "unknown"`` with
    their text; a file that is not a readable scan answers 4xx. Any key's role may call it.
    (The key is checked before the engine is asked for, so a refused call loads no model.)"""
    data = read_limited(file, settings.max_upload_bytes)
    result = extract_document(data, file.filename or "upload", engine, settings).export()
    return JSONResponse(jsonable_encoder(result))
