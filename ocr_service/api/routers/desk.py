"""``/desk/``: the counter clerk's pages (issue 13): log in, take in a dossier, follow its
documents, review and approve, find records to reuse.

The pages are rendered here (Jinja2, ``web/templates/desk/``) from what needs no request of its
own: the person's name and agency, the procedure catalogue, the form specs' field labels, the
CSRF token of the session. Everything about dossiers, documents and records is read and changed
by the page's small scripts (``web/static/desk/``) through the same JSON API as any client, with
the session cookie and ``X-CSRF-Token``: one set of rules (roles, agency scoping, audit) for the
desk and for other systems, and nothing here that could disagree with them.

A page asked for without a live session is a redirect to the login page (303), which comes back
to the page after login; an API call that answers 401 (the session timed out while the page was
open) sends the script to the login page too. Vietnamese by default, English with ``?lang=en``
(kept in a cookie until ``?lang=vi``). Pages are never cached, never framed, and load scripts and
styles from this server only (Content-Security-Policy).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...forms.spec import form_specs
from ...store import users
from ..auth import SESSION_COOKIE
from ..deps import HubDep

router = APIRouter(prefix="/desk", include_in_schema=False)

LANG_COOKIE = "sohoa_lang"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Why: the pages hold a session able to approve records; nothing else may run in them, frame
them or keep them."""
RECEIPT_PATH = "/v1/dossiers/{dossier_id}/receipt.pdf"
"""The receipt slip (Mẫu số 01), served by ``routers/dossiers`` once it exists."""


@dataclass(frozen=True)
class Clerk:
    """The signed-in person as a page shows them."""

    name: str
    username: str
    agency: str
    roles: tuple[str, ...]
    csrf_token: str


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in ("vi", "en"):
        return asked
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


def _clerk(request: Request, hub: HubDep) -> Clerk | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with hub.index.session() as session:
        live = users.session_user(session, token, hub.settings)
        if live is None:
            return None
        user = live.user
        return Clerk(name=user.full_name, username=user.username, agency=user.agency.name,
                     roles=tuple(sorted(r.value for r in user.role_set)),
                     csrf_token=users.csrf_token(token))


def _page(request: Request, name: str, clerk: Clerk | None, **context: Any) -> Response:
    from ...web import templates
    from ...web.desk_text import JS_TEXT, TEXT

    lang = _lang(request)
    other = "en" if lang == "vi" else "vi"
    answer = templates.TemplateResponse(request, f"desk/{name}.html", {
        "lang": lang, "t": TEXT[lang], "other_lang": other, "clerk": clerk,
        "js_text": {**TEXT[lang], **JS_TEXT[lang]},
        "path": request.url.path, **context})
    answer.headers.update(PAGE_HEADERS)
    if request.query_params.get("lang") == lang:
        answer.set_cookie(LANG_COOKIE, lang, path="/", samesite="strict", httponly=True)
    return answer


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/desk/login?next={quote(target, safe='')}", status_code=303)


def _with_clerk(request: Request, hub: HubDep, name: str, **context: Any) -> Response:
    clerk = _clerk(request, hub)
    if clerk is None:
        return _to_login(request)
    return _page(request, name, clerk, **context)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, hub: HubDep) -> Response:
    if _clerk(request, hub) is not None and "expired" not in request.query_params:
        return RedirectResponse("/desk/", status_code=303)
    return _page(request, "login", None, expired="expired" in request.query_params,
                 logged_out="out" in request.query_params)


@router.get("/", response_class=HTMLResponse)
def intake_page(request: Request, hub: HubDep) -> Response:
    return _with_clerk(request, hub, "intake", procedures=procedure_choices())


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
def dossier_page(request: Request, hub: HubDep, dossier_id: uuid.UUID) -> Response:
    receipt = RECEIPT_PATH.format(dossier_id=dossier_id) if _has_receipt(request) else None
    return _with_clerk(request, hub, "dossier", dossier_id=str(dossier_id), receipt_url=receipt,
                       procedures=procedure_choices())


@router.get("/review", response_class=HTMLResponse)
def queue_page(request: Request, hub: HubDep) -> Response:
    return _with_clerk(request, hub, "queue", form_names=form_names())


@router.get("/review/{document_id}", response_class=HTMLResponse)
def review_page(request: Request, hub: HubDep, document_id: uuid.UUID) -> Response:
    return _with_clerk(request, hub, "review", document_id=str(document_id),
                       labels=field_labels(_lang(request)))


@router.get("/records", response_class=HTMLResponse)
def records_page(request: Request, hub: HubDep) -> Response:
    return _with_clerk(request, hub, "records", form_names=form_names())


# --- what the pages are rendered from -----------------------------------------------------------


def procedure_choices() -> list[dict[str, Any]]:
    """The catalogue as the intake page lists it (``procedures.catalogue()``)."""
    from ...procedures import catalogue

    return [{"code": p.code, "name": p.name, "field": p.field, "days": p.processing_days,
             "components": [{"name": c.name, "form_type": c.form_type, "required": c.required,
                             "copies": c.copies} for c in p.components]}
            for p in catalogue()]


def form_names() -> dict[str, str]:
    """Each form type's Vietnamese name (``cccd`` → "Thẻ Căn cước / Căn cước công dân")."""
    return {spec.form_type: spec.name for spec in form_specs()}


def field_labels(lang: str) -> dict[str, dict[str, str]]:
    """Each form type's field labels: the form's own printed label in Vietnamese (what the clerk
    sees on the paper beside it), the field's name in words in English; table columns as
    ``table.column``."""

    def words(name: str) -> str:
        return name.replace("_", " ").capitalize()

    labels: dict[str, dict[str, str]] = {}
    for spec in form_specs():
        mine = {name: (field.labels[0] if lang == "vi" else words(name))
                for name, field in spec.fields.items()}
        for name, table in spec.tables.items():
            mine[name] = table.after[-1].capitalize() if lang == "vi" else words(name)
            for column, column_spec in table.columns.items():
                mine[f"{name}.{column}"] = (column_spec.labels[0] if lang == "vi"
                                            else words(column))
        labels[spec.form_type] = mine
    return labels


def _has_receipt(request: Request) -> bool:
    """Whether this server serves the receipt slip (a print button only where it works). Asked
    of the OpenAPI paths (built once, then cached by FastAPI): included routers are not listed
    route by route in ``app.routes``."""
    return any(path.startswith("/v1/dossiers/") and path.endswith("/receipt.pdf")
               for path in request.app.openapi().get("paths", {}))
