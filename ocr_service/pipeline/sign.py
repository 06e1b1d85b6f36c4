"""Sign e-records (PAdES) with pyHanko.

Why it is written the way it is:

* A record carries two signatures (Circular 01/2023/TT-VPCP, Law 20/2023 Art. 12): the person who
  digitized it (personal certificate, a visible box at the top left of page 1 with name and time)
  and the agency (organisation certificate, text only at the top right: the copy form, the agency's
  name and the ISO 8601 time, in a Times-compatible 10 pt font).
* Every signature is an incremental update: the bytes of the PDF/A given are kept as a prefix, so
  the file stays PDF/A and the earlier signature keeps covering its own revision.
* The appearance text is Vietnamese, so the font is embedded (Liberation Serif: metric-compatible
  with Times New Roman, full Vietnamese coverage) through pyHanko's OpenType support; the standard
  14 fonts cannot show tone marks and are not allowed in PDF/A.
* The signer keeps its parsed private key (:class:`KeptKeySigner`): pyHanko's ``SimpleSigner``
  parses the key again for every signature, about half the cost of signing. Signatures reserve a
  fixed size, which saves pyHanko a dry-run signature per document.
* ``SimpleSigner.load_pkcs12`` returns ``None`` on a wrong password; :func:`load_pkcs12_signer`
  turns every failure into a :class:`~ocr_service.errors.SohoaError` the operator can act on.
* Verification lives in :mod:`ocr_service.pipeline.verify`.
"""

from __future__ import annotations

import hmac
import io
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ocr_service.domain import VIETNAM_TIME
from ocr_service.errors import SohoaError

# Libraries, not this module, decide what their warnings are worth; without a handler Python would
# print pyHanko's tracebacks for every signature it judges invalid (those findings are in the
# report) and fontTools' notes on the tables it drops while subsetting the font.
for _name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]
RevocationMode = Literal["soft-fail", "hard-fail", "require"]
SignatureKind = Literal["signature", "document_timestamp"]
Box = tuple[float, float, float, float]
"""(x1, y1, x2, y2) in PDF points, origin at the bottom left of the page."""

DEFAULT_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
"""Debian ``fonts-liberation2``: Times New Roman metrics, every Vietnamese letter."""
FONT_SIZE = 10
BYTES_RESERVED = 32 * 1024
"""Hex digits reserved for the CMS (16 KiB of DER). A B-T signature with a three-certificate chain
and a timestamp token carrying three more takes about 8.5 KiB; a larger one falls back to pyHanko's
own estimate."""
MARGIN = 18.0
"""Distance of the signature boxes from the page edges (a quarter inch)."""
PADDING = 4.0
LEADING = 1.2
"""Line distance as a multiple of the font size."""
DIGEST = "sha256"
COPY_FORM_DEFAULT = "Bản sao điện tử được chuyển đổi từ bản giấy"
"""Default copy form stated by the agency signature (Decree 45/2020, Art. 3: bản sao điện tử)."""


# --------------------------------------------------------------------------- errors


def _signer_error(code: str, en: str, vi: str) -> SohoaError:
    return SohoaError(en, vi, code=code)


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
        raise _signer_error(
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
            raise _signer_error(
                "signer_bad_password",
                f"Wrong password for the PKCS#12 signing file {path}.",
                f"Sai mật khẩu của tệp chữ ký PKCS#12 {path}.",
            ) from exc
        raise _signer_error(
            "signer_unreadable",
            f"{path} is not a readable PKCS#12 file: {exc}.",
            f"{path} không phải tệp PKCS#12 đọc được: {exc}.",
        ) from exc
    if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise _signer_error(
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
            raise _signer_error(
                "signer_unreadable",
                f"Cannot open PKCS#11 token {token_label!r} with module {module}: {exc}.",
                f"Không mở được thiết bị ký số PKCS#11 {token_label!r} qua thư viện {module}: "
                f"{exc}.",
            ) from exc
        _TOKEN_SESSIONS[key] = (session, pin)
        return session


def _bad_pin(token_label: str) -> SohoaError:
    return _signer_error(
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
        raise _signer_error(
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


def _context_kwargs(
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


def validation_context(
    trust_roots: Sequence[x509.Certificate],
    *,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable[x509.CertificateRevocationList] = (),
    allow_fetching: bool = False,
    revocation_mode: RevocationMode = "soft-fail",
) -> ValidationContext:
    """What pyHanko needs to judge trust: roots, extra certificates and revocation information.

    B-LT signing embeds the CRLs it gets here (or fetches, with ``allow_fetching``) into the DSS;
    use ``revocation_mode="hard-fail"`` there so a record never claims B-LT without them.
    """
    return ValidationContext(
        **_context_kwargs(
            trust_roots,
            other_certs=other_certs,
            crls=crls,
            allow_fetching=allow_fetching,
            revocation_mode=revocation_mode,
        )
    )


# --------------------------------------------------------------------------- appearance


@lru_cache(maxsize=4)
def _font_metrics(font_file: Path) -> tuple[dict[int, str], Any, int]:
    font = TTFont(str(font_file), lazy=True)
    return font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm


def text_width(text: str, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE) -> float:
    """Width in points of one line of ``text``: boxes are sized to the text so it never shrinks."""
    cmap, hmtx, units = _font_metrics(font_file)
    advance = sum(hmtx[cmap.get(ord(ch), ".notdef")][0] for ch in text)
    return advance * size / units


def text_box_size(
    text: str, *, font_file: Path = DEFAULT_FONT, size: float = FONT_SIZE
) -> tuple[float, float]:
    """(width, height) in points that hold ``text`` at ``size`` with the stamp's padding."""
    lines = text.split("\n")
    width = max(text_width(line, font_file=font_file, size=size) for line in lines)
    return width + 2 * PADDING + 2, len(lines) * round(size * LEADING) + 2 * PADDING


def media_box(pdf: bytes, page: int = 0) -> Box:
    """The media box of a page, normalised to (left, bottom, right, top), in points."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    page_ref, _ = reader.find_page_for_modification(page)
    node = page_ref.get_object()
    while "/MediaBox" not in node:  # the media box may be inherited from the page tree
        node = node["/Parent"].get_object()
    x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def corner_box(
    pdf: bytes,
    corner: Literal["top-left", "top-right"],
    size: tuple[float, float],
    *,
    page: int = 0,
    margin: float = MARGIN,
    offset: tuple[float, float] = (0.0, 0.0),
) -> Box:
    """A box of ``size`` in a top corner of ``page``.

    ``offset`` moves it right and down, e.g. past the QR code at the top left.
    """
    left_edge, _, right_edge, top_edge = media_box(pdf, page)
    width, height = size
    top = top_edge - margin - offset[1]
    if corner == "top-left":
        left = left_edge + margin + offset[0]
    else:
        left = right_edge - margin - offset[0] - width
    return (round(left, 2), round(top - height, 2), round(left + width, 2), round(top, 2))


def iso_time(when: datetime) -> str:
    """ISO 8601 with the UTC offset, to the second: what the agency text and manifests show."""
    return when.replace(microsecond=0).isoformat()


def digitizer_text(name: str, when: datetime) -> str:
    """Visible text of the digitizer's signature."""
    return f"Người số hóa: {name}\nKý lúc: {iso_time(when)}"


def agency_text(copy_form: str, agency: str, when: datetime) -> str:
    """Visible text of the agency's signature: the copy form, the agency and the ISO 8601 time."""
    return f"{copy_form}\n{agency}\nThời gian: {iso_time(when)}"


@lru_cache(maxsize=4)
def _font_at_1000_upem(font_file: Path) -> bytes:
    """The font rescaled to 1000 units per em.

    pyHanko 0.38 writes glyph widths (``/W``) and ``TJ`` adjustments in the font's own units, but
    PDF reads both as thousandths of an em: a TrueType font with 2048 units (Liberation, Times New
    Roman, DejaVu) comes out with every letter spaced twice too wide. Rescaling the font fixes it.
    """
    font = TTFont(str(font_file))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class EmbeddedFontFactory(FontEngineFactory):
    """pyHanko font engine factory for an OpenType/TrueType font, subset and embedded."""

    font_file: Path
    font_size: int = FONT_SIZE

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_at_1000_upem(self.font_file)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_style(font_file: Path, font_size: int, border: bool) -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(
            font=EmbeddedFontFactory(font_file, font_size),
            font_size=font_size,
            leading=round(font_size * LEADING),
            # No margin inside the text box: the stamp's layout below adds PADDING once, so the
            # natural size is what text_box_size() computes and the text never gets shrunk.
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN, y_align=AxisAlignment.ALIGN_MID, margins=Margins()
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(PADDING),
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
        border_width=1 if border else 0,
        background=None,
    )


# --------------------------------------------------------------------------- signing


def _check_level(
    level: Level, timestamper: TimeStamper | None, vc: ValidationContext | None
) -> None:
    if level not in ("B-B", "B-T", "B-LT", "B-LTA"):
        raise _signer_error(
            "sign_config", f"Unknown PAdES level {level!r}.", f"Mức PAdES {level!r} không hợp lệ."
        )
    if level != "B-B" and timestamper is None:
        raise _signer_error(
            "sign_config",
            f"PAdES {level} needs a time-stamping authority (TSA); none is configured.",
            f"PAdES {level} cần máy chủ cấp dấu thời gian (TSA) nhưng chưa được cấu hình.",
        )
    if level in ("B-LT", "B-LTA") and vc is None:
        raise _signer_error(
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
    validation: ValidationContext | None = None,
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
    ``validation`` (its CRLs/OCSP responses go into the DSS), B-LTA adds a document timestamp.
    """
    _check_level(level, timestamper, validation)
    long_term = level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=validation if long_term else None,
        signer_key_usage={"non_repudiation"},
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper if level != "B-B" else None,
        stamp_style=_stamp_style(font_file, font_size, border),
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
        raise _signer_error(
            "sign_failed", f"Signing failed: {exc}.", f"Ký số thất bại: {exc}."
        ) from exc


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
    validation: ValidationContext | None = None
    copy_form: str = COPY_FORM_DEFAULT
    digitizer_offset: tuple[float, float] = (0.0, 0.0)
    """Moves the digitizer's box right/down, e.g. beside the QR code at the top left."""
    agency_offset: tuple[float, float] = (0.0, 0.0)
    """Moves the agency's box left/down, e.g. below a wide conversion mark."""
    font_file: Path = DEFAULT_FONT
    display_zone: tzinfo = VIETNAM_TIME
    """Time zone of the times shown on the page (ISO 8601 with its offset)."""


def _subject_name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)



def signer_name(signer: Signer) -> str:
    """The common name of the signer's certificate: what the visible signature shows."""
    if signer.signing_cert is None:
        raise _signer_error(
            "signer_unsupported",
            "The signer has no certificate.",
            "Bộ ký số không có chứng thư số.",
        )
    return _subject_name(signer.signing_cert)


def sign_record(pdf: bytes, setup: RecordSigning, *, when: datetime | None = None) -> bytes:
    """The two signatures of an e-record: the digitizer's (top left), then the agency's (top right).

    ``when`` is the time shown on the page (default: now); the signed time comes from the TSA.
    """
    when = (when or datetime.now(UTC)).astimezone(setup.display_zone)
    text = digitizer_text(signer_name(setup.digitizer), when)
    box = corner_box(
        pdf,
        "top-left",
        text_box_size(text, font_file=setup.font_file),
        offset=setup.digitizer_offset,
    )
    signed = sign_pdf(
        pdf,
        setup.digitizer,
        field=DIGITIZER_FIELD,
        visible_box=box,
        appearance_text=text,
        timestamper=setup.timestamper,
        level=FIRST_SIGNATURE_LEVEL[setup.level],
        validation=setup.validation,
        border=True,
        font_file=setup.font_file,
    )
    text = agency_text(setup.copy_form, setup.agency_name, when)
    box = corner_box(
        signed, "top-right", text_box_size(text, font_file=setup.font_file),
        offset=setup.agency_offset,
    )
    return sign_pdf(
        signed,
        setup.agency,
        field=AGENCY_FIELD,
        visible_box=box,
        appearance_text=text,
        timestamper=setup.timestamper,
        level=setup.level,
        validation=setup.validation,
        font_file=setup.font_file,
    )
