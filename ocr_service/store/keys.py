"""API keys: ``sohoa_<prefix>_<secret>``, shown once, stored as a salted SHA-256 of the secret.

The prefix (12 hex digits) is not secret: it finds the key's row by a unique index. The secret is
32 random bytes (256 bits) from ``secrets``. A slow password hash (scrypt, bcrypt) exists to make
guessing *low-entropy* secrets expensive; no guessing can reach 2**256, so a single SHA-256 is
as sound here and costs microseconds instead of tens of milliseconds on every request (a slow hash
would hand anyone with a made-up key a cheap way to burn our CPU). The per-key salt changes
nothing for security but keeps equal secrets (which never happen) from having equal hashes.
Secrets are compared with ``hmac.compare_digest``; they are never stored or logged, only the
prefix is.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import SohoaError
from .audit import append_event
from .index import ApiKey, Role, utcnow
from .repo import NotFound, get_agency

log = logging.getLogger(__name__)

SCHEME = "sohoa"


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def parse_roles(roles: Iterable[str | Role]) -> list[Role]:
    """Sorted, distinct roles; an unknown name is bad input."""
    names = set(roles)
    known = {r.value for r in Role}
    if unknown := ", ".join(sorted(str(n) for n in names - known)):
        listed = ", ".join(r.value for r in Role)
        raise SohoaError(f"Unknown role {unknown}; roles: {listed}.",
                         f"Vai trò không hợp lệ: {unknown}; các vai trò: {listed}.",
                         code="bad_role")
    parsed = sorted(Role(n) for n in names)
    if not parsed:
        raise SohoaError("A key needs at least one role.", "Khóa cần ít nhất một vai trò.",
                         code="bad_role")
    return parsed


def create_key(session: Session, agency_code: str, roles: Iterable[str | Role], *,
               label: str | None = None,
               actor_key_id: uuid.UUID | None = None) -> tuple[uuid.UUID, str]:
    """A new key of the agency: its id and the plaintext, which exists only in this return value."""
    agency = get_agency(session, agency_code)
    if agency is None:
        raise NotFound(f"agency {agency_code!r}", f"đơn vị {agency_code!r}")
    role_list = parse_roles(roles)
    prefix, salt, secret = secrets.token_hex(6), secrets.token_hex(16), secrets.token_urlsafe(32)
    key = ApiKey(id=uuid.uuid4(), agency_id=agency.id, prefix=prefix, salt=salt,
                 secret_hash=_hash(salt, secret), roles=" ".join(role_list), label=label)
    session.add(key)
    session.flush()
    append_event(session, agency.id, "key.created", actor_key_id=actor_key_id,
                 subject_type="api_key", subject_id=key.id,
                 details={"prefix": prefix, "roles": role_list, "label": label})
    log.info("API key %s created for agency %s", prefix, agency.code)
    return key.id, f"{SCHEME}_{prefix}_{secret}"


def authenticate(session: Session, plaintext: str) -> ApiKey | None:
    """The live key that ``plaintext`` is, with its agency loaded; None for anything else."""
    scheme, _, rest = plaintext.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or not prefix or not secret:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if key is None:
        return None
    matches = hmac.compare_digest(_hash(key.salt, secret), key.secret_hash)
    return key if matches and key.revoked_at is None else None


def revoke_key(session: Session, agency_id: uuid.UUID, key_id: uuid.UUID, *,
               actor_key_id: uuid.UUID | None = None) -> ApiKey:
    """Revoke one of the agency's keys (kept, for the audit trail; it no longer authenticates)."""
    key = session.scalars(select(ApiKey).where(ApiKey.id == key_id,
                                               ApiKey.agency_id == agency_id)).one_or_none()
    return _revoke(session, key, actor_key_id=actor_key_id)


def list_keys(session: Session, agency_id: uuid.UUID) -> list[ApiKey]:
    """The agency's keys, live and revoked (revoked ones stay: the audit trail names them),
    oldest first. Never their secrets: only hashes are stored."""
    return list(session.scalars(select(ApiKey).where(ApiKey.agency_id == agency_id)
                                .order_by(ApiKey.created_at, ApiKey.prefix)))


def revoke_prefix(session: Session, prefix: str, *, agency_id: uuid.UUID | None = None,
                  actor_key_id: uuid.UUID | None = None,
                  actor_user_id: uuid.UUID | None = None) -> ApiKey:
    """Revoke the key with this prefix; with ``agency_id``, only among that agency's keys (the
    API: another agency's key is not found, like a missing one). Revoking twice changes
    nothing and appends nothing."""
    query = select(ApiKey).where(ApiKey.prefix == prefix.strip())
    if agency_id is not None:
        query = query.where(ApiKey.agency_id == agency_id)
    return _revoke(session, session.scalars(query).one_or_none(), actor_key_id=actor_key_id,
                   actor_user_id=actor_user_id)


def _revoke(session: Session, key: ApiKey | None, *, actor_key_id: uuid.UUID | None = None,
            actor_user_id: uuid.UUID | None = None) -> ApiKey:
    if key is None:
        raise NotFound("API key", "khóa API")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        append_event(session, key.agency_id, "key.revoked", actor_key_id=actor_key_id,
                     actor_user_id=actor_user_id, subject_type="api_key", subject_id=key.id,
                     details={"prefix": key.prefix})
        log.info("API key %s revoked", key.prefix)
    return key
