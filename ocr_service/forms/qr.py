"""The QR code on the chip ID card (căn cước công dân gắn chip / căn cước).

Its payload is "ID12|OLD_ID|Full Name|DDMMYYYY|Nam|Address|DDMMYYYY": the same data as the front
side, printed by the issuing authority. Decoding it gives an OCR-independent reading to compare
the extracted fields with; a difference means a misread field or sides from different cards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import zxingcpp

from ocr_service.domain import ReviewReason
from ocr_service.forms.dates import normalize_date
from ocr_service.forms.enums import normalize_sex
from ocr_service.forms.text import mismatch, nfc, ocr_digits

QR_FIELDS = (
    "id_number", "old_id_number", "full_name", "date_of_birth", "sex", "place_of_residence",
    "date_of_issue",
)
_SOURCE = ("QR code", "mã QR")
_DDMMYYYY = re.compile(r"(\d{2})(\d{2})(\d{4})")


def _payload_text(barcode: zxingcpp.Barcode) -> str:
    """The payload as UTF-8 when its bytes are UTF-8 (the card's encoding), else zxing's guess.

    Cards carry no ECI marker, and a reader guessing the encoding can turn Vietnamese letters into
    another code page's characters; decoding the bytes ourselves avoids that.
    """
    try:
        return nfc(bytes(barcode.bytes).decode("utf-8"))
    except UnicodeDecodeError:
        return nfc(barcode.text)


def _read(image: np.ndarray) -> list[str]:
    found = zxingcpp.read_barcodes(
        np.ascontiguousarray(image), formats=zxingcpp.BarcodeFormat.QRCode
    )
    return [_payload_text(barcode) for barcode in found]


def decode_qr(images: Sequence[np.ndarray]) -> list[str]:
    """Payloads of the QR codes in ``images`` (page or card crops), each payload once, in order.

    An image is read as it is, then once more at twice the size when nothing was found: a card
    scanned at 200-300 dpi gives modules of 2-3 pixels, too small for the detector.
    """
    payloads: list[str] = []
    for image in images:
        texts = _read(image)
        if not texts:
            texts = _read(cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
        payloads.extend(text for text in texts if text not in payloads)
    return payloads


def _qr_date(text: str) -> str | None:
    match = _DDMMYYYY.fullmatch(text)
    return None if match is None else "/".join(match.groups())


def parse_cccd_qr(payload: str) -> dict[str, str | None] | None:
    """The fields of an ID-card QR payload; None when it is not one (no 12-digit ID, no birth date).

    Keys: id_number, old_id_number (None when empty), full_name, date_of_birth (dd/mm/yyyy), sex,
    place_of_residence, date_of_issue (dd/mm/yyyy or None). Fields after the seventh are ignored.
    """
    parts = [part.strip() for part in nfc(payload).strip().split("|")]
    if len(parts) < len(QR_FIELDS):
        return None
    id_number, old_id, name, birth, sex, residence, issue = parts[: len(QR_FIELDS)]
    date_of_birth = _qr_date(birth)
    if re.fullmatch(r"\d{12}", id_number) is None or date_of_birth is None:
        return None
    return {
        "id_number": id_number,
        "old_id_number": old_id or None,
        "full_name": name,
        "date_of_birth": date_of_birth,
        "sex": sex,
        "place_of_residence": residence,
        "date_of_issue": _qr_date(issue),
    }


def _digits(text: str) -> str:
    return re.sub(r"\D", "", ocr_digits(text))


def _words(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def _address_words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", nfc(text).casefold()).split())


def _date(text: str) -> str | None:
    return normalize_date(text)[0]


_COMPARABLE: dict[str, Callable[[str], str | None]] = {
    "id_number": _digits,
    "old_id_number": _digits,
    "full_name": _words,
    "date_of_birth": _date,
    "sex": normalize_sex,
    "place_of_residence": _address_words,
    "date_of_issue": _date,
}
"""How each field is reduced before comparing, so that spacing and case do not count."""


def cross_check_qr(qr: dict[str, str | None], fields: dict[str, str | None]) -> list[ReviewReason]:
    """One ``qr.mismatch`` per field where the QR code and the extracted value differ.

    A field missing on either side, or unreadable after reduction, is not compared.
    """
    problems = []
    for field, reduce in _COMPARABLE.items():
        ours, theirs = fields.get(field), qr.get(field)
        if not ours or not theirs:
            continue
        front, coded = reduce(ours), reduce(theirs)
        if front and coded and front != coded:
            problems.append(mismatch("qr.mismatch", _SOURCE, field))
    return problems
