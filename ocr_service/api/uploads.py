"""Reading uploaded files: the size limit while reading, the type from the content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request, UploadFile

from ..config import Settings
from ..errors import InputError
from ..pipeline.intake import check_size, detect_type

CHUNK = 1 << 20
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


FORM_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def one_part_each(request: Request) -> None:
    """Refuse a multipart body that repeats a part (two ``file`` parts): FastAPI would take the
    last one silently, and the caller would never learn that the first was ignored. (The form is
    already parsed by then and cached on the request; its size bounded by ``api.limits``.)"""
    if request.method not in FORM_METHODS or not request.headers.get(
            "content-type", "").startswith("multipart/form-data"):
        return
    form = await request.form()
    if repeated := sorted({name for name in form.keys() if len(form.getlist(name)) > 1}):
        names = ", ".join(f"“{name}”" for name in repeated)
        raise InputError(
            f"The request repeats the part {names}; send one file per request.",
            f"Yêu cầu có nhiều hơn một phần {names}; mỗi yêu cầu chỉ gửi một tệp.",
            code="repeated_part")


def read_limited(upload: UploadFile, limit: int) -> bytes:
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


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    media_type: str
    """Decided by the content, never by the client's header or the file name."""


def accept_upload(upload: UploadFile, settings: Settings) -> Upload:
    """An upload the pipeline can take, checked on the cheap evidence before it is stored
    (limit, empty, type by magic bytes); a corrupt file inside a good envelope fails later, in
    the worker, with its reason on the document."""
    data = read_limited(upload, settings.max_upload_bytes)
    name = clean_filename(upload.filename)
    check_size(data, name, settings)
    return Upload(data, name, detect_type(data, name).media_type)


def clean_filename(name: str | None) -> str:
    """The base name a client sent, without path parts or control characters, at most 255
    characters (it is stored, and shown back in the dossier)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", base).strip()[:255] or "upload"
