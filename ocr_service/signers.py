"""The record signer and the verifier's trust roots, built from Settings.

Production names, for each of the two signers, a PKCS#12 file or a key on a PKCS#11 token, and a
TSA; development has none of those, so
the test PKI under ``SOHOA_PKI_DIR`` (created on first use, every certificate labelled THỬ
NGHIỆM) signs, timestamps with its in-process TSA, and is the only root a development verifier
trusts. A production set-up never falls back to the test PKI: half a configuration is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from pydantic import SecretStr
from pyhanko.sign.signers.pdf_cms import Signer

from .config import Settings
from .errors import SohoaError
from .pipeline.sign import (
    RecordSigning,
    http_timestamper,
    load_pkcs12_signer,
    open_pkcs11_signer,
    signing_validation,
)
from .pki import dev_signing, init_pki, load_certificates, load_pki, pki_exists


Role = Literal["digitizer", "agency"]


@dataclass(frozen=True)
class SignerConfig:
    """Where one signer's key is: a PKCS#12 file and its password, or a key label on the
    installation's PKCS#11 token (with its certificate chain in a file, when the token holds
    none). A person's own certificate (``personal_signers``) is described the same way."""

    p12: Path | None = None
    password: SecretStr | None = None
    key: str | None = None
    cert: Path | None = None

    @property
    def configured(self) -> bool:
        return bool(self.p12 or self.key)


def signer_config(settings: Settings, role: Role) -> SignerConfig:
    """The installation's configuration of the ``role`` signer (``SOHOA_SIGN_<ROLE>_*``)."""
    if role == "digitizer":
        return SignerConfig(settings.sign_digitizer_p12, settings.sign_digitizer_password,
                            settings.sign_digitizer_key, settings.sign_digitizer_cert)
    return SignerConfig(settings.sign_agency_p12, settings.sign_agency_password,
                        settings.sign_agency_key, settings.sign_agency_cert)


def load_signer(settings: Settings, config: SignerConfig, what: str) -> Signer | None:
    """The signer ``config`` describes, or None when it describes none. ``what`` names it in
    errors (``SOHOA_SIGN_DIGITIZER_KEY``, a staff account)."""
    if config.p12:
        password = config.password.get_secret_value() if config.password else None
        return load_pkcs12_signer(config.p12, password)
    if config.key:
        if not (settings.sign_pkcs11_module and settings.sign_pkcs11_token):
            raise _config_error(
                f"{what} needs SOHOA_SIGN_PKCS11_MODULE and SOHOA_SIGN_PKCS11_TOKEN.",
                f"{what} cần SOHOA_SIGN_PKCS11_MODULE và SOHOA_SIGN_PKCS11_TOKEN.",
            )
        chain = load_certificates(config.cert) if config.cert else []
        pin = settings.sign_pkcs11_pin.get_secret_value() if settings.sign_pkcs11_pin else ""
        return open_pkcs11_signer(
            settings.sign_pkcs11_module, token_label=settings.sign_pkcs11_token,
            pin=pin, key_label=config.key,
            cert=chain[0] if chain else None, chain=chain[1:],
        )
    return None


def _signer(settings: Settings, role: Role) -> Signer | None:
    """The installation's signer for ``role``, or None if none is configured."""
    return load_signer(settings, signer_config(settings, role), f"SOHOA_SIGN_{role.upper()}_KEY")


def _config_error(en: str, vi: str) -> SohoaError:
    return SohoaError(en, vi, code="sign_config")


def record_signing(settings: Settings) -> RecordSigning:
    """The signatures every record of this installation gets."""
    agency_name = settings.sign_agency_name or settings.converting_unit
    digitizer, agency = _signer(settings, "digitizer"), _signer(settings, "agency")
    if digitizer is None and agency is None:
        paths = init_pki(settings.pki_folder)  # loads the one already there
        return dev_signing(paths, agency_name=agency_name, level=settings.sign_level,
                           tsa_url=settings.tsa_url)
    if digitizer is None or agency is None:
        raise _config_error(
            "Configure both signers (digitizer and agency: a PKCS#12 file or a token key each), or neither.",
            "Cần cấu hình cả hai bộ ký (người số hóa và cơ quan: mỗi bên một tệp PKCS#12 hoặc một khóa "
            "trên thiết bị ký số), hoặc không cấu hình bên nào.",
        )
    roots = trust_roots(settings)
    return RecordSigning(
        digitizer=digitizer,
        agency=agency,
        agency_name=agency_name,
        timestamper=http_timestamper(settings.tsa_url) if settings.tsa_url else None,
        level=settings.sign_level,
        validation=signing_validation(roots, allow_fetching=True, revocation_mode="hard-fail"),
    )


def trust_roots(settings: Settings) -> list[x509.Certificate]:
    """The root certificates signatures must chain to."""
    if settings.trust_roots:
        return [cert for path in settings.trust_roots for cert in _read_roots(path)]
    if pki_exists(settings.pki_folder):
        return load_certificates(load_pki(settings.pki_folder).root_cert)
    raise SohoaError(
        "No trust roots: set SOHOA_TRUST_ROOTS to the root CA certificates (PEM), or create the "
        "development PKI with `sohoa pki init`.",
        "Chưa có chứng thư gốc tin cậy: đặt SOHOA_TRUST_ROOTS là các chứng thư CA gốc (PEM), hoặc "
        "tạo PKI thử nghiệm bằng lệnh `sohoa pki init`.",
        code="no_trust_roots",
    )


def _read_roots(path) -> list[x509.Certificate]:
    try:
        return load_certificates(path)
    except (OSError, ValueError) as exc:
        raise SohoaError(
            f"Cannot read trust roots from {path}: {exc}",
            f"Không đọc được chứng thư gốc tin cậy từ {path}: {exc}",
            code="no_trust_roots",
        ) from exc
