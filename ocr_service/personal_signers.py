"""A person's own digitizer signer: where a staff account has its own signing certificate
(``sohoa users set-signer``), the record's digitizer signature is theirs, not the agency's
digitizer certificate (Decree 45/2020: the person who digitizes signs the result).

The account names *where* the secret is, never the secret: a PKCS#12 file with its password in
an environment variable (by name) or a file readable by the service, or a key label on the
deployment's PKCS#11 token (``SOHOA_SIGN_PKCS11_MODULE``/``_TOKEN``/``_PIN``). Loading goes through
the installation's own signer loading (``signers``), with the person's configuration put in the
digitizer's place, so a person's certificate is read exactly as the installation's is.

Signers are kept per configuration (a PKCS#12 key is parsed once; a token is logged in once per
process, as ``signers`` does for the installation's): a worker making many records for one clerk
loads their key once. Changing a password in the environment needs a worker restart, as for the
installation's signers.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from pydantic import SecretStr
from pyhanko.sign.signers.pdf_cms import Signer

from . import signers
from .config import Settings
from .errors import SohoaError
from .store.index import Index, User, database_url


def _config_error(en: str, vi: str) -> SohoaError:
    return SohoaError(en, vi, code="sign_config")


def _password(user: User) -> str:
    """The PKCS#12 password from where the account says it is."""
    if user.signer_password_env:
        value = os.environ.get(user.signer_password_env)
        if value is None:
            raise _config_error(
                f"The signing password of staff account {user.username} should be in the "
                f"environment variable {user.signer_password_env}, which is not set.",
                f"Mật khẩu chứng thư ký của tài khoản {user.username} phải nằm trong biến môi "
                f"trường {user.signer_password_env}, nhưng biến này chưa được đặt.")
        return value
    if user.signer_password_file:
        try:
            return Path(user.signer_password_file).read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise _config_error(
                f"Cannot read the signing password file of staff account {user.username}: "
                f"{exc.strerror}.",
                f"Không đọc được tệp mật khẩu chứng thư ký của tài khoản {user.username}: "
                f"{exc.strerror}.") from exc
    raise _config_error(
        f"Staff account {user.username} has a PKCS#12 file but no password source.",
        f"Tài khoản {user.username} có tệp PKCS#12 nhưng chưa chỉ rõ nguồn mật khẩu.")


def signer_of(settings: Settings, user: User) -> Signer | None:
    """The person's own signer from their account's configuration, or None if they have none."""
    if user.signer_p12:
        return _cached(settings, ("p12", user.signer_p12, _password(user)), user.username)
    if user.signer_pkcs11_key:
        return _cached(settings, ("pkcs11", user.signer_pkcs11_key, user.signer_cert or ""),
                       user.username)
    return None


_loaded: dict[tuple[object, ...], Signer] = {}
_loading = threading.Lock()


def _cached(settings: Settings, config: tuple[str, str, str], username: str) -> Signer:
    """The signer of ``config``, loaded once per process (and per token set-up)."""
    key = (*config, settings.sign_pkcs11_module, settings.sign_pkcs11_token)
    with _loading:
        if key not in _loaded:
            signer = signers.load_signer(settings, _signer_config(config),
                                         f"The signing key of staff account {username}")
            assert signer is not None  # the config names a signer by construction
            _loaded[key] = signer
        return _loaded[key]


def _signer_config(config: tuple[str, str, str]) -> signers.SignerConfig:
    kind, where, extra = config
    if kind == "p12":
        return signers.SignerConfig(p12=Path(where), password=SecretStr(extra))
    return signers.SignerConfig(key=where, cert=Path(extra) if extra else None)


def digitizer_for(settings: Settings, user_id: uuid.UUID | None, *,
                  index: Index | None = None) -> Signer | None:
    """The digitizer signer of the person ``user_id`` (None: no person, or they have no
    certificate of their own, and the installation's digitizer signs). ``index``: the open index
    to read the account from (default: open ``SOHOA_DATABASE_URL`` for this call)."""
    if user_id is None:
        return None
    opened = index or Index(database_url(settings))
    try:
        with opened.session() as session:
            user = session.get(User, user_id)
    finally:
        if index is None:
            opened.close()
    return signer_of(settings, user) if user is not None else None
