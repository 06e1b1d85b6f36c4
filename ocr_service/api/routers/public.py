"""``GET /v/{record_id}``: the public page a record's QR code leads to (no key).

A citizen, a bank clerk or a court holding a printed or forwarded e-record scans its QR code and
learns whether the archive holds that record and in which state (``valid``, ``revoked``,
``superseded`` by a corrected record), its document type, the agency that made it, when, and the
sha256 of the signed PDF; ``?sha256=`` compares a file's hash with the archived one, so a copy can
be checked without trusting its sender. The page's file picker hashes the PDF in the browser and
sends only the hash: a public endpoint takes no uploads (nothing to fill a disk with, and the
document itself never leaves the reader's device). Nothing personal is shown (owner, ID number,
fields, title): the page is open to anyone who has, or guesses, the id. An unknown id is 404.

HTML for browsers (``lang="vi"``, both languages), JSON for ``Accept: application/json``.
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ...domain import VIETNAM_TIME
from ...store import repo
from ..deps import HubDep

router = APIRouter(tags=["public"])

STATES_VI = {"valid": "Còn hiệu lực", "revoked": "Đã bị thu hồi",
             "superseded": "Đã được thay thế bằng bản đính chính"}
STATES_EN = {"valid": "Valid", "revoked": "Revoked", "superseded": "Superseded by a corrected record"}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _parse(record_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(record_id)
    except ValueError:
        return None


def _facts(hub: Any, record_id: str) -> dict[str, Any] | None:
    """What the page may say of a record; None when there is no such record."""
    parsed = _parse(record_id)
    if parsed is None:
        return None
    with hub.index.session() as session:
        found = repo.find_record_any_agency(session, parsed)
        if found is None:
            return None
        record, agency = found
        superseded_by = getattr(record, "superseded_by", None)
        created: datetime = record.created_at
        return {
            "record_id": str(record.id),
            "exists": True,
            "state": str(record.state),
            "valid": record.state == "valid",
            "superseded_by": str(superseded_by) if superseded_by else None,
            "document_type": record.doc_type,
            "agency": {"code": agency.code, "name": agency.name} if agency else None,
            "archived_at": _local(created),
            "sha256": record.pdf_sha256,
        }


def _local(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite gives naive UTC times back
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TIME).isoformat(timespec="seconds")


NOT_FOUND = {"code": "not_found", "message": "No e-record has this id.",
             "message_vi": "Không có hồ sơ điện tử nào mang mã này."}


SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@router.get("/v/{record_id}", summary="Public verification of an e-record (the QR code's URL)",
            responses={404: {"description": "No record has this id"}})
def public_record(
    record_id: str, request: Request, hub: HubDep,
    sha256: Annotated[str | None, Query(description=(
        "sha256 (hex) of a PDF to compare with the archived record"))] = None,
) -> Response:
    """Whether the record exists, its state, document type, agency, time and sha256, and whether
    a file with hash ``sha256`` is the archived record; no key."""
    facts = _facts(hub, record_id)
    compared = None
    if facts is not None and sha256 is not None:
        given = sha256.strip().lower()
        compared = {"sha256": given, "well_formed": bool(SHA256.fullmatch(given)),
                    "matches": given == (facts["sha256"] or "").lower()}
    return _answer(request, facts, compared)


def _answer(request: Request, facts: dict[str, Any] | None,
            compared: dict[str, Any] | None) -> Response:
    if _wants_json(request):
        if facts is None:
            return JSONResponse({"error": NOT_FOUND}, status_code=404)
        return JSONResponse({**facts, "compared": compared})
    return HTMLResponse(_page(facts, compared), status_code=200 if facts else 404)


HASH_SCRIPT = """<script>
document.getElementById("pdf").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file || !crypto.subtle) return;  // hashing needs HTTPS; the hash can be typed instead
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  document.getElementById("sha").value = Array.from(new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0")).join("");
  event.target.form.submit();
});
</script>"""
"""The file picker hashes the PDF in the browser and sends the hash only (see the docstring)."""


def _page(facts: dict[str, Any] | None, compared: dict[str, Any] | None) -> str:
    e = html.escape
    if facts is None:
        body = (f"<h1>{e(NOT_FOUND['message_vi'])}</h1><p lang=\"en\">{e(NOT_FOUND['message'])}</p>")
    else:
        state = facts["state"]
        agency = facts["agency"] or {"code": "", "name": ""}
        rows = [
            ("Tình trạng / State", f"{STATES_VI.get(state, state)} / {STATES_EN.get(state, state)}"),
            ("Loại giấy tờ / Document type", facts["document_type"]),
            ("Cơ quan / Agency", f"{agency['name']} ({agency['code']})"),
            ("Thời gian lưu trữ / Archived at", facts["archived_at"]),
            ("SHA-256 của tệp PDF / of the PDF", facts["sha256"] or ""),
            ("Mã hồ sơ điện tử / Record id", facts["record_id"]),
        ]
        table = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
        verdict = ""
        if compared is not None:
            same = compared["matches"]
            verdict = ("<p><strong>" + e(
                "Tệp trùng khớp với bản lưu trữ / The file is the archived record" if same else
                "Tệp KHÁC bản lưu trữ / The file DIFFERS from the archived record")
                + f"</strong> (sha256 {e(compared['sha256'])})</p>")
        body = (f"<h1>Xác thực hồ sơ điện tử / E-record verification</h1><table>{table}</table>"
                f"{verdict}<form method=\"get\"><label>So sánh tệp PDF / Compare a PDF: "
                "<input type=\"file\" id=\"pdf\" accept=\"application/pdf\"></label> "
                "<label>hoặc SHA-256 / or its SHA-256: <input name=\"sha256\" id=\"sha\" "
                "size=\"64\"></label> <button>Kiểm tra / Check</button></form>" + HASH_SCRIPT)
    return ("<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Xác thực hồ sơ điện tử</title></head><body>{body}</body></html>")
