"""Signing and verifying e-records: both signatures hold at every PAdES level, every tampering is
found with a reason, signing is an incremental update, and signer errors speak both languages."""

from __future__ import annotations

import dataclasses
import io
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pikepdf import pdfa
from pyhanko.pdf_utils.reader import PdfFileReader

from ocr_service.errors import SohoaError
from ocr_service.pipeline.sign import (
    KeptKeySigner,
    Level,
    RecordSigning,
    SigningValidation,
    http_timestamper,
    load_pkcs12_signer,
    open_pkcs11_signer,
    sign_pdf,
    sign_record,
    signing_validation,
)
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.pki import (
    PkiPaths,
    dev_signing,
    dev_timestamper,
    init_pki,
    load_certificates,
    load_crls,
    serve_pki,
)
from tests.signing import (
    A4,
    WHEN,
    append_page,
    assert_invalid_with_reason,
    blank_pdf,
    flip,
)

AGENCY = "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm"



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return init_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def roots(pki: PkiPaths):
    return load_certificates(pki.root_cert)


def _setup(pki: PkiPaths, level: Level, **kwargs) -> RecordSigning:
    validation = signing_validation(
        load_certificates(pki.root_cert), crls=load_crls(pki), revocation_mode="hard-fail"
    )
    return RecordSigning(
        digitizer=load_pkcs12_signer(pki.digitizer_p12, pki.password),
        agency=load_pkcs12_signer(pki.agency_p12, pki.password),
        agency_name=AGENCY,
        timestamper=dev_timestamper(pki),
        level=level,
        validation=validation,
        **kwargs,
    )


@pytest.fixture(scope="module")
def signed(pki: PkiPaths) -> Callable[[Level], bytes]:
    """One signed record per level, made once for the module."""

    @cache
    def make(level: Level) -> bytes:
        return sign_record(blank_pdf(), _setup(pki, level), when=WHEN)

    return make



@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_both_signatures_validate_and_are_trusted(signed, roots, level: Level) -> None:
    report = verify_pdf(signed(level), roots)
    assert report.valid, report.reasons
    regular = [s for s in report.signatures if s.kind == "signature"]
    assert [s.field for s in regular] == ["SoHoa_NguoiSoHoa", "SoHoa_CoQuan"]
    assert regular[0].signer_subject.startswith("Nguyễn Văn Số Hóa")
    assert regular[1].signer_subject.startswith("Trung tâm Phục vụ hành chính công")
    for sig in regular:
        assert sig.intact and sig.signature_valid and sig.trusted and sig.ok
        assert sig.timestamp_present == (level != "B-B")
        assert sig.timestamp_valid in ((None,) if level == "B-B" else (True,))
    assert regular[0].coverage == "entire_revision"  # the agency signed after the digitizer
    lta = [s for s in report.signatures if s.kind == "document_timestamp"]
    assert len(lta) == (1 if level == "B-LTA" else 0)
    if level in ("B-B", "B-T"):
        assert regular[1].covers_whole_file


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels_embed_revocation_information(signed, level: Level) -> None:
    dss = PdfFileReader(io.BytesIO(signed(level)), strict=False).root["/DSS"]
    assert len(dss["/CRLs"]) == 2  # the root's and the issuing CA's
    assert len(dss["/Certs"]) >= 3


@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_signing_is_an_incremental_update(pki, level: Level) -> None:
    original = blank_pdf()
    assert sign_record(original, _setup(pki, level), when=WHEN).startswith(original)


def test_signature_boxes_sit_in_the_top_corners_of_page_one(signed) -> None:
    pdf = pikepdf.open(io.BytesIO(signed("B-T")))
    rects = {str(a.T): [float(v) for v in a.Rect] for a in pdf.pages[0].Annots}
    left, right = rects["SoHoa_NguoiSoHoa"], rects["SoHoa_CoQuan"]
    assert left[0] < 50 and left[3] > A4[1] - 50
    assert right[2] > A4[0] - 50 and right[3] > A4[1] - 50
    assert right[0] > left[2], "the two boxes must not overlap"


def test_appearance_embeds_a_vietnamese_font(signed) -> None:
    pdf = pikepdf.open(io.BytesIO(signed("B-T")))
    fonts = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"
    ]
    assert fonts and all("/FontFile2" in f for f in fonts)
    assert all("LiberationSerif" in str(f.FontName) for f in fonts)



def _contents_offset(data: bytes) -> int:
    return data.index(b"/Contents <") + len(b"/Contents <") + 200


@pytest.mark.parametrize(
    "where",
    [
        lambda d: len(blank_pdf()) // 2,  # inside the original PDF/A
        _contents_offset,  # inside the digitizer's CMS
        lambda d: len(d) - 40,  # in the last revision
    ],
)
def test_a_single_changed_byte_is_found(signed, roots, where) -> None:
    data = signed("B-T")
    report = verify_pdf(flip(data, where(data)), roots)
    assert_invalid_with_reason(report, "altered", "modified", "cannot", "does not check")



@pytest.mark.parametrize("level", ["B-T", "B-LTA"])
def test_a_page_appended_after_signing_is_not_covered(signed, roots, level: Level) -> None:
    data = signed(level)
    report = verify_pdf(append_page(data), roots)
    assert_invalid_with_reason(report, "modified after signing")
    assert not any(s.covers_whole_file for s in report.signatures)
    assert all(s.intact for s in report.signatures), "the signed revisions themselves are intact"


def test_a_record_from_another_pki_is_untrusted(tmp_path: Path, roots) -> None:
    other = init_pki(tmp_path / "other")
    report = verify_pdf(sign_record(blank_pdf(), _setup(other, "B-T"), when=WHEN), roots)
    assert_invalid_with_reason(report, "not trusted")
    assert all(s.intact and not s.trusted for s in report.signatures)


def test_an_unsigned_file_is_not_valid(roots) -> None:
    assert_invalid_with_reason(verify_pdf(blank_pdf(), roots), "no signature")


def test_garbage_is_not_valid(roots) -> None:
    assert_invalid_with_reason(verify_pdf(b"not a pdf at all", roots), "cannot be read")


def test_wrong_pkcs12_password_is_a_bilingual_error(pki) -> None:
    with pytest.raises(SohoaError) as caught:
        load_pkcs12_signer(pki.agency_p12, "sai-mật-khẩu")
    assert caught.value.code == "signer_bad_password"
    assert "Wrong password" in caught.value.message
    assert "Sai mật khẩu" in caught.value.message_vi


@pytest.mark.parametrize("content", [None, b"not PKCS#12"])
def test_unreadable_pkcs12_file_is_a_bilingual_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "signer.p12"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SohoaError) as caught:
        load_pkcs12_signer(path, "x")
    assert caught.value.code == "signer_unreadable"
    assert "PKCS#12" in caught.value.message and "PKCS#12" in caught.value.message_vi


def test_a_timestamped_level_without_a_tsa_is_refused(pki) -> None:
    signer = load_pkcs12_signer(pki.agency_p12, pki.password)
    with pytest.raises(SohoaError) as caught:
        sign_pdf(blank_pdf(), signer, field="X", visible_box=None, appearance_text="", level="B-T")
    assert caught.value.code == "sign_config" and "TSA" in caught.value.message_vi


def test_a_signing_validation_judges_at_the_moment_each_context_is_made(pki, roots) -> None:
    validation = signing_validation(roots, crls=load_crls(pki), revocation_mode="hard-fail")
    before = datetime.now(UTC)
    first, second = validation.context(), validation.context()
    assert first is not second and first.moment >= before and second.moment >= first.moment
    assert first.time_tolerance == timedelta(seconds=60)  # a responder's answer may take a while
    assert len(first.crls) == len(load_crls(pki)) > 0  # given revocation data, in every context


def test_each_long_term_signature_gets_its_own_validation_context(pki) -> None:
    """A setup is built once and kept; the contexts its signatures are judged in are not."""
    made = []

    @dataclasses.dataclass(frozen=True)
    class Counted(SigningValidation):
        def context(self):
            made.append(super().context())
            return made[-1]

    setup = _setup(pki, "B-LT")
    counted = dataclasses.replace(setup, validation=Counted(**vars(setup.validation)))
    sign_record(blank_pdf(), counted, when=WHEN)
    sign_record(blank_pdf(), counted, when=WHEN)
    assert len(made) == 4 and len({id(context) for context in made}) == 4
    assert [c.moment for c in made] == sorted(c.moment for c in made)


def test_an_expired_certificate_signs_no_record_and_says_so(tmp_path: Path) -> None:
    """A development PKI made four years ago: its signers' three-year certificates have expired,
    its CAs, TSA and CRLs have not. Refused at the default level B-T, before anything is signed."""
    old = init_pki(tmp_path, now=datetime.now(UTC) - timedelta(days=4 * 366))
    with pytest.raises(SohoaError) as caught:
        sign_record(blank_pdf(), dev_signing(old, level="B-T"), when=WHEN)
    assert caught.value.code == "sign_failed"
    assert "the certificate is expired" in caught.value.message
    assert "chứng thư số đã hết hạn" in caught.value.message_vi


def test_a_refusal_names_whose_certificate_and_an_unknown_reason_by_its_kind_only() -> None:
    """pyHanko's texts name the certificate's holder; an unmapped one is not repeated."""
    from ocr_service.pipeline.sign_keys import TSA_CERTIFICATE, refused

    error = refused(TSA_CERTIFICATE, ValueError("odd extension of Nguyễn Văn A"))
    assert error.code == "sign_failed"
    assert error.message == ("Signing failed: the time-stamping authority's certificate cannot be "
                             "used: certificate check failed (ValueError).")
    assert error.message_vi == ("Ký số thất bại: chứng thư số của máy chủ cấp dấu thời gian không "
                                "dùng được: kiểm tra chứng thư số không đạt (ValueError).")


def test_b_t_signs_without_a_revocation_status_and_b_lt_does_not(pki, roots) -> None:
    """No CRL given and nothing fetched: a B-T record carries no revocation data and is made; a
    B-LT record would claim data it cannot have, so it is refused."""
    blind = signing_validation(roots, revocation_mode="hard-fail")
    setup = dataclasses.replace(_setup(pki, "B-T"), validation=blind)
    assert verify_pdf(sign_record(blank_pdf(), setup, when=WHEN), roots).valid
    with pytest.raises(SohoaError) as caught:
        sign_record(blank_pdf(), dataclasses.replace(setup, level="B-LT"), when=WHEN)
    assert caught.value.code == "sign_failed"
    assert "revocation status unavailable" in caught.value.message


def test_a_status_that_cannot_be_had_is_logged_without_the_holder_and_b_t_signs(
        pki, roots, monkeypatch, caplog) -> None:
    """A CRL out of date, say: pyHanko's error names the certificate's holder (a person, for the
    digitizer); the log says what happened, never whom."""
    from pyhanko_certvalidator.errors import InsufficientRevinfoError

    from ocr_service.pipeline import sign_keys

    stale = InsufficientRevinfoError.__new__(InsufficientRevinfoError)
    Exception.__init__(stale, "no fresh CRL for end-entity certificate Nguyễn Văn Số Hóa")

    class StaleValidator:
        def __init__(self, *args, **kwargs) -> None:
            pass

        async def async_validate_usage(self, usage):
            raise stale

    monkeypatch.setattr(sign_keys, "CertificateValidator", StaleValidator)
    monkeypatch.setattr(sign_keys, "_PASSED", {})  # judged afresh, not passed earlier in the module
    with caplog.at_level("WARNING", logger=sign_keys.__name__):
        data = sign_record(blank_pdf(), _setup(pki, "B-T"), when=WHEN)
    assert verify_pdf(data, roots).valid
    assert "without a revocation status" in caplog.text and "Nguyễn" not in caplog.text


def test_a_certificate_that_passed_is_judged_again_only_after_a_while(pki, monkeypatch) -> None:
    """An unreachable responder costs its timeout once in RECHECK_AFTER seconds, not per
    signature."""
    from ocr_service.pipeline import sign_keys

    judged = []

    class Counting(sign_keys.CertificateValidator):
        async def async_validate_usage(self, usage):
            judged.append(usage)
            return await super().async_validate_usage(usage)

    monkeypatch.setattr(sign_keys, "CertificateValidator", Counting)
    monkeypatch.setattr(sign_keys, "_PASSED", {})
    setup = _setup(pki, "B-T")
    sign_record(blank_pdf(), setup, when=WHEN)
    sign_record(blank_pdf(), setup, when=WHEN)
    assert len(judged) == 2  # the digitizer and the agency, once each
    monkeypatch.setattr(sign_keys, "RECHECK_AFTER", 0.0)
    sign_record(blank_pdf(), setup, when=WHEN)
    assert len(judged) == 4


def test_one_loaded_signer_signs_many_documents(pki, roots) -> None:
    signer = load_pkcs12_signer(pki.agency_p12, pki.password)
    assert isinstance(signer, KeptKeySigner)
    for pages in (1, 2):
        out = sign_pdf(
            blank_pdf(pages),
            signer,
            field="CoQuan",
            visible_box=None,
            appearance_text="",
            level="B-B",
        )
        assert verify_pdf(out, roots).valid


@pytest.fixture
def served_pki(tmp_path: Path) -> Iterator[tuple[PkiPaths, str]]:
    """A PKI whose certificates point at CRLs served on loopback, with a TSA beside them."""
    port = free_port()
    paths = init_pki(tmp_path / "pki", base_url=f"http://127.0.0.1:{port}/pki")
    server = serve_pki(paths, port=port)
    try:
        yield paths, server.tsa_url
    finally:
        server.close()


def test_b_lt_over_http_fetches_crls_and_timestamps(served_pki) -> None:
    paths, tsa_url = served_pki
    roots = load_certificates(paths.root_cert)
    setup = RecordSigning(
        digitizer=load_pkcs12_signer(paths.digitizer_p12, paths.password),
        agency=load_pkcs12_signer(paths.agency_p12, paths.password),
        agency_name=AGENCY,
        timestamper=http_timestamper(tsa_url),
        level="B-LT",
        validation=signing_validation(roots, allow_fetching=True, revocation_mode="hard-fail"),
    )
    data = sign_record(blank_pdf(), setup, when=WHEN)
    assert len(PdfFileReader(io.BytesIO(data), strict=False).root["/DSS"]["/CRLs"]) == 2
    report = verify_pdf(data, roots)
    assert report.valid, report.reasons
    assert all(s.timestamp_valid for s in report.signatures)


def test_a_too_small_reservation_falls_back_to_measuring(pki, roots) -> None:
    signer = load_pkcs12_signer(pki.agency_p12, pki.password)
    out = sign_pdf(
        blank_pdf(),
        signer,
        field="CoQuan",
        visible_box=None,
        appearance_text="",
        level="B-B",
        bytes_reserved=1024,
    )
    assert verify_pdf(out, roots).valid


def test_signing_keeps_a_pdfa_file_pdfa(pki) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    out = io.BytesIO()
    assert pdfa.save(pdf, out, "2b").passed
    signed_pdfa = sign_record(out.getvalue(), _setup(pki, "B-LTA"), when=WHEN)
    report = pdfa.check(pikepdf.open(io.BytesIO(signed_pdfa)), "2b")
    # pikepdf's checker skips /AcroForm and /DSS ("unsupported"); it must find no violation.
    assert report.verdict != "fail", report.summary()
    assert {f.where.split()[-1] for f in report.unsupported} <= {"/AcroForm", "(Catalog)"}


SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@pytest.fixture(scope="module")
def softhsm_token(pki: PkiPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SoftHSM token holding the agency's and the digitizer's keys (not their certificates).

    SoftHSM reads SOFTHSM2_CONF once, when the module is first loaded in this process.
    """
    if shutil.which("softhsm2-util") is None or not SOFTHSM_MODULE.exists():
        pytest.skip("Debian softhsm2 is not installed")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        util = ["softhsm2-util", "--pin", "1234"]
        subprocess.run(
            [*util, "--init-token", "--free", "--label", "sohoa", "--so-pin", "5678"],
            check=True,
            capture_output=True,
        )
        for index, (label, p12) in enumerate(
            (("agency", pki.agency_p12), ("digitizer", pki.digitizer_p12)), start=1
        ):
            key, _, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), pki.password.encode())
            pem = folder / f"{label}.pem"
            pem.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            subprocess.run(
                [
                    *util,
                    "--import",
                    str(pem),
                    "--token",
                    "sohoa",
                    "--label",
                    label,
                    "--id",
                    f"{index:02x}",
                ],
                check=True,
                capture_output=True,
            )
            pem.unlink()
        yield "sohoa"


def _token_signer(pki: PkiPaths, label: str, **changes):
    certs = load_certificates(pki.agency_cert if label == "agency" else pki.digitizer_cert)
    args = dict(token_label="sohoa", pin="1234", key_label=label, cert=certs[0], chain=certs[1:])
    return open_pkcs11_signer(SOFTHSM_MODULE, **{**args, **changes})


@pytest.mark.parametrize("logged_in", [False, True])
def test_pkcs11_token_errors_are_bilingual(pki, softhsm_token, logged_in: bool) -> None:
    if logged_in:  # a wrong PIN must fail even once the token's session is open
        _token_signer(pki, "agency")
    with pytest.raises(SohoaError) as caught:
        _token_signer(pki, "agency", pin="0000")
    assert caught.value.code == "signer_bad_pin" and "PIN" in caught.value.message_vi
    with pytest.raises(SohoaError) as caught:
        _token_signer(pki, "agency", token_label="không-có")
    assert caught.value.code == "signer_unreadable"
    with pytest.raises(SohoaError) as caught:
        _token_signer(pki, "agency", cert=None)  # the token holds keys only
    assert caught.value.code == "signer_unreadable" and "chứng thư số" in caught.value.message_vi


def test_a_record_signed_on_a_pkcs11_token_validates(pki, roots, softhsm_token) -> None:
    setup = dataclasses.replace(
        _setup(pki, "B-T"),
        digitizer=_token_signer(pki, "digitizer"),
        agency=_token_signer(pki, "agency"),
    )
    report = verify_pdf(sign_record(blank_pdf(), setup, when=WHEN), roots)
    assert report.valid, report.reasons


def test_settings_name_token_keys_for_both_signers(pki, roots, softhsm_token) -> None:
    """What an installation with a USB token or HSM configures: SOHOA_SIGN_PKCS11_* and key labels."""
    from ocr_service.config import Settings
    from ocr_service.signers import record_signing

    settings = Settings(
        sign_pkcs11_module=SOFTHSM_MODULE, sign_pkcs11_token="sohoa", sign_pkcs11_pin="1234",
        sign_digitizer_key="digitizer", sign_digitizer_cert=pki.digitizer_cert,
        sign_agency_key="agency", sign_agency_cert=pki.agency_cert,
        trust_roots=[pki.root_cert], sign_level="B-B",
    )
    setup = record_signing(settings)
    report = verify_pdf(sign_record(blank_pdf(), setup, when=WHEN), roots)
    assert report.valid, report.reasons
    with pytest.raises(SohoaError) as caught:  # half a configuration is an error, not a fallback
        record_signing(Settings(sign_pkcs11_module=SOFTHSM_MODULE, sign_pkcs11_token="sohoa",
                                sign_pkcs11_pin="1234", sign_agency_key="agency",
                                sign_agency_cert=pki.agency_cert))
    assert caught.value.code == "sign_config" and "cả hai" in caught.value.message_vi
