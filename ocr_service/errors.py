"""Errors that reach users: each carries a stable code and a message in English and Vietnamese.

Adapters translate them at the edge: the CLI prints both messages and exits 2, the HTTP API answers
4xx with ``{"error": {"code", "message", "message_vi"}}``. Anything else is a bug, not bad input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .domain import Notice


class SohoaError(Exception):
    """A failure caused by the input or the set-up, explained to the person who can fix it."""

    code: str = "error"

    def __init__(self, message: str, message_vi: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_vi = message_vi
        if code is not None:
            self.code = code

    @property
    def notice(self) -> Notice:
        """The error as plain data (code and both messages), as reasons and issues are."""
        from .domain import Notice  # here, not at the top: errors loads nothing (domain: numpy)

        return Notice(self.code, self.message, self.message_vi)

    def as_dict(self) -> dict[str, str]:
        """The JSON body used by the HTTP API and ``--json`` CLI output."""
        return self.notice.export()

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message}"


class InputError(SohoaError):
    """The uploaded file cannot be accepted (type, size, corruption, encryption, limits)."""

    code = "bad_input"


class ModelError(SohoaError):
    """A model weight file is missing or does not match models/manifest.yaml."""

    code = "model_unavailable"


class StorageError(SohoaError):
    """Object storage refused or failed a request, or returned bytes that fail their hash."""

    code = "storage_error"


class StorageUnavailable(StorageError):
    """The S3 server cannot be reached or answers 5xx: retry later (HTTP 503, task retry)."""

    code = "storage_unavailable"


class RecordConflict(StorageError):
    """A record id is archived already with other bytes: an archived record is never replaced
    (a duplicate run of the archive stage keeps the first one)."""

    code = "record_conflict"


class ObjectNotFound(StorageError):
    """The asked-for object (raw upload or e-record) is not in storage."""

    code = "not_found"
