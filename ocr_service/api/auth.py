"""Who is calling: ``Authorization: Bearer <api key>`` → the key's agency and roles; or a person
signed in at the desk, by the session cookie (``POST /v1/session``) → their agency and roles.

Routes declare what they need with the ``Annotated`` aliases at the bottom (``DossierKey``,
``RecordKey`` ...), so the role table lives here, in one reviewable place, and every route gets the
caller's agency to scope its queries by. Only ``/healthz`` and ``/readyz`` take no key (docs/architecture.md §5).

401 answers a missing, malformed, unknown or revoked key alike (saying which would help someone
guessing keys); 403 a valid key whose roles do not allow the route. ``admin`` may do everything.

A cookie is sent by the browser on its own, so a request carrying one might have been started by
another site's page (cross-site request forgery): with a cookie, every state-changing method must
also carry ``X-CSRF-Token``, which only our pages are given (SameSite=Strict already keeps other
sites' requests from carrying the cookie in current browsers; the token is the second lock).
A bearer key wins over a cookie: API clients never need the token.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from ..errors import SohoaError
from ..store import keys, users
from ..store.index import Role
from .deps import HubDep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """The authenticated caller, detached from any database session: an API key, or a person
    (a staff account signed in with a session cookie), who then has ``user_id`` and ``name``."""

    key_id: uuid.UUID | None
    prefix: str
    agency_id: uuid.UUID
    agency_code: str
    roles: frozenset[Role]
    user_id: uuid.UUID | None = None
    name: str | None = None
    """The person's full name (Họ và tên), for the record's digitizer text and history."""

    def actor(self) -> dict[str, str]:
        """Who did something, as corrections, history and manifests name them: a person by
        account and name, else the key by its (non-secret) prefix."""
        if self.user_id is not None:
            return {"kind": "user", "id": str(self.user_id), "name": self.name or ""}
        return {"kind": "key", "id": self.prefix, "name": f"API key {self.prefix}"}


class Unauthorized(SohoaError):
    code = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="sohoa"'}

    def __init__(self) -> None:
        super().__init__(
            "A valid API key is required: send 'Authorization: Bearer <key>' "
            "(keys come from `sohoa keys create`).",
            "Cần khóa API hợp lệ: gửi tiêu đề 'Authorization: Bearer <khóa>' "
            "(tạo khóa bằng lệnh `sohoa keys create`).")


class SessionEnded(Unauthorized):
    """A session cookie that opens nothing: logged out, timed out, or the account disabled."""

    def __init__(self) -> None:
        SohoaError.__init__(
            self, "Your session has ended (logged out, timed out or the account disabled); "
            "sign in again.",
            "Phiên làm việc đã kết thúc (đã đăng xuất, hết thời gian hoặc tài khoản bị vô hiệu "
            "hóa); hãy đăng nhập lại.")


class CsrfFailed(SohoaError):
    code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__(
            f"A request that changes something with a session cookie needs the header "
            f"{CSRF_HEADER} with the session's token (given by POST and GET /v1/session).",
            f"Yêu cầu thay đổi dữ liệu bằng phiên đăng nhập cần tiêu đề {CSRF_HEADER} chứa mã "
            f"chống giả mạo của phiên (do POST và GET /v1/session trả về).")


class Forbidden(SohoaError):
    code = "forbidden"

    def __init__(self, held: frozenset[Role], allowed: frozenset[Role]) -> None:
        have, need = _names(held), _names(allowed)
        super().__init__(
            f"This API key's roles ({have}) do not allow this request; it needs one of: {need}.",
            f"Vai trò của khóa API ({have}) không được phép thực hiện yêu cầu này; "
            f"cần một trong các vai trò: {need}.")


def _names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


bearer = HTTPBearer(auto_error=False, description="An API key from `sohoa keys create`.")
SESSION_COOKIE = "sohoa_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                              description="A staff session from `POST /v1/session`; "
                                          f"changes also need the {CSRF_HEADER} header.")


def authenticated(
    request: Request,
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> ApiKeyPrincipal:
    """The caller, key or person, whatever its roles (cached per request by FastAPI, so several
    dependencies asking for it cost one lookup). The caller's agency is noted on the request
    for the metrics, which count each agency's requests apart (``api/metrics.py``)."""
    if credentials is None:
        if not cookie:
            raise Unauthorized()
        principal = _person(request, hub, cookie)
    else:
        with hub.index.session() as session:
            key = keys.authenticate(session, credentials.credentials)
            if key is None:
                log.info("refused API key with prefix %s", _prefix(credentials.credentials))
                raise Unauthorized()
            principal = ApiKeyPrincipal(key_id=key.id, prefix=key.prefix,
                                        agency_id=key.agency_id, agency_code=key.agency.code,
                                        roles=key.role_set)
    request.state.agency_code = principal.agency_code
    return principal


def _person(request: Request, hub: HubDep, token: str) -> ApiKeyPrincipal:
    """The signed-in person of a session cookie; changes need the session's CSRF token."""
    with hub.index.session() as session:
        live = users.session_user(session, token, hub.settings)
    if live is None:
        raise SessionEnded()
    if request.method not in SAFE_METHODS:
        if not users.csrf_matches(token, request.headers.get(CSRF_HEADER, "")):
            raise CsrfFailed()
    user = live.user
    return ApiKeyPrincipal(key_id=None, prefix="", agency_id=user.agency_id,
                           agency_code=user.agency.code, roles=user.role_set, user_id=user.id,
                           name=user.full_name)


def _prefix(plaintext: str) -> str:
    """The non-secret part of something shaped like our keys, for logs; never the secret."""
    scheme, _, rest = plaintext.partition("_")
    prefix, _, secret = rest.partition("_")
    return prefix[:16] if scheme == keys.SCHEME and secret else "?"


AnyKey = Annotated[ApiKeyPrincipal, Depends(authenticated)]


def require(*roles: Role) -> Callable[[ApiKeyPrincipal], ApiKeyPrincipal]:
    """A dependency that admits keys holding any of ``roles`` (or ``admin``)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    def check(principal: AnyKey) -> ApiKeyPrincipal:
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(principal.roles, allowed)
        return principal

    return check


DossierKey = Annotated[ApiKeyPrincipal,
                       Depends(require(Role.CLERK, Role.OPERATOR, Role.SYSTEM))]
"""Create dossiers, upload documents, read their status: counter staff, postal operators and
other information systems."""
RecordKey = Annotated[ApiKeyPrincipal, Depends(require(Role.CLERK, Role.SYSTEM, Role.AUDITOR))]
"""Read e-records and search them for reuse (every read audited)."""
BatchKey = Annotated[ApiKeyPrincipal, Depends(require(Role.OPERATOR))]
"""ZIP batches of dossiers (postal operators)."""
AuditKey = Annotated[ApiKeyPrincipal, Depends(require(Role.AUDITOR))]
"""The audit trail."""
ReviewReadKey = Annotated[ApiKeyPrincipal, Depends(require(
    Role.CLERK, Role.OPERATOR, Role.SYSTEM, Role.AUDITOR))]
"""Read a document's draft, page images and history: everyone who may see the dossier, and
auditors."""
ReviewKey = Annotated[ApiKeyPrincipal, Depends(require(Role.CLERK, Role.OPERATOR))]
"""Correct, approve, reject and reprocess documents, supersede records: the people who digitize
(counter clerks, postal operators), never a machine's key alone."""
AdminKey = Annotated[ApiKeyPrincipal, Depends(require())]
"""Operations data of the deployment (metrics); the agency's keys and webhook."""
