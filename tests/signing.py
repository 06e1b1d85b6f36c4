"""Helpers shared by the signing tests: blank PDFs, tampering, and the invalid-report check."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pikepdf
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from ocr_service.pipeline.verify import VerifyReport

WHEN = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
"""A frozen signing time, so test records do not depend on the clock."""
A4 = (595.0, 842.0)


def blank_pdf(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=A4)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def flip(data: bytes, index: int) -> bytes:
    """``data`` with one bit of byte ``index`` changed."""
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


def append_page(data: bytes) -> bytes:
    """``data`` with a blank page added in an incremental update, as an attacker would."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Page"),
                generic.pdf_name("/MediaBox"): generic.ArrayObject(
                    map(generic.FloatObject, (0, 0, *A4))
                ),
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def assert_invalid_with_reason(report: VerifyReport, *words: str) -> None:
    assert not report.valid
    assert report.reasons, "an invalid file must say why"
    for reason in report.reasons:
        assert reason.message and reason.message_vi
    text = " ".join(r.message for r in report.reasons).lower()
    assert any(word in text for word in words), text
