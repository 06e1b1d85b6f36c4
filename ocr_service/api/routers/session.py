"""Staff sessions: a person logs in at the desk with a username and a password (``sohoa users
create``) and gets a session cookie; ``DELETE`` logs out, ``GET`` says who is logged in.

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends
it) and ``Secure`` when the request came over HTTPS or ``SOHOA_COOKIE_SECURE`` is set; it carries
no ``Max-Age``, so closing the browser of a shared counter computer ends it too. The answer holds
the CSRF token that state-changing requests must send back in ``X-CSRF-Token`` (``api/auth.py``).

``POST /v1/session`` does not honour ``Idempotency-Key``: replaying a stored login answer would
hand the same session token out twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...store import users
from ...store.audit import append_event
from ...store.repo import get_agency
from ..auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    AnyKey,
    ApiKeyPrincipal,
    CsrfFailed,
    session_cookie,
)
from ..deps import HubDep, SettingsDep
from ..schemas import ErrorResponse

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/session", tags=["session"])

CookieDep = Annotated[str | None, Depends(session_cookie)]


class Login(BaseModel):
    username: str = Field(max_length=256, examples=["nguyen.thi.lan"])
    password: str = Field(max_length=users.MAX_PASSWORD_CHARS + 1)


class UserOut(BaseModel):
    id: str
    username: str
    name: str = Field(description="Họ và tên")


class AgencyOut(BaseModel):
    code: str
    name: str


class SessionOut(BaseModel):
    user: UserOut | None = Field(description="null when the caller is an API key")
    roles: list[str]
    agency: AgencyOut
    csrf_token: str | None = Field(
        description=f"Send it back as {CSRF_HEADER} on every POST, PATCH, PUT and DELETE")
    expires_at: datetime | None = Field(description="The session's end at the latest")
    idle_expires_at: datetime | None = Field(
        description="When the session ends if it is not used before (SOHOA_SESSION_IDLE_MINUTES)")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user": {"id": "0b6e1f4a-3c2d-4e5f-8a9b-1c2d3e4f5a6b", "username": "nguyen.thi.lan",
                 "name": "Nguyễn Thị Lan"},
        "roles": ["clerk"], "agency": {"code": "000.00.10.H29", "name": "UBND phường Ba Đình"},
        "csrf_token": "Vq3…", "expires_at": "2026-12-04T13:30:00Z",
        "idle_expires_at": "2026-12-04T02:00:00Z"}]})


def _errors(*pairs: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": text} for status, text in pairs}


def _body(info: users.SessionInfo, token: str) -> dict[str, Any]:
    user = info.user
    return SessionOut(
        user=UserOut(id=str(user.id), username=user.username, name=user.full_name),
        roles=sorted(r.value for r in user.role_set),
        agency=AgencyOut(code=user.agency.code, name=user.agency.name),
        csrf_token=users.csrf_token(token), expires_at=info.expires_at,
        idle_expires_at=info.idle_expires_at).model_dump(mode="json")


@router.post("", response_model=SessionOut, summary="Log in (staff account): sets the cookie",
             responses=_errors((401, "Wrong username or password"),
                               (422, "Missing username or password"),
                               (423, "Locked after repeated wrong passwords (Retry-After)")))
def login(body: Login, request: Request, hub: HubDep, settings: SettingsDep) -> JSONResponse:
    """Checks the password (slow on purpose), opens a server-side session and sets its cookie."""
    user = users.authenticate(hub.index, body.username, body.password, settings)
    with hub.index.session() as session:
        token, info = users.start_session(session, user, settings)
    answer = JSONResponse(_body(info, token))
    answer.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                      secure=settings.cookie_secure or request.url.scheme == "https")
    log.info("staff account %s logged in", user.id)
    return answer


@router.get("", response_model=SessionOut, summary="Who is logged in (also gives the CSRF token)",
            responses=_errors((401, "No session, or it has ended")))
def whoami(principal: AnyKey, hub: HubDep, settings: SettingsDep,
           cookie: CookieDep) -> dict[str, Any]:
    """For a session: the person, their roles and agency, the CSRF token and when it ends (a
    reloaded desk page asks here). For an API key: its roles and agency only."""
    if principal.user_id is not None and cookie:
        with hub.index.session() as session:
            info = users.session_user(session, cookie, settings)
        if info is not None:
            return _body(info, cookie)
    return _key_body(principal, hub)


def _key_body(principal: ApiKeyPrincipal, hub: HubDep) -> dict[str, Any]:
    with hub.index.session() as session:
        agency = get_agency(session, principal.agency_code)
        name = agency.name if agency else principal.agency_code
    return SessionOut(user=None, roles=sorted(r.value for r in principal.roles),
                      agency=AgencyOut(code=principal.agency_code, name=name), csrf_token=None,
                      expires_at=None, idle_expires_at=None).model_dump(mode="json")


@router.delete("", status_code=204, summary="Log out: the session ends at once",
               responses=_errors((403, f"A live session without its {CSRF_HEADER}")))
def logout(request: Request, hub: HubDep, cookie: CookieDep) -> Response:
    """Deletes the session row, so the cookie opens nothing even if a copy of it was kept, and
    clears the cookie. Without a live session it only clears the cookie (logging out twice is
    not an error)."""
    if cookie:
        sent = request.headers.get(CSRF_HEADER, "")
        with hub.index.session() as session:
            found = users.session_user(session, cookie, hub.settings)
            if found is not None:
                if not users.csrf_matches(cookie, sent):
                    raise CsrfFailed()
                users.end_session(session, cookie)
                append_event(session, found.user.agency_id, "user.logout",
                             actor_user_id=found.user.id, subject_type="user",
                             subject_id=found.user.id)
    answer = Response(status_code=204)
    answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return answer
