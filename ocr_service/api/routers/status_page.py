"""``GET /tra-cuu/{dossier_code}?k={lookup_code}``: the public status page a receipt's QR opens.

No key and no login: the citizen holds the receipt, on which the dossier code and the random
lookup code are printed (``store/lookup.py``). What it shows, in plain Vietnamese: the status,
the procedure, the day received and the day the result is due, how many papers are digitized, and
the applicant's name masked ("N*** V** A"). Nothing else personal: no ID number, no field value,
no document.

A wrong lookup code answers exactly what a missing dossier answers (the same 404 page, byte for
byte), so the page tells a guesser nothing about which dossier codes exist; codes are compared in
constant time. Each client address may ask ``BURST`` times at once and then one more time every
``REFILL_SECONDS`` seconds (10 at once, then 10 a minute; both found and not found count): with
31^8 lookup codes, guessing one dossier's code takes on the order of 10^10 years from one address.
Behind a reverse proxy the client address is the proxy's unless uvicorn is told to trust its
``X-Forwarded-For`` (``--forwarded-allow-ips``); the bucket is per process.

The CSS is inlined (one request on a slow phone link) and allowed by its hash in the
Content-Security-Policy; the page runs no script. ``Referrer-Policy: no-referrer`` and
``Cache-Control: no-store`` keep the URL's lookup code out of other sites' logs and shared caches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from threading import Lock

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ...domain import VIETNAM_TIME
from ...procedures import find_procedure
from ...store import repo
from ...store.index import Agency, DocumentStatus, Dossier
from ...store.lookup import normalize_lookup_code
from ...web import STATIC_DIR, templates
from ..deps import HubDep

router = APIRouter(tags=["public"])

BURST = 10
"""Requests a client address may make at once."""
REFILL_SECONDS = 6.0
"""Then one more every this many seconds (10 a minute)."""
MAX_CLIENTS = 10_000
"""Buckets kept; when more addresses are seen, full (idle) buckets are dropped first."""


# --- what a citizen is told --------------------------------------------------------------------


@dataclass(frozen=True)
class PublicStatus:
    key: str
    """``received``, ``processing``, ``waiting`` or ``done``: the CSS class and tests' handle."""
    text_vi: str
    detail_vi: str


RECEIVED = PublicStatus("received", "Đã tiếp nhận",
                        "Hồ sơ đã được tiếp nhận và đang chờ xử lý.")
PROCESSING = PublicStatus("processing", "Đang xử lý",
                          "Cơ quan đang số hóa và kiểm tra giấy tờ của hồ sơ.")
WAITING = PublicStatus("waiting", "Chờ bổ sung",
                       "Có giấy tờ cần nộp lại hoặc bổ sung. Vui lòng liên hệ bộ phận tiếp nhận "
                       "và trả kết quả, mang theo giấy tiếp nhận hồ sơ.")
DONE = PublicStatus("done", "Đã số hóa xong, đang giải quyết",
                    "Mọi giấy tờ đã được số hóa và ký số; hồ sơ đang được giải quyết theo thời "
                    "hạn hẹn trả.")


def public_status(statuses: list[str]) -> PublicStatus:
    """One status for the citizen from the documents' statuses (superseded copies left out).

    A rejected paper must be brought again (waiting); anything still moving, or a failure the
    clerk has to rescan, is the agency's work (processing); everything archived is done with
    digitizing. sohoa does not know when the procedure itself is decided, so it never claims
    "Đã có kết quả": that state needs the agency's case system.
    """
    if not statuses or all(s == DocumentStatus.QUEUED for s in statuses):
        return RECEIVED
    if any(s == DocumentStatus.REJECTED for s in statuses):
        return WAITING
    if all(s == DocumentStatus.ARCHIVED for s in statuses):
        return DONE
    return PROCESSING


def mask_public_name(name: str) -> str:
    """"Nguyễn Văn An" → "N*** V** A": the initial of each name, the given name's alone, and at
    most three stars (so the length of a name is not given away either)."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    masked = [f"{w[0]}{'*' * min(len(w) - 1, 3)}" for w in words[:-1]]
    return " ".join([*masked, words[-1][0]]).upper()


# --- rate limit -------------------------------------------------------------------------------


@dataclass
class TokenBucket:
    """Per-key token buckets: ``burst`` tokens, refilled one per ``refill_seconds``."""

    burst: int = BURST
    refill_seconds: float = REFILL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def take(self, key: str) -> float:
        """0 when a token was taken; otherwise the seconds until one is available."""
        with self._lock:
            now = self.clock()
            tokens, since = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - since) / self.refill_seconds)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) * self.refill_seconds
            if len(self._buckets) >= MAX_CLIENTS and key not in self._buckets:
                self._forget_idle(now)
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst * self.refill_seconds
        for key, (_, since) in list(self._buckets.items()):
            if now - since >= full_after:
                del self._buckets[key]
        if len(self._buckets) >= MAX_CLIENTS:  # all busy: drop the oldest half
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]


def _bucket(request: Request) -> TokenBucket:
    bucket = getattr(request.app.state, "status_bucket", None)
    if bucket is None:
        bucket = request.app.state.status_bucket = TokenBucket()
    return bucket


# --- the page ---------------------------------------------------------------------------------


@cache
def _css() -> tuple[str, str]:
    """The page's CSS and its CSP hash."""
    css = (STATIC_DIR / "status.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def _headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (f"default-src 'none'; style-src {_css()[1]}; "
                                    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    }


def _day(value: datetime) -> str:
    return value.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y")


def _find(hub: HubDep, dossier_code: str, lookup_code: str) -> dict | None:
    """The page's facts, or None when no dossier has this code with this lookup code."""
    typed = normalize_lookup_code(lookup_code)
    with hub.index.session() as session:
        candidates = session.scalars(select(Dossier).where(
            Dossier.dossier_code == dossier_code)).all()
        match = next((d for d in candidates
                      if hmac.compare_digest(d.lookup_code.encode(), typed.encode())), None)
        if match is None:
            return None
        agency = session.get(Agency, match.agency_id)
        documents = repo.list_documents(session, match.agency_id, match.id)
        replaced = {d.supersedes_id for d in documents if d.supersedes_id is not None}
        statuses = [d.status for d in documents if d.id not in replaced]
        status = public_status(statuses)
        procedure = find_procedure(match.procedure_code)
        return {
            "found": True, "agency_name": agency.name, "dossier_code": match.dossier_code,
            "status_key": status.key, "status_vi": status.text_vi,
            "status_detail_vi": status.detail_vi,
            "procedure": procedure.name if procedure else f"Mã thủ tục {match.procedure_code}",
            "applicant": mask_public_name(match.applicant_name) if match.applicant_name else None,
            "received": _day(match.created_at),
            "due": match.due_date.strftime("%d/%m/%Y") if match.due_date else None,
            "done": sum(s == DocumentStatus.ARCHIVED for s in statuses),
            "total": len(statuses),
            "checked": datetime.now(UTC).astimezone(VIETNAM_TIME).strftime("%H:%M %d/%m/%Y"),
        }


@router.get("/tra-cuu/{dossier_code}", response_class=HTMLResponse,
            summary="Public status page of a dossier (no key; the receipt's QR code)",
            responses={404: {"description": "No such dossier, or a wrong lookup code (the same "
                                            "page)"},
                       429: {"description": "Too many lookups from this address; see "
                                            "Retry-After"}})
def status_page(request: Request, hub: HubDep, dossier_code: str,
                k: str = Query("", max_length=64,
                               description="The lookup code printed on the receipt")
                ) -> HTMLResponse:
    client = request.client.host if request.client else "unknown"
    wait = _bucket(request).take(client)
    if wait > 0:
        return HTMLResponse(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Quá nhiều yêu cầu"
            "</title><p>Bạn tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.</p>"
            "<p lang=\"en\">Too many lookups; try again in a few minutes.</p></html>",
            429, headers={**_headers(), "Retry-After": str(math.ceil(wait))})
    facts = _find(hub, dossier_code, k) if k else None
    context = {"css": _css()[0], **(facts or {"found": False})}
    return templates.TemplateResponse(request, "status.html", context,
                                      status_code=200 if facts else 404, headers=_headers())
