"""Verify signed e-records: every signature's integrity, trust, timestamp and coverage.

Why it is written the way it is:

* One judgment per signature and one for the file, each failure with a reason in English and
  Vietnamese, because a clerk or a citizen reads it, not a PDF expert.
* A file is valid only when it has at least one signature and every signature is intact, valid and
  trusted (its timestamp too), followed only by the updates PAdES allows after it (further
  signatures, validation data, document timestamps): a page appended after signing, or one byte
  changed anywhere, makes it invalid.
* Trust comes from the roots given (the Vietnamese national root CAs in production, the test PKI
  in development) and the revocation data in the file's DSS; nothing is fetched unless asked.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ocr_service.domain import Message
from ocr_service.pipeline.sign import SignatureKind
from ocr_service.pipeline.sign_appearance import iso_time
from ocr_service.pipeline.sign_keys import (
    CERTIFICATE_PROBLEMS, RevocationMode, context_kwargs, subject_name,
)


@dataclass(frozen=True)
class Reason(Message):
    """Why something does not hold, for the person reading the report: JSON ``{"message",
    "message_vi"}``, no code (a report's reasons are read, not matched)."""


@dataclass(frozen=True)
class SignatureReport:
    """The judgment of one signature (or document timestamp) of a file."""

    field: str
    kind: SignatureKind
    signer_subject: str
    intact: bool
    """The signed bytes hash to the value the signature vouches for."""
    signature_valid: bool
    """The cryptographic signature over that hash checks with the signer's key."""
    trusted: bool
    """The signer's certificate chains to a trust root and is usable at validation time."""
    signing_time: str | None
    timestamp_present: bool
    timestamp_valid: bool | None
    timestamp_time: str | None
    covers_whole_file: bool
    coverage: str
    """``entire_file``, ``entire_revision`` (later updates follow), ``prefix`` or ``unclear``."""
    modification: str | None
    """What changed after it: ``none``, ``lta_updates``, ``form_filling``, ... ``other``."""
    ok: bool
    reasons: list[Reason] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class VerifyReport:
    """The judgment of a whole file: ``valid`` only if every signature holds and nothing else."""

    valid: bool
    signatures: list[SignatureReport]
    reasons: list[Reason]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data for ``sohoa verify --json`` and the HTTP API."""
        return asdict(self)


COVERAGE_NAMES = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "prefix",
    SignatureCoverageLevel.UNCLEAR: "unclear",
}
ALLOWED_AFTER = {
    "signature": ModificationLevel.FORM_FILLING,  # later signatures, DSS, document timestamps
    "document_timestamp": ModificationLevel.LTA_UPDATES,
}


def _iso(value: datetime | None) -> str | None:
    return iso_time(value) if value is not None else None


def _trust_reason(indication: Any) -> Reason:
    """pyHanko's AdES sub-indication, said in words a clerk understands."""
    name = getattr(indication, "name", None) or "UNKNOWN"
    en, vi = CERTIFICATE_PROBLEMS.get(name, (name.lower(), name.lower()))
    return Reason(
        f"The signer's certificate is not trusted: {en}.",
        f"Chứng thư số của người ký không được tin cậy: {vi}.",
    )


def _status_reasons(status: Any, kind: SignatureKind) -> list[Reason]:
    """Every failed check of one pyHanko status, in English and Vietnamese."""
    if not status.intact:
        # Nothing else can be judged about content whose hash does not match.
        return [
            Reason(
                "The signed content was altered after signing (hash mismatch).",
                "Nội dung đã ký bị thay đổi sau khi ký (sai giá trị băm).",
            )
        ]
    reasons: list[Reason] = []
    if not status.valid:
        reasons.append(
            Reason(
                "The cryptographic signature does not check with the signer's key.",
                "Chữ ký số không khớp với khóa của người ký.",
            )
        )
    if not status.trusted:
        reasons.append(_trust_reason(status.trust_problem_indic))
    ts = getattr(status, "timestamp_validity", None)
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        reasons.append(
            Reason(
                "The signature's timestamp is invalid or not trusted.",
                "Dấu thời gian của chữ ký không hợp lệ hoặc không được tin cậy.",
            )
        )
    return reasons + _modification_reasons(status, kind)


def _modification_reasons(status: Any, kind: SignatureKind) -> list[Reason]:
    """PAdES allows only more signatures, validation data and document timestamps after one."""
    if isinstance(status.diff_result, SuspiciousModification):
        detail = str(status.diff_result).splitlines()[0]
        return [
            Reason(
                f"The file was modified after signing: {detail}",
                f"Tệp đã bị sửa đổi sau khi ký: {detail}",
            )
        ]
    if status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return [
            Reason(
                "The signature covers only part of its revision of the file.",
                "Chữ ký chỉ bao phủ một phần phiên bản của tệp.",
            )
        ]
    level = status.modification_level
    if level is not None and level > ALLOWED_AFTER[kind]:
        return [
            Reason(
                f"The file was modified after signing ({level.name.lower()}).",
                f"Tệp đã bị sửa đổi sau khi ký ({level.name.lower()}).",
            )
        ]
    return []


def _validate(
    sig: EmbeddedPdfSignature, kind: SignatureKind, vc_factory: Callable[[], ValidationContext]
) -> tuple[Any, Any, datetime | None]:
    """(status, signature timestamp status, time vouched for by a TSA) of one signature."""
    if kind == "document_timestamp":
        # A document timestamp is its own timestamp token.
        doc_ts = validate_pdf_timestamp(sig, validation_context=vc_factory())
        return doc_ts, doc_ts, doc_ts.timestamp
    status = validate_pdf_signature(sig, vc_factory(), vc_factory())
    ts = status.timestamp_validity
    return status, ts, (ts.timestamp if ts is not None else None)


def _der_length(data: bytes) -> int:
    """Length of the DER value at the start of ``data`` (tag, length octets and content)."""
    if len(data) < 2:
        return len(data) + 1  # too short to hold a value: counts as overrunning
    first = data[1]
    if first < 0x80:
        return 2 + first
    octets = first & 0x7F
    return 2 + octets + int.from_bytes(data[2 : 2 + octets], "big")


def _padding_reasons(contents: bytes) -> list[Reason]:
    """The signature's /Contents is excluded from the bytes it signs, and past the CMS value the
    signer leaves zero padding: anything else there is a change no signature would notice."""
    end = _der_length(contents)
    if end <= len(contents) and not contents[end:].strip(b"\x00"):
        return []
    return [Reason(
        "Bytes after the signature value in /Contents were changed (the padding must be zero).",
        "Các byte sau giá trị chữ ký trong /Contents đã bị thay đổi (phần đệm phải bằng 0).",
    )]


def _unchained_certificates(sig: EmbeddedPdfSignature, roots: Sequence[x509.Certificate]) -> list[Reason]:
    """Every certificate a signature carries must be signed by another one it carries or by a
    trust root: the CMS certificate set lies outside the signed attributes, so a certificate off
    the validated path (a root's copy, say) could otherwise be altered unnoticed."""
    carried = []
    for choice in sig.signed_data["certificates"] or []:
        try:
            carried.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:
            return [_carried_reason("?")]
    issuers = [*carried, *roots]
    reasons = []
    for cert in carried:
        if not any(_issued_by(cert, issuer) for issuer in issuers if issuer.subject == cert.issuer):
            reasons.append(_carried_reason(cert.subject.rfc4514_string()))
    return reasons


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _carried_reason(subject: str) -> Reason:
    return Reason(
        f"A certificate carried in the signature ({subject}) is signed neither by another "
        "certificate it carries nor by a trust root (altered, or from an unknown issuer).",
        f"Một chứng thư số đi kèm chữ ký ({subject}) không được ký bởi chứng thư nào đi kèm hay "
        "chứng thư gốc tin cậy nào (đã bị sửa đổi, hoặc do tổ chức không rõ cấp).",
    )


def _report(
    sig: EmbeddedPdfSignature, vc_factory: Callable[[], ValidationContext],
    roots: Sequence[x509.Certificate] = (),
) -> SignatureReport:
    kind: SignatureKind = (
        "document_timestamp" if sig.sig_object_type == "/DocTimeStamp" else "signature"
    )
    status, ts, ts_time = _validate(sig, kind, vc_factory)
    reasons = (
        _status_reasons(status, kind) + _padding_reasons(sig.pkcs7_content)
        + _unchained_certificates(sig, roots)
    )
    modification = status.modification_level
    return SignatureReport(
        field=sig.field_name,
        kind=kind,
        signer_subject=subject_name(sig.signer_cert),
        intact=bool(status.intact),
        signature_valid=bool(status.valid),
        trusted=bool(status.trusted),
        signing_time=_iso(getattr(status, "signer_reported_dt", None)),
        timestamp_present=ts is not None,
        timestamp_valid=bool(ts.intact and ts.valid and ts.trusted) if ts is not None else None,
        timestamp_time=_iso(ts_time),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        coverage=COVERAGE_NAMES.get(status.coverage, "unclear"),
        modification=modification.name.lower() if modification is not None else None,
        ok=not reasons,
        reasons=reasons,
    )


def _failed_report(sig: EmbeddedPdfSignature, exc: Exception) -> SignatureReport:
    """A signature pyHanko could not even evaluate: it counts as invalid, with the cause."""
    try:
        subject = subject_name(sig.signer_cert)
    except Exception:  # noqa: BLE001 - the certificate may be what is broken
        subject = "?"
    return SignatureReport(
        field=str(sig.field_name),
        kind="signature",
        signer_subject=subject,
        intact=False,
        signature_valid=False,
        trusted=False,
        signing_time=None,
        timestamp_present=False,
        timestamp_valid=None,
        timestamp_time=None,
        covers_whole_file=False,
        coverage="unclear",
        modification=None,
        ok=False,
        reasons=[
            Reason(f"The signature cannot be checked: {exc}", f"Không kiểm tra được chữ ký: {exc}")
        ],
    )


def _file_reasons(reports: list[SignatureReport]) -> list[Reason]:
    """The reasons of every signature, each prefixed with the field it belongs to."""
    reasons = [
        Reason(
            f"{rep.field} ({rep.signer_subject}): {r.message}",
            f"{rep.field} ({rep.signer_subject}): {r.message_vi}",
        )
        for rep in reports
        for r in rep.reasons
    ]
    if not any(rep.kind == "signature" for rep in reports):
        reasons.append(Reason("The file carries no signature.", "Tệp không có chữ ký số nào."))
    return reasons


def verify_pdf(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable[x509.CertificateRevocationList] = (),
    allow_fetching: bool = False,
    revocation_mode: RevocationMode = "soft-fail",
) -> VerifyReport:
    """Judge every signature and document timestamp of ``pdf`` against ``trust_roots``.

    The file is valid when it has at least one signature and every signature is intact, valid,
    trusted (its timestamp too, if any) and followed only by the updates PAdES allows (more
    signatures, validation data, document timestamps). Trust is judged now, with the revocation
    data of the file's DSS, ``crls``, and what may be fetched when ``allow_fetching``.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
        filled = [name for name, *_ in enumerate_sig_fields(reader, filled_status=True)]
        dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a valid record"
        reason = Reason(
            f"The file cannot be read as a PDF: {exc}", f"Không đọc được tệp dưới dạng PDF: {exc}"
        )
        return VerifyReport(valid=False, signatures=[], reasons=[reason])
    kwargs = context_kwargs(
        trust_roots,
        other_certs=other_certs,
        crls=crls,
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
    )

    def vc_factory() -> ValidationContext:
        # A fresh context per use: pyHanko contexts keep per-validation state.
        return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(**kwargs)

    reports = []
    for sig in embedded:
        try:
            reports.append(_report(sig, vc_factory, trust_roots))
        except Exception as exc:  # noqa: BLE001 - a broken signature is a finding, not a crash
            reports.append(_failed_report(sig, exc))
    reasons = _file_reasons(reports) + _unreadable_fields(filled, embedded)
    return VerifyReport(valid=not reasons, signatures=reports, reasons=reasons)


def _unreadable_fields(filled: list[str], embedded: list[EmbeddedPdfSignature]) -> list[Reason]:
    """Signature fields holding a value pyHanko does not read as a signature (a mangled
    /SubFilter, say): skipping them silently would let a B-LTA record pass as B-LT."""
    listed = {sig.field_name for sig in embedded}
    return [
        Reason(f"The signature field {name} holds a value that is not a readable signature.",
               f"Trường chữ ký {name} chứa giá trị không đọc được như một chữ ký số.")
        for name in filled if name not in listed
    ]
