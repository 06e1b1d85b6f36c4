"""The workers' pure parts: intermediate results, record ids, owners, webhook signatures, queues."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import numpy as np
import pytest

from ocr_service.config import Settings
from ocr_service.domain import (
    Extraction, FieldValue, OcrLine, PageImage, PageText, QualityIssue, QualityReport,
    ReviewReason,
)
from ocr_service.errors import SohoaError
from ocr_service.pipeline.records_model import (
    Manifest, PageQuality, PdfFacts, SignatureFacts, SourceFacts,
)
from workers.app import QUEUES, ROUTES, celery_app, configure
from ocr_service.pipeline.pages import PackedReading, PageFacts, pack, page_facts, page_png
from workers.results import (
    SignedRecord, engine_fingerprint, manifest_bytes, ocr_key, pack_record, unpack_record,
)
from workers.run import parse_queues
from ocr_service.pipeline.process import owner_id_number
from workers.tasks import record_id_for
from workers.webhooks import body_of, signature


def _page(number: int, color: bool) -> PageImage:
    rng = np.random.default_rng(number)
    shape = (40, 30, 3) if color else (40, 30)
    quality = QualityReport(dpi=300.0, dpi_source="file", color=color, blur=123.4, contrast=80.5,
                            issues=(QualityIssue("grey", "Grey scan.", "Bản quét xám."),))
    return PageImage(number=number, image=rng.integers(0, 256, shape, dtype=np.uint8),
                     dpi=300.0, dpi_source="file", color=color, rotation=90, skew=-0.37,
                     quality=quality)


def test_ocr_result_round_trip_keeps_pixels_and_precision() -> None:
    pages = [_page(1, True), _page(2, False)]
    line = OcrLine("Họ và tên: NGUYỄN VĂN A", 0.987654321,
                   ((1.25, 2.5), (100.125, 2.5), (100.125, 20.0), (1.25, 20.0)))
    texts = [PageText(1, 30, 40, (line,)), PageText(2, 30, 40, ())]
    packed = pack(pages, texts, {"det": "abc"})
    read = PackedReading.from_bytes(packed.getvalue())  # as a stage reads it back from S3
    assert read.models == {"det": "abc"}
    assert read.texts == tuple(texts)
    for got, want in zip(read.pages, pages, strict=True):
        assert np.array_equal(got.image, want.image)
        assert (got.number, got.dpi, got.color, got.rotation, got.skew, got.quality) == (
            want.number, want.dpi, want.color, want.rotation, want.skew, want.quality)
    # The facts a record is laid out with come from pages.json, without decoding a page.
    assert page_facts(read.pages) == [PageFacts.of(page) for page in pages]
    packed.file.seek(0)
    png = page_png(packed.file, 2)
    assert png is not None and png.startswith(b"\x89PNG") and page_png(packed.file, 3) is None


def test_the_ocr_result_format_is_a_zip_of_pngs_and_pages_json() -> None:
    """The format kept in S3 between stages, pinned by its literal names and keys: results
    written by one version of the workers are read by the next."""
    import io
    import zipfile

    line = OcrLine("Số", 0.5, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))
    data = pack([_page(1, False)], [PageText(1, 30, 40, (line,))], {"rec": "ff"}).getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["page-0001.png", "pages.json"]
        meta = json.loads(archive.read("pages.json"))
    assert meta["models"] == {"rec": "ff"}
    assert meta["texts"] == [{"page": 1, "width": 30, "height": 40,
                              "lines": [["Số", 0.5, [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0],
                                                     [0.0, 1.0]]]]}]
    assert set(meta["pages"][0]) == {"number", "dpi", "dpi_source", "color", "rotation", "skew",
                                     "quality"}


def test_signed_record_round_trip_keeps_manifest_bytes() -> None:
    made = Manifest(
        record_id="r", dossier_code="SH-1", procedure_code="1.001234",
        owner_id_number="001099012345", document_type="cccd", title="Căn cước", fields={},
        approval=None, source=SourceFacts("a.png", "image/png", 3, "ab" * 32, 1),
        pdf=PdfFacts("cd" * 32, 12), quality=(PageQuality(1, 300, True, ("blur",)),),
        signatures=(SignatureFacts("digitizer", "A"), SignatureFacts("agency", "B")),
        sign_level="B-T", converted_at=datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
        converting_unit="UBND", system="sohoa", software={"sohoa": "1"})
    manifest = manifest_bytes(made)
    read = unpack_record(pack_record(SignedRecord(b"%PDF-1.7 ...", manifest)))
    assert read.pdf == b"%PDF-1.7 ..." and read.manifest == manifest
    typed = read.read_manifest()
    assert typed == made  # what the archive stage files the record under, typed
    assert (typed.owner_id_number, typed.document_type) == ("001099012345", "cccd")


def test_ocr_key_follows_the_engine_and_its_settings() -> None:
    class Engine:
        name, models = "ppocr", {"det": "1"}

    settings = Settings()
    first = engine_fingerprint(Engine(), settings)
    assert first == engine_fingerprint(Engine(), Settings())
    assert first != engine_fingerprint(Engine(), Settings(ocr_recognizer="accurate"))
    assert ocr_key("a" * 64, first).startswith("work/ocr/" + "a" * 64 + "/")


def test_record_id_is_derived_from_the_document() -> None:
    assert record_id_for("5b0e4c9e-1111-4222-8333-444455556666") == record_id_for(
        "5b0e4c9e-1111-4222-8333-444455556666")
    assert record_id_for("5b0e4c9e-1111-4222-8333-444455556666") != record_id_for(
        "5b0e4c9e-1111-4222-8333-444455556667")
    # Each run of a document (reprocessed, superseded) makes a record of its own; the first
    # keeps the id records had before runs were counted.
    first = record_id_for("5b0e4c9e-1111-4222-8333-444455556666")
    assert record_id_for("5b0e4c9e-1111-4222-8333-444455556666", 0) == first
    assert str(record_id_for("5b0e4c9e-1111-4222-8333-444455556666", 1)) not in (str(first), "")


def test_owner_is_the_checked_id_number_else_the_applicant() -> None:
    doubt = (ReviewReason("id_number.birth_year", "Mismatch.", "Không khớp."),)
    checked = Extraction("cccd", {"id_number": FieldValue("001099000001")})
    flagged = Extraction("cccd", {"id_number": FieldValue("001099000001", reasons=doubt)})
    requester = Extraction("birth_registration",
                           {"requester_id_number": FieldValue("001099000002")})
    assert owner_id_number(checked, "APPLICANT") == "001099000001"
    assert owner_id_number(flagged, "APPLICANT") == "APPLICANT"
    assert owner_id_number(requester, "APPLICANT") == "001099000002"
    assert owner_id_number(Extraction("unknown"), "APPLICANT") == "APPLICANT"


def test_webhook_signature_is_hmac_of_the_exact_body() -> None:
    body = body_of({"event": "document.archived", "document_id": "d", "status": "archived"})
    assert json.loads(body)["status"] == "archived"
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature(body, "secret") == f"sha256={expected}"


def test_queues_routes_and_crash_safety() -> None:
    # ocr_batch is named when a batch document is sent (tasks.submit_batch_document), not routed.
    assert set(QUEUES) == {route["queue"] for route in ROUTES.values()} | {"ocr_batch"}
    conf = configure(Settings(redis_url="redis://127.0.0.1:1/0", task_visibility_timeout=42,
                              task_time_limit=30)).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1 and conf.accept_content == ["json"]
    assert conf.broker_transport_options["visibility_timeout"] == 42
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (30, 33)
    assert {q.name: q.routing_key for q in conf.task_queues} == {q: q for q in QUEUES}
    assert celery_app.conf is conf
    assert parse_queues(" ocr,archive ") == ["ocr", "archive"]
    with pytest.raises(SohoaError):
        parse_queues("ocr,gpu")
