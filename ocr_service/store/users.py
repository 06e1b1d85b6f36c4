"""Staff accounts (people at the desk) and their sessions.

Passwords are hashed with argon2id through ``argon2-cffi`` with its defaults (RFC 9106's
low-memory profile: 64 MiB, 3 passes; about 0.1 s on one core), which the library raises over
time: a hash made with weaker parameters is replaced at the next successful login. Unlike API
keys (``store.keys``: 256 random bits, a single SHA-256 suffices), passwords are chosen by people
and can be guessed, so their hash must be slow.

Logging in (``authenticate``):

* takes about the same time whether the username exists or not (an unknown name is checked
  against a dummy hash), and answers both, and a disabled account, with the same refusal;
* counts wrong passwords per account; after ``login_max_failures`` in a row the account is locked
  for ``login_lockout_minutes`` (a correct password then waits too). That says that the username
  exists, which is the price of telling a clerk why they cannot log in; unknown names are never
  locked. A throttle per client address belongs in the proxy in front;
* never holds a database transaction across the slow hash: the account is read in one short
  transaction and the outcome written in a second, whose row lock (``FOR UPDATE``; SQLite's single
  writer) keeps parallel attempts from losing a count.

Usernames are unique across the deployment, not per agency, because a person logs in with a name
and a password only: lower-case ASCII letters, digits, ``.``, ``_``, ``-`` (3 to 64), so two
accounts cannot differ only by case or by look-alike letters. The full name (Họ và tên) is NFC.

Sessions are server-side rows rather than signed tokens, because logging out and disabling an
account must end a session at once, which a signed token cannot do without a revocation list (a
table again). The cookie holds 256 random bits; the row only their SHA-256. The CSRF token is
derived from the session token (HMAC), so it needs no column of its own and the server can give it
again to a page that was reloaded (``GET /v1/session``); a page on another site can read neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import SohoaError
from .audit import append_event
from .index import Index, StaffSession, User, utcnow
from .keys import parse_roles
from .repo import NotFound, get_agency

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

HASHER = PasswordHasher()
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MAX_PASSWORD_CHARS = 1024
"""Longer input is refused before hashing: nobody types more, and it would only cost CPU."""
TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most this often per session, not on every request."""


# --- errors ---------------------------------------------------------------------------------------


class LoginFailed(SohoaError):
    """Wrong username or password, or a disabled account: the answer does not say which."""

    code = "login_failed"

    def __init__(self) -> None:
        super().__init__("Wrong username or password.", "Sai tên đăng nhập hoặc mật khẩu.")


class AccountLocked(SohoaError):
    """Too many wrong passwords in a row: no login until ``until`` (HTTP 423, Retry-After)."""

    code = "account_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        self.until = until
        self.retry_after = max(1, int((until - now).total_seconds() + 0.999))
        minutes = max(1, (self.retry_after + 59) // 60)
        super().__init__(
            f"Too many wrong passwords: this account is locked for {minutes} more minute(s). "
            "Try again later, or ask the agency's administrator.",
            f"Nhập sai mật khẩu quá nhiều lần: tài khoản bị khóa thêm {minutes} phút. "
            "Hãy thử lại sau, hoặc liên hệ quản trị viên của đơn vị.")
        self.headers = {"Retry-After": str(self.retry_after)}


def _bad(code: str, message: str, message_vi: str) -> SohoaError:
    return SohoaError(message, message_vi, code=code)


# --- accounts ------------------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """The stored form of a username (lower case), or bad input saying what is allowed."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise _bad("bad_username",
                   f"Invalid username {username!r}: 3 to 64 of a-z, 0-9, '.', '_', '-', "
                   "starting with a letter or digit.",
                   f"Tên đăng nhập {username!r} không hợp lệ: 3 đến 64 ký tự a-z, 0-9, '.', '_', "
                   "'-', bắt đầu bằng chữ hoặc số.")
    return name


def check_password(password: str, min_length: int) -> None:
    """Refuse a password too short to resist guessing (or absurdly long)."""
    length = len(unicodedata.normalize("NFC", password))
    if length < min_length:
        raise _bad("weak_password",
                   f"The password is too short: at least {min_length} characters are needed "
                   f"(this one has {length}).",
                   f"Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự (mật khẩu này có "
                   f"{length}).")
    if length > MAX_PASSWORD_CHARS:
        raise _bad("weak_password",
                   f"The password is too long: at most {MAX_PASSWORD_CHARS} characters.",
                   f"Mật khẩu quá dài: tối đa {MAX_PASSWORD_CHARS} ký tự.")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (NFC first: the same word typed on two keyboards
    that compose Vietnamese letters differently is the same password)."""
    return HASHER.hash(unicodedata.normalize("NFC", password))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown usernames so they take as long."""
    return HASHER.hash(secrets.token_urlsafe(32))


def create_user(session: Session, agency_code: str, username: str, full_name: str,
                roles: Iterable[str], password: str, *, min_length: int,
                actor_key_id: uuid.UUID | None = None,
                actor_user_id: uuid.UUID | None = None) -> User:
    """A new staff account of the agency (which must exist)."""
    name = normalise_username(username)
    full = " ".join(unicodedata.normalize("NFC", full_name).split())
    if not full:
        raise _bad("bad_full_name", "The person's full name is required.",
                   "Cần nhập họ và tên của người dùng.")
    role_list = parse_roles(roles)
    check_password(password, min_length)
    agency = get_agency(session, agency_code)
    if agency is None:
        raise NotFound(f"agency {agency_code!r}", f"đơn vị {agency_code!r}")
    user = User(id=uuid.uuid4(), agency_id=agency.id, username=name, full_name=full,
                roles=" ".join(role_list), password_hash=hash_password(password),
                failed_logins=0)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise _bad("username_taken",
                   f"The username {name!r} is taken (usernames are unique across agencies).",
                   f"Tên đăng nhập {name!r} đã có người dùng (tên đăng nhập là duy nhất trên "
                   "toàn hệ thống).") from None
    append_event(session, agency.id, "user.created", actor_key_id=actor_key_id,
                 actor_user_id=actor_user_id, subject_type="user", subject_id=user.id,
                 details={"username": name, "roles": role_list})
    log.info("staff account %s created for agency %s", user.id, agency.code)
    return user


def get_user(session: Session, username: str) -> User:
    """The account named ``username``, or NotFound."""
    user = session.scalars(select(User).where(
        User.username == username.strip().lower())).one_or_none()
    if user is None:
        raise NotFound(f"user {username!r}", f"người dùng {username!r}")
    return user


def list_users(session: Session, agency_code: str) -> list[User]:
    """The agency's accounts, disabled ones included, by username."""
    agency = get_agency(session, agency_code)
    if agency is None:
        raise NotFound(f"agency {agency_code!r}", f"đơn vị {agency_code!r}")
    return list(session.scalars(select(User).where(User.agency_id == agency.id)
                                .order_by(User.username)))


def disable_user(session: Session, username: str, *, actor_key_id: uuid.UUID | None = None,
                 actor_user_id: uuid.UUID | None = None, now: datetime | None = None) -> User:
    """End an account: it no longer logs in, and its open sessions end now (kept, not deleted:
    the audit trail and corrections name it)."""
    user = get_user(session, username)
    if user.disabled_at is None:
        user.disabled_at = now or utcnow()
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
        append_event(session, user.agency_id, "user.disabled", actor_key_id=actor_key_id,
                     actor_user_id=actor_user_id, subject_type="user", subject_id=user.id)
        log.info("staff account %s disabled", user.id)
    return user


def set_signer(session: Session, username: str, *, p12: str | None = None,
               password_env: str | None = None, password_file: str | None = None,
               pkcs11_key: str | None = None, cert: str | None = None,
               actor_key_id: uuid.UUID | None = None) -> User:
    """Name the person's own signing certificate (``personal_signers`` loads it): a PKCS#12 file
    with its password in an environment variable or a file, or a key on the deployment's
    PKCS#11 token; nothing at all clears it (the agency's digitizer signs again)."""
    if p12 and pkcs11_key:
        raise _bad("sign_config", "Give a PKCS#12 file or a token key, not both.",
                   "Chỉ chọn một: tệp PKCS#12 hoặc khóa trên thiết bị ký số.")
    if p12 and bool(password_env) == bool(password_file):
        raise _bad("sign_config",
                   "A PKCS#12 file needs where its password is: --password-env VAR or "
                   "--password-file FILE (one of them).",
                   "Tệp PKCS#12 cần chỉ rõ mật khẩu nằm ở đâu: --password-env BIẾN hoặc "
                   "--password-file TỆP (chọn một).")
    if password_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        raise _bad("sign_config", f"{password_env!r} is not an environment variable name.",
                   f"{password_env!r} không phải là tên biến môi trường.")
    user = get_user(session, username)
    user.signer_p12 = p12
    user.signer_password_env = password_env if p12 else None
    user.signer_password_file = password_file if p12 else None
    user.signer_pkcs11_key = pkcs11_key
    user.signer_cert = cert if pkcs11_key else None
    kind = "pkcs12" if p12 else "pkcs11" if pkcs11_key else None
    append_event(session, user.agency_id, "user.signer_set", actor_key_id=actor_key_id,
                 subject_type="user", subject_id=user.id, details={"kind": kind})
    return user


# --- logging in ----------------------------------------------------------------------------------


def authenticate(index: Index, username: str, password: str, settings: Settings,
                 now: datetime | None = None) -> User:
    """The live account ``username`` whose password this is, with its agency loaded.

    Raises ``LoginFailed`` or ``AccountLocked`` only after the failure count is committed.
    """
    now = now or utcnow()
    name = username.strip().lower()
    with index.session() as session:
        user = session.scalars(select(User).where(User.username == name)).one_or_none()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until, now)
    too_long = len(password) > MAX_PASSWORD_CHARS
    matches = _verify(user.password_hash if user else _dummy_hash(), password[:MAX_PASSWORD_CHARS])
    if user is None or user.disabled_at is not None:
        raise LoginFailed()
    refusal: SohoaError | None = None
    with index.session() as session:
        row = session.scalars(select(User).where(User.id == user.id).with_for_update(of=User)
                              .execution_options(populate_existing=True)).one()
        if row.disabled_at is not None:
            refusal = LoginFailed()
        elif row.locked_until is not None and row.locked_until > now:
            refusal = AccountLocked(row.locked_until, now)  # locked by a parallel attempt
        elif matches and not too_long:
            row.failed_logins, row.locked_until = 0, None
            if HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            append_event(session, row.agency_id, "user.login", actor_user_id=row.id,
                         subject_type="user", subject_id=row.id)
        else:
            row.failed_logins += 1
            if row.failed_logins >= settings.login_max_failures:
                row.failed_logins = 0
                row.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                refusal = AccountLocked(row.locked_until, now)
                append_event(session, row.agency_id, "user.locked", subject_type="user",
                             subject_id=row.id, details={"until": row.locked_until})
                log.warning("staff account %s locked after repeated wrong passwords", row.id)
            else:
                refusal = LoginFailed()
                append_event(session, row.agency_id, "user.login_failed", subject_type="user",
                             subject_id=row.id, details={"failures": row.failed_logins})
        user = row
    if refusal is not None:
        raise refusal
    return user


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the API needs it, detached from the database."""

    user: User
    expires_at: datetime
    """When it ends at the latest (absolute limit); unused for ``session_idle_minutes``, sooner."""
    idle_expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session whose cookie holds ``token``: an HMAC of it, so only a page
    that was given it (or can read the cookie, which HttpOnly forbids) knows it."""
    mac = hmac.new(token.encode("utf-8"), b"sohoa csrf v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_matches(token: str, sent: str) -> bool:
    """Whether ``sent`` (the ``X-CSRF-Token`` header) is the CSRF token of session ``token``;
    compared in constant time."""
    return hmac.compare_digest(sent.encode("utf-8"), csrf_token(token).encode("utf-8"))


def start_session(session: Session, user: User, settings: Settings,
                  now: datetime | None = None) -> tuple[str, SessionInfo]:
    """A new session of ``user``: the token for the cookie (it exists only in this return
    value) and the session's limits. Also clears out sessions that have ended."""
    now = now or utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    session.execute(delete(StaffSession).where(or_(StaffSession.expires_at <= now,
                                                   StaffSession.last_seen_at <= now - idle)))
    token = secrets.token_urlsafe(32)
    row = StaffSession(id=uuid.uuid4(), user_id=user.id, token_hash=_token_hash(token),
                       created_at=now, last_seen_at=now,
                       expires_at=now + timedelta(hours=settings.session_max_hours))
    session.add(row)
    session.flush()
    return token, SessionInfo(user, row.expires_at, min(row.expires_at, now + idle))


def session_user(session: Session, token: str, settings: Settings,
                 now: datetime | None = None) -> SessionInfo | None:
    """The live session whose cookie holds ``token`` (and its still enabled user), else None.
    Using it keeps it alive: ``last_seen_at`` moves on (at most once a minute)."""
    now = now or utcnow()
    row = session.scalars(select(StaffSession).where(
        StaffSession.token_hash == _token_hash(token))).one_or_none()
    if row is None:
        return None
    idle = timedelta(minutes=settings.session_idle_minutes)
    user = session.get(User, row.user_id)
    if row.expires_at <= now or row.last_seen_at + idle <= now or user is None \
            or user.disabled_at is not None:
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return SessionInfo(user, row.expires_at, min(row.expires_at, row.last_seen_at + idle))


def end_session(session: Session, token: str) -> StaffSession | None:
    """Log out: the session row is deleted, so its cookie opens nothing any more. Returns the
    ended session (None when there was none)."""
    row = session.scalars(select(StaffSession).where(
        StaffSession.token_hash == _token_hash(token))).one_or_none()
    if row is not None:
        session.delete(row)
        session.flush()
    return row
