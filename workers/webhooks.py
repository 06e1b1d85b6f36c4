"""Webhook calls: a document is done (archived, needs review) or failed; tell the agency's system.

The body is compact JSON and ``X-Sohoa-Signature: sha256=<hex>`` is the HMAC-SHA256 of exactly
those bytes under the agency's ``webhook_secret``, so a receiver can prove the call came from us
and was not altered (compare with ``hmac.compare_digest``). Receivers must accept the same event
twice: a call that timed out may have arrived, and it is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from ocr_service import __version__
from ocr_service.errors import SohoaError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sohoa-Signature"
EVENT_HEADER = "X-Sohoa-Event"
_RETRY_STATUSES = {408, 425, 429}


class WebhookFailed(SohoaError):
    """The receiver could not be reached or answered 5xx/408/429: try again later."""

    code = "webhook_failed"


class WebhookRefused(SohoaError):
    """The receiver answered another 4xx: the same call would be refused again."""

    code = "webhook_refused"


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(url: str, payload: dict[str, Any], secret: str | None, timeout: float) -> int:
    """POST ``payload`` to ``url``; the HTTP status on 2xx, else ``WebhookFailed`` (retry) or
    ``WebhookRefused`` (do not). Unsigned when the agency has no secret (logged as a warning)."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json", "User-Agent": f"sohoa/{__version__}",
               EVENT_HEADER: str(payload.get("event", ""))}
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    else:
        log.warning("webhook for document %s sent unsigned: the agency has no webhook secret",
                    payload.get("document_id"))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        if exc.code < 500 and exc.code not in _RETRY_STATUSES:
            raise WebhookRefused(f"webhook receiver refused the call: HTTP {exc.code}",
                                 f"hệ thống nhận webhook từ chối: HTTP {exc.code}") from exc
        raise _failed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise _failed(type(exc).__name__) from exc


def _failed(why: str) -> WebhookFailed:
    return WebhookFailed(f"webhook receiver unavailable ({why}); will retry",
                         f"không gọi được hệ thống nhận webhook ({why}); sẽ thử lại")
