"""Signers and time-stamping authorities for PAdES: who signs, with which key, and who vouches
for the time.

Why it is written the way it is:

* The signer keeps its parsed private key (:class:`KeptKeySigner`): pyHanko's ``SimpleSigner``
  parses the key again for every signature, about half the cost of signing.
* ``SimpleSigner.load_pkcs12`` returns ``None`` on a wrong password; :func:`load_pkcs12_signer`
  turns every failure into a :class:`~ocr_service.errors.SohoaError` the operator can act on.
* A PKCS#11 token is logged in once per process (see :func:`_token_session`).

Kept apart from the appearance (:mod:`.sign_appearance`) and the PAdES policy (:mod:`.sign`) as
pyHanko keeps ``sign/signers``, ``sign/timestamps`` and ``stamp`` apart.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError, InsufficientRevinfoError, NotYetValidError, PathBuildingError, PathError,
    RevokedError, ValidationError,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ocr_service.errors import SohoaError

# Libraries, not this module, decide what their warnings are worth; without a handler Python would
# print pyHanko's tracebacks for every signature it judges invalid (those findings are in the
# report) and fontTools' notes on the tables it drops while subsetting the font.
for _name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

RevocationMode = Literal["soft-fail", "hard-fail", "require"]


# --------------------------------------------------------------------------- errors


def signer_error(code: str, en: str, vi: str) -> SohoaError:
    return SohoaError(en, vi, code=code)


CERTIFICATE_PROBLEMS: dict[str, tuple[str, str]] = {
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "no chain to a trusted root CA",
        "không dựng được chuỗi tới CA gốc tin cậy",
    ),
    "REVOKED": ("the certificate is revoked", "chứng thư số đã bị thu hồi"),
    "REVOKED_NO_POE": ("the certificate is revoked", "chứng thư số đã bị thu hồi"),
    "OUT_OF_BOUNDS_NO_POE": (
        "the certificate is expired or not yet valid",
        "chứng thư số đã hết hạn hoặc chưa có hiệu lực",
    ),
    "EXPIRED": ("the certificate is expired", "chứng thư số đã hết hạn"),
    "TRY_LATER": ("revocation status unavailable", "chưa lấy được tình trạng thu hồi"),
    "CHAIN_CONSTRAINTS_FAILURE": (
        "the certificate chain breaks its constraints",
        "chuỗi chứng thư vi phạm ràng buộc",
    ),
}
"""What is wrong with a certificate, in English and Vietnamese, by pyHanko's AdES sub-indication:
``verify`` says it of a signature already made, ``refused`` of a signer before it signs."""

_REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (RevokedError, "REVOKED"),
    (ExpiredError, "EXPIRED"),
    (NotYetValidError, "OUT_OF_BOUNDS_NO_POE"),
    (InsufficientRevinfoError, "TRY_LATER"),
    (PathBuildingError, "NO_CERTIFICATE_CHAIN_FOUND"),
)
"""The sub-indication that says each error the certificate validator raises before a signature
(pyHanko's validation says OUT_OF_BOUNDS_NO_POE for an expired signer, where "expired" is
exact)."""


SIGNER_CERTIFICATE = ("the signer's certificate", "chứng thư số của người ký")
TSA_CERTIFICATE = ("the time-stamping authority's certificate",
                   "chứng thư số của máy chủ cấp dấu thời gian")


def refused(whose: tuple[str, str], cause: BaseException) -> SohoaError:
    """``sign_failed`` naming whose certificate could not be used and why, in English and
    Vietnamese, from pyHanko's validation error. Any other error is named by its kind only:
    pyHanko's texts name the certificate's holder, who may be a person, and error messages
    reach logs and job records."""
    en, vi = next((CERTIFICATE_PROBLEMS[name] for kind, name in _REFUSALS if isinstance(cause, kind)),
                  (f"certificate check failed ({type(cause).__name__})",
                   f"kiểm tra chứng thư số không đạt ({type(cause).__name__})"))
    return signer_error("sign_failed", f"Signing failed: {whose[0]} cannot be used: {en}.",
                        f"Ký số thất bại: {whose[1]} không dùng được: {vi}.")


# --------------------------------------------------------------------------- signers


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """pyHanko speaks asn1crypto; the rest of sohoa speaks ``cryptography``."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class KeptKeySigner(Signer):
    """A pyHanko :class:`Signer` over a private key parsed once and kept in memory.

    Supports RSA (PKCS#1 v1.5, or PSS when ``prefer_pss``) and ECDSA keys: what Vietnamese CAs
    issue.
    """

    def __init__(
        self,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        cert: x509.Certificate,
        chain: Iterable[x509.Certificate] = (),
        *,
        prefer_pss: bool = False,
    ) -> None:
        super().__init__(
            prefer_pss=prefer_pss,
            signing_cert=_to_asn1(cert),
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1(c) for c in chain]),
        )
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if isinstance(self._key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
            return self._key.sign(data, padding.PKCS1v15(), hash_algo)
        if isinstance(self._key, rsa.RSAPrivateKey) and mechanism == "rsassa_pss":
            pss = padding.PSS(padding.MGF1(hash_algo), hash_algo.digest_size)
            return self._key.sign(data, pss, hash_algo)
        if isinstance(self._key, ec.EllipticCurvePrivateKey) and mechanism == "ecdsa":
            return self._key.sign(data, ec.ECDSA(hash_algo))
        raise SigningError(f"Signature mechanism {mechanism} is not supported by this signer.")


def _read_signer_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise signer_error(
            "signer_unreadable",
            f"Cannot read the PKCS#12 signing file {path}: {exc.strerror or exc}.",
            f"Không đọc được tệp chữ ký PKCS#12 {path}: {exc.strerror or exc}.",
        ) from exc


def load_pkcs12_signer(path: Path, password: str | bytes | None) -> KeptKeySigner:
    """A signer from a PKCS#12 (.p12/.pfx) file, its key parsed once and kept.

    Raises :class:`SohoaError` with code ``signer_bad_password`` when the password does not open the
    file, ``signer_unreadable`` when the file cannot be read or is not PKCS#12, and
    ``signer_unsupported`` when it holds no certificate or an unsupported key type.
    """
    data = _read_signer_file(path)
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        if "password" in str(exc).lower():
            raise signer_error(
                "signer_bad_password",
                f"Wrong password for the PKCS#12 signing file {path}.",
                f"Sai mật khẩu của tệp chữ ký PKCS#12 {path}.",
            ) from exc
        raise signer_error(
            "signer_unreadable",
            f"{path} is not a readable PKCS#12 file: {exc}.",
            f"{path} không phải tệp PKCS#12 đọc được: {exc}.",
        ) from exc
    if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise signer_error(
            "signer_unsupported",
            f"{path} must hold one certificate with its RSA or EC private key.",
            f"{path} phải chứa một chứng thư số cùng khóa bí mật RSA hoặc EC của nó.",
        )
    return KeptKeySigner(key, cert, chain)


_TOKEN_SESSIONS: dict[tuple[str, str], tuple[Any, str]] = {}
_TOKEN_LOCK = threading.Lock()


def _token_session(module: Path, token_label: str, pin: str) -> Any:
    """One logged-in session per token and process, shared by the signers that use the token.

    PKCS#11 logs in per application: a second login is refused (``UserAlreadyLoggedIn``) while a
    session without a PIN would silently ride on the first. So the first PIN opens the session and a
    later signer must present the same PIN to share it.
    """
    from pkcs11 import exceptions as p11_errors
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    key = (str(module), token_label)
    with _TOKEN_LOCK:
        if key in _TOKEN_SESSIONS:
            session, known_pin = _TOKEN_SESSIONS[key]
            if not hmac.compare_digest(known_pin.encode(), pin.encode()):
                raise _bad_pin(token_label)
            return session
        try:
            session = open_pkcs11_session(
                str(module), token_criteria=TokenCriteria(label=token_label), user_pin=pin
            )
        except p11_errors.PinIncorrect as exc:
            raise _bad_pin(token_label) from exc
        except (OSError, RuntimeError, p11_errors.PKCS11Error) as exc:
            raise signer_error(
                "signer_unreadable",
                f"Cannot open PKCS#11 token {token_label!r} with module {module}: {exc}.",
                f"Không mở được thiết bị ký số PKCS#11 {token_label!r} qua thư viện {module}: "
                f"{exc}.",
            ) from exc
        _TOKEN_SESSIONS[key] = (session, pin)
        return session


def _bad_pin(token_label: str) -> SohoaError:
    return signer_error(
        "signer_bad_pin",
        f"The PIN of PKCS#11 token {token_label!r} was refused.",
        f"Mã PIN của thiết bị ký số PKCS#11 {token_label!r} không đúng.",
    )


def open_pkcs11_signer(
    module: Path,
    *,
    token_label: str,
    pin: str,
    key_label: str,
    cert: x509.Certificate | None = None,
    chain: Iterable[x509.Certificate] = (),
) -> Signer:
    """A signer over a key that never leaves a PKCS#11 token (USB token, HSM, SoftHSM).

    The session stays open for the life of the signer, so the token is logged in once, not per
    document. The certificate is read from the token under ``key_label`` unless ``cert`` is given
    (some tokens hold only the key). Raises :class:`SohoaError`: ``signer_bad_pin`` when the PIN is
    refused, ``signer_unreadable`` when the module, token or key cannot be found.
    """
    # Imported here: python-pkcs11 is only needed where a token is configured.
    from pkcs11 import exceptions as p11_errors
    from pyhanko.sign.pkcs11 import PKCS11Signer

    session = _token_session(module, token_label, pin)
    signer = PKCS11Signer(
        session,
        key_label=key_label,
        cert_label=None if cert is not None else key_label,
        signing_cert=_to_asn1(cert) if cert is not None else None,
        ca_chain=[_to_asn1(c) for c in chain],
    )
    try:
        _ = signer.signing_cert  # fetched lazily: fail now, not in the middle of a batch
    except (SigningError, p11_errors.PKCS11Error) as exc:
        detail = str(exc).rstrip(".")
        raise signer_error(
            "signer_unreadable",
            f"No key or certificate {key_label!r} on PKCS#11 token {token_label!r}: {detail}.",
            f"Không tìm thấy khóa hoặc chứng thư số {key_label!r} trên thiết bị ký số "
            f"{token_label!r}: {detail}.",
        ) from exc
    return signer


def http_timestamper(url: str, *, timeout: float = 10.0) -> HTTPTimeStamper:
    """An RFC 3161 client for the TSA at ``url`` (B-T and above)."""
    return HTTPTimeStamper(url, timeout=timeout)


def local_timestamper(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, chain: Iterable[x509.Certificate] = ()
) -> DummyTimeStamper:
    """An in-process TSA for tests and the development PKI (no HTTP; RSA keys only)."""
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=_to_asn1(cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        certs_to_embed=SimpleCertificateStore.from_certs([_to_asn1(c) for c in chain]),
    )


def context_kwargs(
    trust_roots: Sequence[x509.Certificate],
    *,
    other_certs: Iterable[x509.Certificate],
    crls: Iterable[x509.CertificateRevocationList],
    allow_fetching: bool,
    revocation_mode: RevocationMode,
) -> dict[str, Any]:
    return {
        "trust_roots": [_to_asn1(c) for c in trust_roots],
        "other_certs": [_to_asn1(c) for c in other_certs],
        "crls": [c.public_bytes(serialization.Encoding.DER) for c in crls],
        "allow_fetching": allow_fetching,
        "revocation_mode": revocation_mode,
    }


RESPONDER_TOLERANCE = timedelta(seconds=60)
"""How much newer than the moment a signing check starts an OCSP answer or a CRL may be and still
count (a slow responder, two clocks a little apart); pyHanko's default is one second, so an
answer that took longer to come was set aside as not yet issued."""


@dataclass(frozen=True)
class SigningValidation:
    """What judges a signer's certificate when it signs: trust roots, extra certificates and
    revocation information, fetched or given, with the revocation mode. Each signature gets a
    fresh pyHanko context from it (``context``).

    Why not one ``ValidationContext`` kept for a service's life: pyHanko fixes a context's
    validation time when the context is made, and keeps what it fetched. A worker that kept one
    judged every later certificate at its start: an OCSP answer issued since was "too new" and
    set aside, and a CRL still in force that did not yet list a revoked certificate let it sign
    B-LT records (it happened in a test whenever the digitizer's signature, before the agency's,
    took more than a second).

    B-LT signing embeds the CRLs and OCSP answers it gets here (or fetches, with
    ``allow_fetching``) into the DSS; use ``revocation_mode="hard-fail"`` there so a record never
    claims B-LT without them.
    """

    trust_roots: tuple[x509.Certificate, ...]
    other_certs: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    allow_fetching: bool = False
    revocation_mode: RevocationMode = "soft-fail"

    def context(self) -> ValidationContext:
        """A new pyHanko context, judging at this moment, with nothing fetched yet."""
        return ValidationContext(
            **context_kwargs(
                self.trust_roots,
                other_certs=self.other_certs,
                crls=self.crls,
                allow_fetching=self.allow_fetching,
                revocation_mode=self.revocation_mode,
            ),
            time_tolerance=RESPONDER_TOLERANCE,
        )


def signing_validation(
    trust_roots: Sequence[x509.Certificate],
    *,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable[x509.CertificateRevocationList] = (),
    allow_fetching: bool = False,
    revocation_mode: RevocationMode = "soft-fail",
) -> SigningValidation:
    """:class:`SigningValidation` from any sequences of certificates and CRLs."""
    return SigningValidation(tuple(trust_roots), tuple(other_certs), tuple(crls),
                             allow_fetching, revocation_mode)


RECHECK_AFTER = 300.0
"""Seconds for which a certificate that passed ``check_signer`` is not judged again (in this
process, under the same trust roots): a responder behind a firewall that drops the request costs
its timeout (10 s a request) once in five minutes, not at every signature, and a revocation
still stops the signer within five minutes."""
_PASSED: dict[tuple[bytes, tuple[bytes, ...]], float] = {}


def check_signer(signer: Signer, validation: SigningValidation) -> None:
    """Refuse, before a B-B or B-T signature, a certificate that is revoked, expired, not yet
    valid or outside the trust roots: its record could never be valid, and would be locked in
    the archive all the same. Those levels carry no revocation data, so a status that cannot be
    had (no responder reachable, a CRL out of date) is logged and the signature goes ahead, as
    it did before this check. (B-LT and above are judged by pyHanko itself, strictly, every
    time.)"""
    key = (signer.signing_cert.sha256,
           tuple(root.fingerprint(hashes.SHA256()) for root in validation.trust_roots))
    if time.monotonic() - _PASSED.get(key, float("-inf")) < RECHECK_AFTER:
        return
    validator = CertificateValidator(
        signer.signing_cert, intermediate_certs=signer.cert_registry,
        validation_context=replace(validation, revocation_mode="soft-fail").context(),
    )
    try:
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except InsufficientRevinfoError as exc:
        # pyHanko's text names the certificate's holder, a person for the digitizer: not logged.
        log.warning("signing without a revocation status for the signer's certificate (%s)",
                    type(exc).__name__)
    except (PathError, ValidationError) as exc:
        raise refused(SIGNER_CERTIFICATE, exc) from exc
    _PASSED[key] = time.monotonic()


def subject_name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)



def signer_name(signer: Signer) -> str:
    """The common name of the signer's certificate: what the visible signature shows."""
    if signer.signing_cert is None:
        raise signer_error(
            "signer_unsupported",
            "The signer has no certificate.",
            "Bộ ký số không có chứng thư số.",
        )
    return subject_name(signer.signing_cert)

