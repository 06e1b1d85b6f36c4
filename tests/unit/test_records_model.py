"""The record manifest's wire format, pinned by a literal: keys, their order, nesting and values.

The manifest is archived beside every record under COMPLIANCE retention and hashed into the
index, so its bytes are a contract (docs/architecture.md §5): a refactor of the record model must
not change one of them. The record is built for real (PDF/A, two B-B signatures from a test PKI);
only the signed PDF's hash and size, which depend on the signatures' randomness, are read back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from ocr_service import __version__
from ocr_service.domain import Extraction, FieldValue, PageImage, PageText, ReviewReason, Upload
from ocr_service.pipeline.record import build_record
from ocr_service.pipeline.records_model import Manifest, RecordInfo
from ocr_service.pipeline.sign import RecordSigning, load_pkcs12_signer
from ocr_service.pki import init_pki

WHEN = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
RECORD_ID = "3f2b8c1e-5d4a-4e8f-9b0c-7a6d5e4f3a2b"
APPROVAL = {"approved_by": {"kind": "key", "id": "k1"}, "approved_at": "2026-11-22T08:29:00+00:00",
            "accepted_flagged": ["id_number"], "corrections": []}


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> RecordSigning:
    pki = init_pki(tmp_path_factory.mktemp("pki"))
    return RecordSigning(digitizer=load_pkcs12_signer(pki.digitizer_p12, pki.password),
                         agency=load_pkcs12_signer(pki.agency_p12, pki.password),
                         agency_name="Trung tâm thử nghiệm", level="B-B")


@pytest.fixture(scope="module")
def record(signing: RecordSigning, tmp_path_factory: pytest.TempPathFactory):
    from ocr_service.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("var"), system_name="Hệ thống thử",
                        converting_unit="UBND xã Thử", public_url="https://tracuu.example.vn/")
    page = PageImage(1, np.full((400, 300, 3), 255, np.uint8), 200.0, color=False)
    upload = Upload("to-khai.png", "image/png", "ab" * 32, 1234, (page,))
    field = FieldValue("001099012345", raw="00109901234S", confidence=0.9, page=1,
                       box=((1.0, 2.0), (3.0, 2.0), (3.0, 4.0), (1.0, 4.0)),
                       reasons=(ReviewReason("respelled", "Respelled.", "Đã sửa chính tả."),))
    extraction = Extraction("cccd", {"id_number": field}, text="SỐ 001099012345")
    info = RecordInfo("000.00.10.H29-261122-0001", "1.001234", "001099012345", "Căn cước")
    return build_record(upload, [page], [PageText(1, 300, 400)], info, signing, settings,
                        models={"det": "v1"}, now=WHEN, extraction=extraction,
                        record_id=RECORD_ID, review=APPROVAL)


def exported(record) -> dict:
    """The manifest as its JSON text says it (what ``sohoa process`` and the archive write)."""
    return json.loads(record.manifest.to_json())


def test_the_manifest_keeps_its_wire_format_byte_for_byte(record) -> None:
    manifest = exported(record)
    pdf = manifest["pdf"]
    assert pdf["size"] == len(record.pdf) and len(pdf["sha256"]) == 64
    expected = {
        "manifest_version": 1,
        "record_id": RECORD_ID,
        "dossier_code": "000.00.10.H29-261122-0001",
        "procedure_code": "1.001234",
        "owner_id_number": "001099012345",
        "document_type": "cccd",
        "title": "Căn cước",
        "fields": {"id_number": {
            "value": "001099012345", "raw": "00109901234S", "confidence": 0.9, "page": 1,
            "box": [[1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [1.0, 4.0]], "review": True,
            "reasons": [{"code": "respelled", "message": "Respelled.",
                         "message_vi": "Đã sửa chính tả."}]}},
        "approval": APPROVAL,
        "source": {"filename": "to-khai.png", "media_type": "image/png", "size": 1234,
                   "sha256": "ab" * 32, "pages": 1},
        "pdf": {"sha256": pdf["sha256"], "size": pdf["size"], "pdfa": "3b"},
        "quality": [{"page": 1, "dpi": 200, "color": False, "issues": []}],
        "signatures": [{"role": "digitizer", "subject": manifest["signatures"][0]["subject"]},
                       {"role": "agency", "subject": manifest["signatures"][1]["subject"]}],
        "sign_level": "B-B",
        "converted_at": "2026-11-22T08:30:00+00:00",
        "converting_unit": "UBND xã Thử",
        "system": "Hệ thống thử",
        "software": {"sohoa": __version__},
        "models": {"det": "v1"},
    }
    # The text, not just the values: key order at every level is part of the format.
    assert json.dumps(manifest, ensure_ascii=False, indent=2) == json.dumps(
        expected, ensure_ascii=False, indent=2)
    assert all(s["subject"] for s in manifest["signatures"])


def test_the_manifest_is_written_as_its_export_and_read_back_unchanged(record) -> None:
    text = record.manifest.to_json()
    assert text == json.dumps(record.manifest.export(), ensure_ascii=False, indent=2).encode()
    assert "Căn cước".encode() in text  # Vietnamese unescaped, as archived until now
    again = Manifest.from_json(text)
    assert again == record.manifest and again.to_json() == text
    assert Manifest.from_json(json.loads(text)) == record.manifest
    # what the archive stage files the record under, as typed fields
    assert (again.owner_id_number, again.document_type) == ("001099012345", "cccd")
    assert again.source.pages == 1 and again.pdf.size == len(record.pdf)


@pytest.mark.parametrize("broken", [b"{}", b'{"manifest_version": 2}', b"[]"])
def test_what_is_not_a_manifest_is_refused(record, broken: bytes) -> None:
    with pytest.raises(ValueError, match="manifest"):
        Manifest.from_json(broken)
    partial = record.manifest.export()
    del partial["owner_id_number"]
    with pytest.raises(ValueError, match="owner_id_number"):
        Manifest.from_json(partial)
