"""Every error answer has one shape: ``{"error": {"code", "message", "message_vi"}}``.

Bad input is the caller's to fix, so it gets a 4xx with both messages; nothing else leaks a
stack trace (unexpected errors are logged and answered with a plain 500 in the same shape).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InputError, SohoaError, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "file_too_large": 413, "unsupported_type": 415, "not_found": 404, "unauthorized": 401,
    "forbidden": 403, "idempotency_conflict": 409, "bad_idempotency_key": 400,
    "broker_unavailable": 503, "wrong_status": 409, "flagged_not_accepted": 409,
    "duplicate_document": 409,
    "login_failed": 401, "account_locked": 423, "csrf_failed": 403, "username_taken": 409,
    "batch_queue_full": 429, "extract_busy": 503, "extract_unavailable": 503,
}


def error_body(code: str, message: str, message_vi: str) -> dict:
    return {"error": {"code": code, "message": message, "message_vi": message_vi}}


def _status(exc: SohoaError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, StorageUnavailable):
        return 503  # the caller may retry: nothing was lost
    if isinstance(exc, StorageError):
        return 500  # refused or damaged in storage: not the caller's doing
    return 422 if isinstance(exc, InputError) else 400


def install(app: FastAPI) -> None:
    @app.exception_handler(SohoaError)
    async def sohoa_error(_: Request, exc: SohoaError) -> JSONResponse:
        status = _status(exc)
        if status >= 500:
            log.warning("%s answered %d: %s", exc.code, status, exc.message)
        return JSONResponse(error_body(exc.code, exc.message, exc.message_vi), status,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = ", ".join(".".join(map(str, e.get("loc", ()))) for e in exc.errors()) or "request"
        return JSONResponse(error_body(
            "bad_request", f"The request is missing or has invalid parts: {where}.",
            f"Yêu cầu thiếu hoặc có thành phần không hợp lệ: {where}."), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(
            f"http_{exc.status_code}", str(exc.detail),
            "Không tìm thấy." if exc.status_code == 404 else "Yêu cầu không được chấp nhận."),
            exc.status_code, headers=exc.headers)  # 405 keeps its Allow

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body("internal", "Internal error; it has been logged.",
                                       "Lỗi hệ thống; lỗi đã được ghi lại."), 500)
