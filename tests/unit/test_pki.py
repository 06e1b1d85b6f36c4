"""The development PKI: complete, chained, labelled as test material, deterministic, idempotent."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ocr_service.errors import SohoaError
from ocr_service.pipeline.sign import sign_record
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.pki import (
    DEFAULT_PASSWORD,
    TEST_LABEL,
    dev_signing,
    init_pki,
    load_certificates,
    load_crls,
    load_pki,
)

NOW = datetime.now(UTC).replace(microsecond=0)
"""Fixed for the module; relative to today so the certificates are valid whenever tests run."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    return init_pki(tmp_path_factory.mktemp("pki"), now=NOW)


def _leaf(path: Path) -> x509.Certificate:
    return load_certificates(path)[0]


def _cn(cert: x509.Certificate) -> str:
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def test_every_file_named_in_pki_json_exists(pki) -> None:
    recorded = json.loads((pki.folder / "pki.json").read_text(encoding="utf-8"))
    for key, name in recorded.items():
        if key not in ("password", "base_url"):
            assert (pki.folder / name).is_file(), key
    assert load_pki(pki.folder) == pki


def test_subjects_are_vietnamese_and_labelled_as_test_material(pki) -> None:
    certs = [
        load_certificates(p)[0]
        for p in (
            pki.root_cert,
            pki.intermediate_cert,
            pki.tsa_cert,
            pki.digitizer_cert,
            pki.agency_cert,
        )
    ]
    for cert in certs:
        assert "THỬ NGHIỆM" in cert.subject.rfc4514_string()
        assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    assert _cn(_leaf(pki.digitizer_cert)) == f"Nguyễn Văn Số Hóa ({TEST_LABEL})"
    assert _cn(_leaf(pki.agency_cert)).startswith("Trung tâm Phục vụ hành chính công")
    readme = (pki.folder / "README.txt").read_text(encoding="utf-8")
    assert "KHÔNG có giá trị pháp lý" in readme and "NO legal value" in readme


def test_chain_is_root_intermediate_leaf(pki) -> None:
    root, inter = _leaf(pki.root_cert), _leaf(pki.intermediate_cert)
    root.verify_directly_issued_by(root)
    inter.verify_directly_issued_by(root)
    for path in (pki.tsa_cert, pki.digitizer_cert, pki.agency_cert):
        _leaf(path).verify_directly_issued_by(inter)
    assert load_certificates(pki.ca_chain) == [inter, root]
    assert inter.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_tsa_certificate_is_for_time_stamping_only(pki) -> None:
    eku = _leaf(pki.tsa_cert).extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_validity_window_follows_now(pki) -> None:
    leaf = _leaf(pki.digitizer_cert)
    assert leaf.not_valid_before_utc == NOW - timedelta(hours=1)
    assert leaf.not_valid_after_utc == NOW + timedelta(days=3 * 365)
    for crl in load_crls(pki):
        assert crl.next_update_utc is not None and crl.next_update_utc > NOW


def test_certificates_point_at_their_crls(pki) -> None:
    points = _leaf(pki.agency_cert).extensions.get_extension_for_class(x509.CRLDistributionPoints)
    url = points.value[0].full_name[0].value
    assert url == f"{pki.base_url}/{pki.intermediate_crl.name}"


def test_pkcs12_files_open_with_the_password_and_carry_the_chain(pki) -> None:
    for path in (pki.digitizer_p12, pki.agency_p12):
        key, cert, chain = pkcs12.load_key_and_certificates(
            path.read_bytes(), DEFAULT_PASSWORD.encode()
        )
        assert key is not None and cert is not None
        assert [_cn(c) for c in chain] == [
            _cn(_leaf(pki.intermediate_cert)),
            _cn(_leaf(pki.root_cert)),
        ]
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(path.read_bytes(), b"wrong")


def test_init_is_idempotent_unless_asked_to_overwrite(tmp_path: Path) -> None:
    first = init_pki(tmp_path, now=NOW, password="mật-khẩu")
    before = first.agency_p12.read_bytes()
    again = init_pki(tmp_path, now=NOW + timedelta(days=9))
    assert again == first and first.agency_p12.read_bytes() == before
    assert again.password == "mật-khẩu"
    replaced = init_pki(tmp_path, now=NOW, overwrite=True)
    assert replaced.agency_p12.read_bytes() != before


def test_missing_pki_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SohoaError) as caught:
        load_pki(tmp_path / "none")
    assert "sohoa pki init" in caught.value.message
    assert "Không có PKI thử nghiệm" in caught.value.message_vi


def test_dev_signing_signs_a_record_the_test_root_trusts(pki) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    signed = sign_record(out.getvalue(), dev_signing(pki, level="B-LT"))
    report = verify_pdf(signed, load_certificates(pki.root_cert))
    assert report.valid, report.reasons
