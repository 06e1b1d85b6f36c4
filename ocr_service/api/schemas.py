"""Response models of the API, with examples for the OpenAPI page."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Reason(BaseModel):
    code: str
    message: str
    message_vi: str


class FieldOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: Any = Field(description="Normalised value (a list of rows for tables); null if absent")
    confidence: float
    page: int | None
    review: bool
    raw: str | None = None
    box: list[list[float]] | None = None
    reasons: list[Reason] = []


class ExtractResponse(BaseModel):
    form_type: str = Field(examples=["cccd"])
    review: bool
    reasons: list[Reason]
    fields: dict[str, FieldOut]
    text: str

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "form_type": "cccd", "review": False, "reasons": [],
        "fields": {"id_number": {"value": "001090123456", "confidence": 0.98, "page": 1,
                                 "review": False, "raw": "001090123456",
                                 "box": [[410, 212], [720, 212], [720, 246], [410, 246]],
                                 "reasons": []}},
        "text": "CĂN CƯỚC CÔNG DÂN\n...",
    }]})


class ErrorBody(BaseModel):
    code: str
    message: str
    message_vi: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in ((413, "File too large"), (415, "Not a PDF, TIFF, JPEG or PNG"),
                                (422, "Unreadable, empty or invalid file or request"))
}
