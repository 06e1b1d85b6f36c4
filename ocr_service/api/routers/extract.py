"""``POST /v1/extract``: one document in, its form type and fields out, synchronously.

The document is read in a child process (``pipeline.isolated``, held by the app's ``ServiceHub``)
under a memory and a time limit, so that one document cannot take the API down; the route only
awaits its answer. With ``extract_processes`` 0 (in-process tests only) it is read here instead.

Its answers are not stored for ``Idempotency-Key`` replays: the answer is a function of the file
alone (a retry computes the same one), and a stored copy would keep the citizen's ID number and
name in the index, in clear, with nothing to remove it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...config import Settings
from ...pipeline.process import extract_document
from ..auth import AnyKey
from ..deps import HubDep, engine_dep
from ..schemas import ErrorResponse, ExtractResponse, error_responses
from ..uploads import read_limited

router = APIRouter(prefix="/v1", tags=["extract"])


@router.post("/extract", response_model=ExtractResponse,
             responses={**error_responses(400, 401, 413, 415, 422), 503: {
                 "model": ErrorResponse, "description": "Every reading process is busy and "
                 "enough requests wait already (send again after Retry-After), or none could "
                 "start"}},
             summary="Classify one scanned document and extract its fields")
async def extract(_: AnyKey,
                  file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG; one "
                                                               "document")],
                  hub: HubDep) -> JSONResponse:
    """Synchronous: intake, clean-up, OCR and extraction run while the caller waits (about a
    second per page on a CPU worker). Unknown documents answer ``form_type: "unknown"`` with
    their text; a file that is not a readable scan answers 4xx, one that needs more memory or
    time than a reading process is allowed 422 (``too_large``, ``extract_timeout``), and 503
    ``extract_busy`` (with ``Retry-After``) when every reading process is busy and enough
    requests wait already. Any key's role may call it."""
    settings = hub.settings
    data = await run_in_threadpool(read_limited, file, settings.max_upload_bytes)
    name = file.filename or "upload"
    pool = hub.extract_pool
    if pool is None:
        result = await run_in_threadpool(_extract_here, data, name, settings)
    else:
        result = await pool.extract(data, name)
    return JSONResponse(jsonable_encoder(result))


def _extract_here(data: bytes, name: str, settings: Settings) -> dict:
    """In the API process (``extract_processes`` 0): in-process tests only."""
    return extract_document(data, name, engine_dep(), settings).export()
