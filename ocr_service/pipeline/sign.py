"""Sign e-records (PAdES) with pyHanko: the signing policy.

Why it is written the way it is:

* A record carries two signatures (Circular 01/2023/TT-VPCP, Law 20/2023 Art. 12): the person who
  digitized it (personal certificate, a visible box at the top left of page 1 with name and time)
  and the agency (organisation certificate, text only at the top right). Where the boxes go is the
  page layout's decision (:mod:`.page_layout`, computed once while the PDF/A is built); this module
  puts them exactly there.
* Every signature is an incremental update: the bytes of the PDF/A given are kept as a prefix, so
  the file stays PDF/A and the earlier signature keeps covering its own revision.
* Signatures reserve a fixed size, which saves pyHanko a dry-run signature per document.
* The concerns are split as pyHanko splits them: keys, signers and timestamps in
  :mod:`.sign_keys`, the visible appearance in :mod:`.sign_appearance`, PAdES levels and the two
  signatures of a record here. The names other modules import from here are re-exported.
* Verification lives in :mod:`ocr_service.pipeline.verify`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Literal

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.errors import PathError, ValidationError

from ocr_service.domain import VIETNAM_TIME

from .sign_appearance import (
    COPY_FORM_DEFAULT,
    DEFAULT_FONT,
    FONT_SIZE,
    MARGIN,
    Box,
    agency_text,
    corner_box,
    digitizer_text,
    iso_time,
    stamp_style,
    text_box_size,
)
from .sign_keys import (
    KeptKeySigner,
    RevocationMode,
    SIGNER_CERTIFICATE,
    TSA_CERTIFICATE,
    SigningValidation,
    check_signer,
    http_timestamper,
    load_pkcs12_signer,
    local_timestamper,
    open_pkcs11_signer,
    refused,
    signer_error,
    signer_name,
    signing_validation,
)

__all__ = [
    "AGENCY_FIELD", "BYTES_RESERVED", "COPY_FORM_DEFAULT", "DEFAULT_FONT", "DIGITIZER_FIELD",
    "FONT_SIZE", "MARGIN", "Box", "KeptKeySigner", "Level", "RecordSigning", "RevocationMode",
    "SignatureBoxes", "SignatureKind", "SignatureTexts", "agency_text", "corner_box", "digitizer_text",
    "http_timestamper", "iso_time", "load_pkcs12_signer", "local_timestamper",
    "open_pkcs11_signer", "sign_pdf", "sign_record", "signature_sizes", "signature_texts", "signer_name",
    "SigningValidation", "text_box_size", "signing_validation",
]

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]
SignatureKind = Literal["signature", "document_timestamp"]
BYTES_RESERVED = 32 * 1024
"""Hex digits reserved for the CMS (16 KiB of DER). A B-T signature with a three-certificate chain
and a timestamp token carrying three more takes about 8.5 KiB; a larger one falls back to pyHanko's
own estimate."""
DIGEST = "sha256"


def _check_level(
    level: Level, timestamper: TimeStamper | None, validation: SigningValidation | None
) -> None:
    if level not in ("B-B", "B-T", "B-LT", "B-LTA"):
        raise signer_error(
            "sign_config", f"Unknown PAdES level {level!r}.", f"Mức PAdES {level!r} không hợp lệ."
        )
    if level != "B-B" and timestamper is None:
        raise signer_error(
            "sign_config",
            f"PAdES {level} needs a time-stamping authority (TSA); none is configured.",
            f"PAdES {level} cần máy chủ cấp dấu thời gian (TSA) nhưng chưa được cấu hình.",
        )
    if level in ("B-LT", "B-LTA") and validation is None:
        raise signer_error(
            "sign_config",
            f"PAdES {level} needs trust roots and revocation information (a validation context).",
            f"PAdES {level} cần chứng thư gốc tin cậy và thông tin thu hồi (validation context).",
        )


def sign_pdf(
    pdf: bytes,
    signer: Signer,
    *,
    field: str,
    visible_box: Box | None,
    appearance_text: str,
    timestamper: TimeStamper | None = None,
    level: Level = "B-T",
    validation: SigningValidation | None = None,
    page: int = 0,
    border: bool = False,
    font_file: Path = DEFAULT_FONT,
    font_size: int = FONT_SIZE,
    reason: str | None = None,
    location: str | None = None,
    bytes_reserved: int | None = BYTES_RESERVED,
) -> bytes:
    """``pdf`` with one more PAdES signature, added as an incremental update.

    ``visible_box`` (points, on ``page``) shows ``appearance_text`` in the embedded ``font_file``;
    ``None`` makes the signature invisible. B-T and above need ``timestamper``; B-LT and B-LTA need
    ``validation`` (its CRLs/OCSP responses go into the DSS; judged in a context made now, see
    :class:`SigningValidation`), B-LTA adds a document timestamp. With ``validation``, a signer
    whose certificate is revoked, expired or outside the trust roots signs nothing at any level:
    pyHanko judges it at B-LT and above, ``check_signer`` below.
    """
    _check_level(level, timestamper, validation)
    long_term = level in ("B-LT", "B-LTA")
    if validation is not None and not long_term:
        check_signer(signer, validation)
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=validation.context() if long_term and validation else None,
        signer_key_usage={"non_repudiation"},
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper if level != "B-B" else None,
        stamp_style=stamp_style(font_file, font_size, border),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field,
            on_page=page,
            box=visible_box,  # type: ignore[arg-type]  # pyHanko accepts floats here
        ),
    )
    try:
        try:
            return _run(pdf_signer, pdf, appearance_text, bytes_reserved)
        except SigningError as exc:
            if bytes_reserved is None or not str(exc).startswith(TOO_SMALL):
                raise
            # Unusually large certificates or tokens: let pyHanko measure with a dry run, once.
            return _run(pdf_signer, pdf, appearance_text, None)
    except SigningError as exc:
        if isinstance(exc.__cause__, (PathError, ValidationError)):
            raise refused(SIGNER_CERTIFICATE, exc.__cause__) from exc
        raise signer_error(
            "sign_failed", f"Signing failed: {exc}.", f"Ký số thất bại: {exc}."
        ) from exc
    except (PathError, ValidationError) as exc:  # not wrapped by pyHanko: the TSA's certificate
        raise refused(TSA_CERTIFICATE, exc) from exc


TOO_SMALL = "Final ByteRange payload larger than expected"


def _run(pdf_signer: signers.PdfSigner, pdf: bytes, text: str, bytes_reserved: int | None) -> bytes:
    """One signing pass over a fresh incremental writer (a failed pass leaves nothing behind)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = pdf_signer.sign_pdf(
        writer, bytes_reserved=bytes_reserved, appearance_text_params={"text": text}
    )
    return out.getvalue()


DIGITIZER_FIELD = "SoHoa_NguoiSoHoa"
AGENCY_FIELD = "SoHoa_CoQuan"
FIRST_SIGNATURE_LEVEL: dict[Level, Level] = {
    "B-B": "B-B",
    "B-T": "B-T",
    "B-LT": "B-LT",
    "B-LTA": "B-LT",
}
"""The digitizer's level for a record level: its own validation data for B-LT (its CA may differ
from the agency's), while the one archive timestamp of B-LTA comes last, over both signatures."""


@dataclass(frozen=True)
class RecordSigning:
    """Everything that is the same for every record a service signs: build one and reuse it."""

    digitizer: Signer
    agency: Signer
    agency_name: str
    timestamper: TimeStamper | None = None
    level: Level = "B-T"
    validation: SigningValidation | None = None
    copy_form: str = COPY_FORM_DEFAULT
    font_file: Path = DEFAULT_FONT
    display_zone: tzinfo = VIETNAM_TIME
    """Time zone of the times shown on the page (ISO 8601 with its offset)."""
    digitizer_person: str | None = None
    """The person who checked and approved the record (review before signing): the digitizer's
    visible text names them, whoever holds the digitizer certificate; None names the holder."""


@dataclass(frozen=True)
class SignatureTexts:
    """The visible text of a record's two signatures: what the band reserves room for."""

    digitizer: str
    agency: str


@dataclass(frozen=True)
class SignatureBoxes:
    """Where a record's two visible signatures go on page 1 (PDF points, origin bottom left)."""

    digitizer: Box
    agency: Box
    digitizer_text: str | None = None
    """The text shown, as the layout wrapped it to the box (None: unwrapped)."""
    agency_text: str | None = None


def signature_texts(setup: RecordSigning, when: datetime) -> SignatureTexts:
    """The two appearance texts at ``when`` (shown in ``setup.display_zone``)."""
    when = when.astimezone(setup.display_zone)
    return SignatureTexts(digitizer_text(setup.digitizer_person or signer_name(setup.digitizer),
                                         when),
                          agency_text(setup.copy_form, setup.agency_name, when))


def signature_sizes(setup: RecordSigning, when: datetime) -> tuple[tuple[float, float], tuple[float, float]]:
    """(width, height) in points of the digitizer's and the agency's boxes at ``when``."""
    texts = signature_texts(setup, when)
    return (text_box_size(texts.digitizer, font_file=setup.font_file),
            text_box_size(texts.agency, font_file=setup.font_file))


def sign_record(pdf: bytes, setup: RecordSigning, *, when: datetime | None = None,
                boxes: SignatureBoxes | None = None) -> bytes:
    """The two signatures of an e-record: the digitizer's (top left), then the agency's (top right).

    ``when`` is the time shown on the page (default: now); the signed time comes from the TSA.
    ``boxes`` are where the page layout reserved room for them (``PdfaRecord.layout``); without
    them (a PDF not built by :func:`~.pdfa.build_pdfa`) they go to the top corners of page 1.
    """
    when = when or datetime.now(UTC)
    texts = signature_texts(setup, when)
    if boxes is not None:
        texts = SignatureTexts(boxes.digitizer_text or texts.digitizer,
                               boxes.agency_text or texts.agency)
    else:
        sizes = signature_sizes(setup, when)
        boxes = SignatureBoxes(corner_box(pdf, "top-left", sizes[0]),
                               corner_box(pdf, "top-right", sizes[1]))
    signed = sign_pdf(
        pdf,
        setup.digitizer,
        field=DIGITIZER_FIELD,
        visible_box=boxes.digitizer,
        appearance_text=texts.digitizer,
        timestamper=setup.timestamper,
        level=FIRST_SIGNATURE_LEVEL[setup.level],
        validation=setup.validation,
        border=True,
        font_file=setup.font_file,
    )
    return sign_pdf(
        signed,
        setup.agency,
        field=AGENCY_FIELD,
        visible_box=boxes.agency,
        appearance_text=texts.agency,
        timestamper=setup.timestamper,
        level=setup.level,
        validation=setup.validation,
        font_file=setup.font_file,
    )
