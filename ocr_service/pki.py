"""A development and test PKI: root CA, intermediate CA, TSA, digitizer and agency certificates.

Why it exists and how it is built:

* ``make run``, ``sohoa process`` and the tests must sign e-records on a machine that has no real
  certificate, so the service can create its own small PKI. Every subject says it is test material
  (``CHỈ DÙNG THỬ NGHIỆM``), and so does the ``README.txt`` written beside the keys: a record signed
  with it must never pass for a real one, and it does not, because production verification trusts
  only the national root CAs.
* It is made with ``cryptography`` alone (certomancer loads key files but does not generate them),
  with RSA 2048 keys: fast enough to create, accepted everywhere, and the only key type pyHanko's
  in-process test TSA (``DummyTimeStamper``) can sign with.
* The chain mirrors a real Vietnamese one (root → issuing CA → personal / organisation / TSA
  certificates), so path building and trust decisions are exercised as they will be in production.
* Each CA publishes a CRL, written next to the certificates. Certificates name the CRL's URL under
  ``base_url`` (default: the loopback dev server, :func:`serve_pki`), so B-LT signing finds the
  revocation information either from the files (:func:`load_crls`) or over HTTP. The same server
  is an RFC 3161 TSA for B-T (:func:`dev_timestamper` is that TSA without HTTP).
* Validity windows are derived from ``now`` only, so tests can build a PKI "in the past" or
  "in the future" deterministically.
* It is idempotent: an existing PKI is loaded, never silently replaced, because replacing it would
  make every record signed so far untrusted by the development trust root.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

from ocr_service.errors import SohoaError
from ocr_service.pipeline.sign import (
    Level,
    RecordSigning,
    http_timestamper,
    load_pkcs12_signer,
    local_timestamper,
    signing_validation,
)

DEFAULT_PASSWORD = "sohoa-thu-nghiem"
"""Password of the test PKCS#12 files when none is given. Test material only: it is public."""

DEFAULT_BASE_URL = "http://127.0.0.1:8765/pki"
"""Where the certificates say their CRLs are published; :func:`serve_pki` serves exactly there."""

DEV_AGENCY_NAME = "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm (THỬ NGHIỆM)"
"""Agency name shown on records signed with the test PKI (the certificate's CN is shorter)."""

PKI_JSON = "pki.json"
TEST_LABEL = "CHỈ DÙNG THỬ NGHIỆM"
TEST_ORGANIZATION = f"Sohoa - dữ liệu thử nghiệm ({TEST_LABEL})"
KEY_SIZE = 2048

README_TEXT = f"""\
PKI THỬ NGHIỆM CỦA SOHOA — {TEST_LABEL}
==========================================

Thư mục này chứa một hạ tầng khóa công khai (PKI) do lệnh `sohoa pki init` tạo ra để phát triển
và kiểm thử. Các chứng thư số ở đây KHÔNG có giá trị pháp lý. Không dùng chúng để ký hồ sơ thật.
Mật khẩu mặc định của các tệp PKCS#12 là "{DEFAULT_PASSWORD}" và được công bố công khai.

SOHOA TEST PKI — TEST MATERIAL ONLY
This folder holds a public-key infrastructure created by `sohoa pki init` for development and
tests. Its certificates have NO legal value. Never use them to sign real records. The default
password of the PKCS#12 files is "{DEFAULT_PASSWORD}" and is public.

Files / Tệp:
  root-ca.pem           test root CA (trust anchor for development only)
  intermediate-ca.pem   issuing CA
  ca-chain.pem          intermediate + root (PEM)
  tsa.pem, tsa-key.pem  time-stamping authority (extendedKeyUsage timeStamping, critical)
  digitizer.p12/.pem    personal certificate of the person who digitizes (người số hóa)
  agency.p12/.pem       organisation certificate of the agency (cơ quan)
  root-ca.crl, intermediate-ca.crl   revocation lists published under base_url
  pki.json              paths, subjects and settings of this PKI
"""


@dataclass(frozen=True)
class PkiPaths:
    """Where the files of one test PKI are, as recorded in its ``pki.json``."""

    folder: Path
    root_cert: Path
    intermediate_cert: Path
    ca_chain: Path
    tsa_cert: Path
    tsa_key: Path
    digitizer_p12: Path
    digitizer_cert: Path
    agency_p12: Path
    agency_cert: Path
    root_crl: Path
    intermediate_crl: Path
    password: str
    base_url: str

    def to_json(self) -> dict[str, str]:
        """Paths relative to the folder, so the PKI folder can be moved or mounted elsewhere."""
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if name == "folder":
                continue
            out[name] = value.name if isinstance(value, Path) else value
        return out

    @classmethod
    def from_json(cls, folder: Path, data: dict[str, str]) -> PkiPaths:
        text_fields = {"password", "base_url"}
        values: dict[str, Any] = {
            k: (v if k in text_fields else folder / v) for k, v in data.items()
        }
        return cls(folder=folder, **values)


@dataclass(frozen=True)
class _Issued:
    """A certificate with its private key, as the issuer of the next one needs both."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class _Profile:
    """What distinguishes one certificate of the PKI from another."""

    subject: x509.Name
    lifetime: timedelta
    ca: bool = False
    path_length: int | None = None
    extended_usage: tuple[x509.ObjectIdentifier, ...] = ()


def _name(common_name: str, organization: str = TEST_ORGANIZATION, **extra: str) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ]
    if "province" in extra:
        attributes.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, extra["province"]))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


# X.509 limits these names to 64 bytes of UTF-8 (cryptography enforces it): Vietnamese letters take
# two or three bytes each, hence the short forms below.
YEAR = timedelta(days=365)
PROFILES: dict[str, _Profile] = {
    "root": _Profile(_name(f"Sohoa CA gốc ({TEST_LABEL})"), 20 * YEAR, ca=True, path_length=1),
    "intermediate": _Profile(
        _name(f"Sohoa CA cấp chứng thư ({TEST_LABEL})"),
        10 * YEAR,
        ca=True,
        path_length=0,
    ),
    "tsa": _Profile(
        _name(f"Sohoa máy chủ dấu thời gian ({TEST_LABEL})"),
        10 * YEAR,
        extended_usage=(ExtendedKeyUsageOID.TIME_STAMPING,),
    ),
    "digitizer": _Profile(
        _name(f"Nguyễn Văn Số Hóa ({TEST_LABEL})", province="Thử Nghiệm"), 3 * YEAR
    ),
    "agency": _Profile(
        _name(
            "Trung tâm Phục vụ hành chính công (THỬ NGHIỆM)",
            organization="UBND tỉnh Thử Nghiệm (THỬ NGHIỆM)",
            province="Thử Nghiệm",
        ),
        3 * YEAR,
    ),
}
BACKDATE = timedelta(hours=1)
"""Certificates start an hour before ``now`` so that clocks a little behind still accept them."""


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _key_usage(profile: _Profile) -> x509.KeyUsage:
    """CAs sign certificates and CRLs; end entities sign documents (non-repudiation)."""
    return x509.KeyUsage(
        digital_signature=not profile.ca,
        content_commitment=not profile.ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=profile.ca,
        crl_sign=profile.ca,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_url(base_url: str, issuer_role: str) -> str:
    return f"{base_url.rstrip('/')}/{issuer_role}-ca.crl"


def _issue(
    role: str,
    issuer: _Issued | None,
    *,
    now: datetime,
    serial: int,
    base_url: str,
    issuer_role: str | None,
) -> _Issued:
    """One certificate of ``role``, signed by ``issuer`` (self-signed when there is none)."""
    profile = PROFILES[role]
    key = _key()
    issuer_name = issuer.cert.subject if issuer else profile.subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(profile.subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + profile.lifetime)
        .add_extension(
            x509.BasicConstraints(ca=profile.ca, path_length=profile.path_length), critical=True
        )
        .add_extension(_key_usage(profile), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if issuer_role is not None:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(_crl_url(base_url, issuer_role))],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if profile.extended_usage:
        # RFC 3161 §2.3: a TSA certificate carries exactly this usage, marked critical.
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(profile.extended_usage)), critical=True
        )
    return _Issued(builder.sign(signing_key, hashes.SHA256()), key)


def _empty_crl(
    issuer: _Issued, now: datetime, lifetime: timedelta
) -> x509.CertificateRevocationList:
    """A CRL revoking nothing, valid as long as the certificates it speaks for."""
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - BACKDATE)
        .next_update(now + lifetime)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _pkcs12(name: str, leaf: _Issued, chain: list[x509.Certificate], password: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        name.encode(),
        leaf.key,
        leaf.cert,
        chain,
        serialization.BestAvailableEncryption(password.encode()),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def pki_exists(folder: Path) -> bool:
    """True when ``folder`` already holds a PKI made by :func:`init_pki`."""
    return (Path(folder) / PKI_JSON).is_file()


def load_pki(folder: Path) -> PkiPaths:
    """The paths of the PKI in ``folder``; a clear error when there is none."""
    folder = Path(folder)
    try:
        data = json.loads((folder / PKI_JSON).read_text(encoding="utf-8"))
        return PkiPaths.from_json(folder, data)
    except (OSError, ValueError, TypeError) as exc:
        raise SohoaError(
            f"No usable test PKI in {folder} ({exc}); create one with `sohoa pki init {folder}`.",
            f"Không có PKI thử nghiệm dùng được trong {folder} ({exc}); "
            f"hãy tạo bằng lệnh `sohoa pki init {folder}`.",
            code="pki_missing",
        ) from exc


def init_pki(
    folder: Path,
    *,
    now: datetime | None = None,
    password: str = DEFAULT_PASSWORD,
    base_url: str = DEFAULT_BASE_URL,
    overwrite: bool = False,
) -> PkiPaths:
    """Create the test PKI in ``folder`` (or load the one already there unless ``overwrite``).

    ``now`` fixes every validity window (default: the current UTC time); ``base_url`` is where the
    certificates say their CRLs are published.
    """
    folder = Path(folder)
    if pki_exists(folder) and not overwrite:
        return load_pki(folder)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    folder.mkdir(parents=True, exist_ok=True)

    root = _issue("root", None, now=now, serial=1, base_url=base_url, issuer_role=None)
    inter = _issue("intermediate", root, now=now, serial=2, base_url=base_url, issuer_role="root")
    leaves = {
        role: _issue(
            role, inter, now=now, serial=serial, base_url=base_url, issuer_role="intermediate"
        )
        for serial, role in enumerate(("tsa", "digitizer", "agency"), start=10)
    }
    chain = [inter.cert, root.cert]
    paths = PkiPaths(
        folder=folder,
        root_cert=folder / "root-ca.pem",
        intermediate_cert=folder / "intermediate-ca.pem",
        ca_chain=folder / "ca-chain.pem",
        tsa_cert=folder / "tsa.pem",
        tsa_key=folder / "tsa-key.pem",
        digitizer_p12=folder / "digitizer.p12",
        digitizer_cert=folder / "digitizer.pem",
        agency_p12=folder / "agency.p12",
        agency_cert=folder / "agency.pem",
        root_crl=folder / "root-ca.crl",
        intermediate_crl=folder / "intermediate-ca.crl",
        password=password,
        base_url=base_url,
    )
    _write(paths.root_cert, _pem(root.cert))
    _write(paths.intermediate_cert, _pem(inter.cert))
    _write(paths.ca_chain, _pem(*chain))
    _write(paths.tsa_cert, _pem(leaves["tsa"].cert, *chain))
    _write(
        paths.tsa_key,
        leaves["tsa"].key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private=True,
    )
    for role, p12, pem in (
        ("digitizer", paths.digitizer_p12, paths.digitizer_cert),
        ("agency", paths.agency_p12, paths.agency_cert),
    ):
        _write(p12, _pkcs12(role, leaves[role], chain, password), private=True)
        _write(pem, _pem(leaves[role].cert, *chain))
    _write(
        paths.root_crl,
        _empty_crl(root, now, PROFILES["intermediate"].lifetime).public_bytes(
            serialization.Encoding.DER
        ),
    )
    _write(
        paths.intermediate_crl,
        _empty_crl(inter, now, PROFILES["tsa"].lifetime).public_bytes(serialization.Encoding.DER),
    )
    (folder / "README.txt").write_text(README_TEXT, encoding="utf-8")
    # pki.json last: its presence means the PKI is complete (see pki_exists).
    (folder / PKI_JSON).write_text(
        json.dumps(paths.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return paths


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM file (a chain file holds several)."""
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def load_crls(paths: PkiPaths) -> list[x509.CertificateRevocationList]:
    """The CRLs of the PKI, for signing B-LT records without fetching them over HTTP."""
    return [
        x509.load_der_x509_crl(p.read_bytes()) for p in (paths.root_crl, paths.intermediate_crl)
    ]


def load_tsa(paths: PkiPaths) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The TSA certificate and key, for the in-process development time-stamping authority."""
    cert = load_certificates(paths.tsa_cert)[0]
    key = serialization.load_pem_private_key(paths.tsa_key.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SohoaError(
            f"The test TSA key {paths.tsa_key} is not an RSA key.",
            f"Khóa của TSA thử nghiệm {paths.tsa_key} không phải khóa RSA.",
            code="pki_invalid",
        )
    return cert, key


def dev_timestamper(paths: PkiPaths) -> DummyTimeStamper:
    """The test TSA in-process (pyHanko's ``DummyTimeStamper``): B-T records with no TSA server."""
    cert, key = load_tsa(paths)
    return local_timestamper(cert, key, load_certificates(paths.ca_chain))


def dev_signing(
    paths: PkiPaths,
    *,
    agency_name: str = DEV_AGENCY_NAME,
    level: Level = "B-T",
    tsa_url: str | None = None,
) -> RecordSigning:
    """Everything ``sohoa process`` needs to sign records with the test PKI.

    Timestamps come from ``tsa_url`` (e.g. :func:`serve_pki`'s) or else from the in-process test
    TSA; B-LT revocation data from the PKI's CRL files, so nothing has to be served.
    """
    roots = load_certificates(paths.root_cert)
    return RecordSigning(
        digitizer=load_pkcs12_signer(paths.digitizer_p12, paths.password),
        agency=load_pkcs12_signer(paths.agency_p12, paths.password),
        agency_name=agency_name,
        timestamper=http_timestamper(tsa_url) if tsa_url else dev_timestamper(paths),
        level=level,
        validation=signing_validation(roots, crls=load_crls(paths), revocation_mode="hard-fail"),
    )


class _PkiHandler(BaseHTTPRequestHandler):
    """GET ``/pki/<name>.crl`` returns a CRL of the PKI; POST ``/tsa`` is an RFC 3161 TSA."""

    crl_files: dict[str, Path] = {}
    timestamper: DummyTimeStamper

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        path = self.crl_files.get(self.path.rsplit("/", 1)[-1])
        if path is None or not self.path.startswith(SERVER_CRL_PREFIX):
            self.send_error(404)
            return
        self._answer(path.read_bytes(), "application/pkix-crl")

    def do_POST(self) -> None:  # noqa: N802 - name fixed by http.server
        if self.path != SERVER_TSA_PATH:
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            request = tsp.TimeStampReq.load(body)
            reply = self.timestamper.request_tsa_response(request).dump()
        except (ValueError, TypeError, KeyError):
            self.send_error(400, "not an RFC 3161 TimeStampReq")
            return
        self._answer(reply, "application/timestamp-reply")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: one line per CRL fetch or timestamp is noise on a developer's terminal."""


SERVER_CRL_PREFIX = "/pki/"
SERVER_TSA_PATH = "/tsa"


@dataclass
class PkiServer:
    """The development PKI's CRLs and TSA on HTTP, in a daemon thread."""

    server: ThreadingHTTPServer
    url: str

    @property
    def tsa_url(self) -> str:
        return self.url + SERVER_TSA_PATH

    @property
    def crl_base_url(self) -> str:
        return self.url + SERVER_CRL_PREFIX.rstrip("/")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_pki(paths: PkiPaths, host: str = "127.0.0.1", port: int = 0) -> PkiServer:
    """Serve the CRLs (``/pki/*.crl``) and a TSA (``POST /tsa``) of the PKI; port 0 picks one.

    Certificates point at these CRLs only when the PKI's ``base_url`` is this server's
    ``crl_base_url`` (the default ``base_url`` matches ``serve_pki(paths, port=8765)``).
    """
    handler = type(
        "PkiHandler",
        (_PkiHandler,),
        {
            "crl_files": {p.name: p for p in (paths.root_crl, paths.intermediate_crl)},
            "timestamper": dev_timestamper(paths),
        },
    )
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="sohoa-pki", daemon=True).start()
    return PkiServer(server, f"http://{host}:{server.server_port}")
