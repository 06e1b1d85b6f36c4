"""The record signer and the verifier's trust roots, built from Settings.

Production names PKCS#12 files (or, later, a token) and a TSA; development has none of those, so
the test PKI under ``SOHOA_PKI_DIR`` (created on first use, every certificate labelled THỬ
NGHIỆM) signs, timestamps with its in-process TSA, and is the only root a development verifier
trusts. A production set-up never falls back to the test PKI: half a configuration is an error.
"""

from __future__ import annotations

from cryptography import x509

from .config import Settings
from .errors import SohoaError
from .pipeline.sign import (
    RecordSigning, http_timestamper, load_pkcs12_signer, validation_context,
)
from .pki import dev_signing, init_pki, load_certificates, load_pki, pki_exists


def _configured_signers(settings: Settings) -> bool:
    wanted = (settings.sign_digitizer_p12, settings.sign_agency_p12)
    if any(wanted) and not all(wanted):
        raise SohoaError(
            "Set both SOHOA_SIGN_DIGITIZER_P12 and SOHOA_SIGN_AGENCY_P12, or neither.",
            "Cần đặt cả SOHOA_SIGN_DIGITIZER_P12 và SOHOA_SIGN_AGENCY_P12, hoặc không đặt biến nào.",
            code="sign_config",
        )
    return all(wanted)


def record_signing(settings: Settings) -> RecordSigning:
    """The signatures every record of this installation gets."""
    agency_name = settings.sign_agency_name or settings.converting_unit
    if not _configured_signers(settings):
        paths = init_pki(settings.pki_folder)  # loads the one already there
        return dev_signing(paths, agency_name=agency_name, level=settings.sign_level,
                           tsa_url=settings.tsa_url)
    roots = trust_roots(settings)
    return RecordSigning(
        digitizer=load_pkcs12_signer(settings.sign_digitizer_p12, settings.sign_digitizer_password),
        agency=load_pkcs12_signer(settings.sign_agency_p12, settings.sign_agency_password),
        agency_name=agency_name,
        timestamper=http_timestamper(settings.tsa_url) if settings.tsa_url else None,
        level=settings.sign_level,
        validation=validation_context(roots, allow_fetching=True, revocation_mode="hard-fail"),
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
