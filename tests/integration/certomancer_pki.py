"""A certomancer PKI with a TSA, OCSP responder and CRLs served on loopback, for signing tests.

How it is built and why:

* certomancer (pinned: ``certomancer==0.16.0``) builds certificates, CRLs, OCSP responses and
  RFC 3161 timestamps from a YAML description, but it loads key files and does not generate them.
  So :func:`start_certomancer` generates fresh RSA 2048 keys (PEM) into a temporary folder, writes
  ``certomancer.yml`` beside them and loads it with :class:`certomancer.CertomancerConfig`.
* The YAML holds two PKI architectures: ``sohoa`` (root → issuing CA → TSA, OCSP responder,
  digitizer and agency signers, and ``agency-revoked``: the agency's key in a revoked certificate;
  CRLs of both CAs, OCSP for the issuing CA's certificates) and
  ``ngoai`` ("foreign"), an unrelated root with its own signer, whose records must be untrusted by
  anyone trusting the ``sohoa`` root.
* Every URL in the certificates (CRL distribution points, OCSP in the AIA) and the TSA's URL point
  at ``http://127.0.0.1:PORT``: certomancer's own aiohttp "animator" app
  (:func:`certomancer.integrations.aiohttp_animator.build_animator_app`, what
  ``certomancer animate --aiohttp`` runs) serves them from a daemon thread with its own event
  loop. The socket is bound to 127.0.0.1 before the YAML is written, so the port in the
  certificates is the port served (no free-port race), and nothing but loopback is ever used.
* The same YAML can be served by hand for debugging:
  ``certomancer --config certomancer.yml animate --aiohttp --port PORT --no-web-ui``
  (``animate`` without ``--aiohttp`` needs Werkzeug, which is not installed).
* Validity windows are derived from the current time, so the PKI is valid while the tests run.
  Every name says it is test material (``CHỈ DÙNG THỬ NGHIỆM``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from certomancer.integrations.aiohttp_animator import build_animator_app
from certomancer.registry import (
    ArchLabel,
    CertLabel,
    CertomancerConfig,
    PKIArchitecture,
    ServiceLabel,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TEST_LABEL = "CHỈ DÙNG THỬ NGHIỆM"
TRUSTED_ARCH = "sohoa"
FOREIGN_ARCH = "ngoai"
PKCS12_PASSWORD = "certomancer-thu-nghiem"
KEY_SIZE = 2048

KEY_LABELS = {
    TRUSTED_ARCH: ("root", "interm", "tsa", "ocsp", "digitizer", "agency"),
    FOREIGN_ARCH: ("root", "signer"),
}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


def generate_keys(folder: Path, labels: tuple[str, ...]) -> dict[str, Path]:
    """Fresh RSA keys as unencrypted PKCS#8 PEM files in ``folder``: certomancer only loads keys."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for label in labels:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        path = folder / f"{label}.key.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
        paths[label] = path
    return paths


def _key_usage(*usages: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


def _ca(path_len: int | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"ca": True}
    if path_len is not None:
        value["path-len-constraint"] = path_len
    return {"id": "basic_constraints", "critical": True, "value": value}


def _crl_points(*repos: str) -> dict[str, Any]:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": list(repos)}},
    }


def _ocsp_aia(responder: str) -> dict[str, Any]:
    return {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [responder]}},
    }


def _validity(now: datetime, years: int) -> dict[str, str]:
    return {
        "valid-from": (now - timedelta(days=1)).strftime(TIME_FORMAT),
        "valid-to": (now + timedelta(days=365 * years)).strftime(TIME_FORMAT),
    }


def _trusted_arch(now: datetime, crl_schedule: str = "P1D") -> dict[str, Any]:
    """Root → issuing CA → TSA, OCSP responder, digitizer (personal) and agency (organisation)."""
    signer_extensions = [
        _key_usage("digital_signature", "non_repudiation"),
        _crl_points("interm"),
        _ocsp_aia("interm"),
    ]
    return {
        "keyset": TRUSTED_ARCH,
        "entity-defaults": {
            "country-name": "VN",
            "organization-name": f"Sohoa certomancer ({TEST_LABEL})",
        },
        "entities": {
            "root": {"common-name": f"Sohoa CA gốc certomancer ({TEST_LABEL})"},
            "interm": {"common-name": f"Sohoa CA cấp chứng thư ({TEST_LABEL})"},
            "tsa": {"common-name": f"Sohoa máy chủ dấu thời gian ({TEST_LABEL})"},
            "ocsp": {"common-name": f"Sohoa máy chủ OCSP ({TEST_LABEL})"},
            "digitizer": {
                "common-name": f"Trần Thị Số Hóa ({TEST_LABEL})",
                "state-or-province-name": "Thử Nghiệm",
            },
            "agency": {
                "organization-name": "UBND tỉnh Thử Nghiệm (THỬ NGHIỆM)",
                "common-name": "Trung tâm Phục vụ hành chính công (THỬ NGHIỆM)",
                "state-or-province-name": "Thử Nghiệm",
            },
        },
        "certs": {
            "root": {
                "subject": "root",
                "issuer": "root",
                "validity": _validity(now, 20),
                "extensions": [_ca(), _key_usage("key_cert_sign", "crl_sign")],
            },
            "interm": {
                "issuer": "root",
                "validity": _validity(now, 10),
                "extensions": [_ca(0), _key_usage("key_cert_sign", "crl_sign"), _crl_points("root")],
            },
            "tsa": {
                "issuer": "interm",
                "validity": _validity(now, 10),
                "extensions": [
                    _key_usage("digital_signature"),
                    # RFC 3161 §2.3: exactly this usage, critical.
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                    _crl_points("interm"),
                    _ocsp_aia("interm"),
                ],
            },
            "ocsp": {
                "issuer": "interm",
                "validity": _validity(now, 10),
                "extensions": [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"},
                ],
            },
            "digitizer": {
                "issuer": "interm",
                "validity": _validity(now, 3),
                "extensions": signer_extensions,
            },
            "agency": {
                "issuer": "interm",
                "validity": _validity(now, 3),
                "extensions": signer_extensions,
            },
            # The agency's key in a second certificate, revoked an hour ago (key compromise).
            "agency-revoked": {
                "template": "agency",
                "subject": "agency",
                "subject-key": "agency",
                "revocation": {
                    "revoked-since": (now - timedelta(hours=1)).strftime(TIME_FORMAT),
                    "reason": "key_compromise",
                },
            },
        },
        "services": {
            "ocsp": {
                "interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}
            },
            "crl-repo": {
                "root": {
                    "for-issuer": "root",
                    "signing-key": "root",
                    "simulated-update-schedule": "P30D",
                },
                # Daily from the issuing CA's start (a day ago): the CRL in force was issued
                # at `now`, after the revocation above, and lists it. ``crl_schedule="P7D"``
                # makes the window every CA has between a revocation and its next CRL: the
                # CRL in force (issued a day ago) calls the revoked certificate good, and only
                # the OCSP responder knows.
                "interm": {
                    "for-issuer": "interm",
                    "signing-key": "interm",
                    "simulated-update-schedule": crl_schedule,
                },
            },
            # Like real TSAs (and our dev TSA), the token carries the issuing CA's certificate:
            # without it a B-T record's timestamp cannot be chained to the root offline.
            "time-stamping": {
                "tsa": {"signing-key": "tsa", "signing-cert": "tsa", "certs-to-embed": ["interm"]}
            },
        },
    }


def _foreign_arch(now: datetime) -> dict[str, Any]:
    """An unrelated root and a signer with a plausible name: trusted by nobody who matters."""
    return {
        "keyset": FOREIGN_ARCH,
        "entity-defaults": {"country-name": "VN", "organization-name": f"Ngoài ({TEST_LABEL})"},
        "entities": {
            "root": {"common-name": f"CA gốc không tin cậy ({TEST_LABEL})"},
            "signer": {"common-name": "Trung tâm Phục vụ hành chính công (THỬ NGHIỆM)"},
        },
        "certs": {
            "root": {
                "subject": "root",
                "issuer": "root",
                "validity": _validity(now, 20),
                "extensions": [_ca(), _key_usage("key_cert_sign", "crl_sign")],
            },
            "signer": {
                "issuer": "root",
                "validity": _validity(now, 3),
                "extensions": [
                    _key_usage("digital_signature", "non_repudiation"),
                    _crl_points("root"),
                ],
            },
        },
        "services": {
            "crl-repo": {
                "root": {
                    "for-issuer": "root",
                    "signing-key": "root",
                    "simulated-update-schedule": "P30D",
                }
            }
        },
    }


def certomancer_config(key_folder: Path, url_prefix: str, now: datetime,
                       crl_schedule: str = "P1D") -> dict[str, Any]:
    """The whole certomancer configuration: key sets and both PKI architectures."""
    return {
        "external-url-prefix": url_prefix,
        "keysets": {
            arch: {
                "path-prefix": str(key_folder / arch),
                "keys": {label: {"path": f"{label}.key.pem"} for label in labels},
            }
            for arch, labels in KEY_LABELS.items()
        },
        "pki-architectures": {TRUSTED_ARCH: _trusted_arch(now, crl_schedule),
                              FOREIGN_ARCH: _foreign_arch(now)},
    }


@dataclass(frozen=True)
class CertomancerPki:
    """A running certomancer PKI: its configuration, where it is served, and its material."""

    config: CertomancerConfig
    config_file: Path
    url: str
    folder: Path

    def arch(self, name: str = TRUSTED_ARCH) -> PKIArchitecture:
        return self.config.get_pki_arch(ArchLabel(name))

    def tsa_url(self, service: str = "tsa") -> str:
        """Where the RFC 3161 TSA answers (the ``sohoa`` architecture's)."""
        return self.arch().service_registry.get_tsa_info(ServiceLabel(service)).url

    def cert(self, label: str, arch: str = TRUSTED_ARCH) -> x509.Certificate:
        """A certificate of the PKI as a ``cryptography`` object, as our signing code takes it."""
        der = self.arch(arch).get_cert(CertLabel(label)).dump()
        return x509.load_der_x509_certificate(der)

    def pkcs12(self, label: str, arch: str = TRUSTED_ARCH, password: str = PKCS12_PASSWORD) -> Path:
        """A PKCS#12 file with the key, certificate and chain of ``label`` (made by certomancer)."""
        path = self.folder / f"{arch}-{label}.p12"
        if not path.exists():
            data = self.arch(arch).package_pkcs12(CertLabel(label), password=password.encode())
            path.write_bytes(data)
            path.chmod(0o600)
        return path


def _loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    return sock


@contextmanager
def _serve(app: web.Application, sock: socket.socket) -> Iterator[None]:
    """Serve ``app`` on the bound ``sock`` from a daemon thread; always stopped on exit."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="certomancer-animator", daemon=True)
    thread.start()
    try:
        if not started.wait(10) or failure:
            raise RuntimeError(f"certomancer did not start on loopback: {failure or 'timeout'}")
        yield
    finally:
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        sock.close()


@contextmanager
def start_certomancer(folder: Path, now: datetime | None = None,
                      crl_schedule: str = "P1D") -> Iterator[CertomancerPki]:
    """Generate keys, write ``certomancer.yml`` in ``folder`` and serve the PKI on 127.0.0.1;
    ``crl_schedule``: how often the issuing CA publishes its CRL (ISO 8601 duration)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    sock = _loopback_socket()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        for arch, labels in KEY_LABELS.items():
            generate_keys(folder / "keys" / arch, labels)
        config_file = folder / "certomancer.yml"
        config_file.write_text(
            yaml.safe_dump(certomancer_config(folder / "keys", url, now, crl_schedule),
                           allow_unicode=True),
            encoding="utf-8",
        )
        config = CertomancerConfig.from_file(str(config_file))
        app = build_animator_app(config.pki_archs, with_web_ui=False)
    except BaseException:
        sock.close()
        raise
    with _serve(app, sock):
        yield CertomancerPki(config=config, config_file=config_file, url=url, folder=folder)
