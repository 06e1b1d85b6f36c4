"""The S3 archive against a real SeaweedFS, spoken to through the minio SDK (issue 5, item 4).

What S3 object lock promises, and what these tests hold the server and ``ObjectStore`` to: a
locked version can be neither deleted nor have its lock shortened or bypassed, by anyone, also
after a server restart; a PUT to the same key can only add a version beside it, which
``ObjectStore`` notices instead of serving it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.retention import Retention

from ocr_service.config import Settings
from ocr_service.devstack import SeaweedServer
from ocr_service.errors import ObjectNotFound, StorageError, StorageUnavailable
from ocr_service.store.objects import ObjectStore, StoredRecord, record_key, sha256_hex

PDF = b"%PDF-1.7\n signed record bytes \n%%EOF\n"
MANIFEST = b'{"record_id": "r", "sha256": "..."}'


@pytest.fixture
def s3(seaweed: SeaweedServer) -> Iterator[Minio]:
    """A plain SDK client with the same (owner) credentials: what an intruder with the keys has."""
    client = Minio(seaweed.endpoint, seaweed.access_key, seaweed.secret_key, secure=False,
                   region="us-east-1")
    yield client
    client._http.clear()


def _versions(s3: Minio, bucket: str, key: str) -> list[str]:
    return [o.version_id for o in s3.list_objects(bucket, prefix=key, include_version=True)
            if o.object_name == key and not o.is_delete_marker]


def _assert_undeletable(s3: Minio, store: ObjectStore, stored: StoredRecord) -> None:
    """Through the SDK: no delete of the locked versions, no shorter or weaker lock."""
    bucket = store.records_bucket
    for obj in (stored.pdf, stored.manifest):
        with pytest.raises(S3Error) as refused:
            s3.remove_object(bucket, obj.key, version_id=obj.version_id)
        assert refused.value.code == "AccessDenied"
        with pytest.raises(S3Error):
            s3.set_object_retention(bucket, obj.key, Retention(
                GOVERNANCE, datetime.now(UTC) + timedelta(days=1)), version_id=obj.version_id)
        errors = list(s3.remove_objects(bucket, [DeleteObject(obj.key, obj.version_id)],
                                        bypass_governance_mode=True))
        assert [e.code for e in errors] == ["AccessDenied"]
        assert obj.version_id in _versions(s3, bucket, obj.key)


def test_raw_round_trip_carries_sha256(object_store: ObjectStore, s3: Minio) -> None:
    data = b"\x89PNG fake scan \x00\x01" * 100
    raw = object_store.put_raw(data, agency="000.00.00.H01", dossier_id="HS-2026-0001",
                               filename="CCCD mặt trước.png", media_type="image/png")
    assert raw.key == f"raw/000.00.00.H01/HS-2026-0001/{sha256_hex(data)}"
    assert (raw.sha256, raw.size) == (sha256_hex(data), len(data))
    assert object_store.get_raw(raw.key) == data
    stat = s3.stat_object(object_store.raw_bucket, raw.key)
    assert stat.metadata is not None
    assert stat.metadata["x-amz-meta-sha256"] == raw.sha256
    assert stat.content_type == "image/png"


def test_same_bytes_twice_are_one_object(object_store: ObjectStore, s3: Minio) -> None:
    data = b"the same scan"
    first = object_store.put_raw(data, agency="a1", dossier_id="d1", filename="a.jpg",
                                 media_type="image/jpeg")
    again = object_store.put_raw(data, agency="a1", dossier_id="d1", filename="b.jpg",
                                 media_type="image/jpeg")
    assert again == first
    assert len(_versions(s3, object_store.raw_bucket, first.key)) == 1
    other = object_store.put_raw(data, agency="a1", dossier_id="d2", filename="a.jpg",
                                 media_type="image/jpeg")
    assert other.key != first.key


def test_get_raw_checks_the_hash(object_store: ObjectStore, s3: Minio) -> None:
    data = b"original upload"
    raw = object_store.put_raw(data, agency="a1", dossier_id="d1", filename="x.pdf",
                               media_type="application/pdf")
    s3.put_object(object_store.raw_bucket, raw.key, io.BytesIO(b"evil"), 4)
    assert object_store.get_raw(raw.key) == data  # the replaced bytes are a newer version
    forged = raw.key[:-64] + sha256_hex(b"never stored")
    s3.put_object(object_store.raw_bucket, forged, io.BytesIO(b"evil"), 4)
    with pytest.raises(StorageError) as broken:
        object_store.get_raw(forged)
    assert broken.value.code == "integrity_error"
    with pytest.raises(ObjectNotFound):
        object_store.get_raw(raw.key[:-64] + "0" * 64)
    with pytest.raises(ValueError):
        object_store.put_raw(data, agency="../etc", dossier_id="d1", filename="x",
                             media_type="image/png")


def test_record_is_locked_and_cannot_be_deleted_or_replaced(
    object_store: ObjectStore, s3: Minio
) -> None:
    stored = object_store.put_record("rec-1", PDF, MANIFEST)
    assert stored.created and stored.pdf.sha256 == sha256_hex(PDF)
    state = object_store.lock_state("rec-1")
    assert state.mode == COMPLIANCE and not state.legal_hold
    assert state.retain_until is not None
    expected = datetime.now(UTC) + timedelta(days=object_store.retention_days)
    assert abs(state.retain_until - expected) < timedelta(minutes=5)
    assert object_store.is_locked("rec-1")
    _assert_undeletable(s3, object_store, stored)

    # A PUT over the key only adds a version beside the locked one; a DELETE without a version
    # only adds a marker. The archived bytes stay, and the store will not serve a stand-in.
    bucket = object_store.records_bucket
    s3.put_object(bucket, stored.pdf.key, io.BytesIO(b"forged"), 6)
    s3.remove_object(bucket, stored.manifest.key)
    with pytest.raises(StorageError) as overwritten:
        object_store.get_record_pdf("rec-1")
    assert overwritten.value.code == "record_overwritten"
    assert object_store.get_record_pdf("rec-1", version_id=stored.pdf.version_id) == PDF
    assert object_store.get_record_manifest("rec-1") == MANIFEST


def test_put_record_is_idempotent_and_refuses_other_bytes(object_store: ObjectStore) -> None:
    first = object_store.put_record("rec-2", PDF, MANIFEST)
    again = object_store.put_record("rec-2", PDF, MANIFEST)
    assert not again.created
    assert (again.pdf, again.manifest) == (first.pdf, first.manifest)
    with pytest.raises(StorageError) as conflict:
        object_store.put_record("rec-2", PDF + b" ", MANIFEST)
    assert conflict.value.code == "record_conflict"
    assert object_store.get_record_pdf("rec-2") == PDF
    assert object_store.get_record_manifest("rec-2") == MANIFEST


def test_lock_survives_a_restart(object_store: ObjectStore, s3: Minio,
                                 seaweed: SeaweedServer) -> None:
    stored = object_store.put_record("rec-3", PDF, MANIFEST)
    port = seaweed.port
    seaweed.restart()
    assert seaweed.port == port
    assert object_store.is_locked("rec-3")
    _assert_undeletable(s3, object_store, stored)
    assert object_store.get_record_pdf("rec-3") == PDF


def test_revoke_puts_a_legal_hold_and_keeps_the_record(
    object_store: ObjectStore, s3: Minio
) -> None:
    stored = object_store.put_record("rec-4", PDF, MANIFEST,
                                     retain_until=datetime.now(UTC) + timedelta(days=1))
    object_store.revoke("rec-4")
    object_store.revoke("rec-4")  # idempotent
    for part in ("pdf", "manifest"):
        assert object_store.lock_state("rec-4", part).legal_hold  # type: ignore[arg-type]
    assert object_store.get_record_pdf("rec-4") == PDF
    _assert_undeletable(s3, object_store, stored)
    with pytest.raises(ObjectNotFound):
        object_store.revoke("no-such-record")


def test_storage_down_is_unavailable(object_store: ObjectStore,
                                     seaweed: SeaweedServer) -> None:
    raw = object_store.put_raw(b"kept", agency="a1", dossier_id="d1", filename="k",
                               media_type="text/plain")
    seaweed.stop()
    try:
        with pytest.raises(StorageUnavailable) as down:
            object_store.ping()
        assert down.value.code == "storage_unavailable" and down.value.message_vi
        with pytest.raises(StorageUnavailable):
            object_store.get_raw(raw.key)
        with pytest.raises(StorageUnavailable):
            object_store.put_record("rec-5", PDF, MANIFEST)
    finally:
        seaweed.start()
    object_store.ping()
    assert object_store.get_raw(raw.key) == b"kept"


def test_ensure_buckets_is_idempotent_and_refuses_an_unlocked_records_bucket(
    object_store: ObjectStore, s3_settings: Callable[..., Settings], s3: Minio
) -> None:
    object_store.ensure_buckets()
    object_store.ping()
    plain = s3_settings()
    s3.make_bucket(plain.records_bucket)
    unlocked = ObjectStore.from_settings(plain)
    with pytest.raises(StorageError) as refused:
        unlocked.ensure_buckets()
    assert refused.value.code == "records_bucket_unlocked"
    missing = ObjectStore.from_settings(s3_settings())
    with pytest.raises(StorageError) as absent:
        missing.ping()
    assert absent.value.code == "bucket_missing"


def test_wrong_credentials_and_missing_config_are_clear(
    s3_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(StorageError) as unset:
        ObjectStore.from_settings(s3_settings(s3_endpoint=None))
    assert unset.value.code == "storage_not_configured"
    intruder = ObjectStore.from_settings(s3_settings(s3_secret_key="wrong-secret"))
    with pytest.raises(StorageError) as denied:
        intruder.ping()
    assert not isinstance(denied.value, StorageUnavailable)
    assert "wrong-secret" not in str(denied.value)
    assert record_key("r1", "manifest") == "records/r1.manifest.json"


def test_settings_env_configures_the_store(seaweed: SeaweedServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``sohoa up`` hands its child processes is enough to reach the archive."""
    for name, value in seaweed.settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SOHOA_RECORDS_BUCKET", "env-check-records")
    monkeypatch.setenv("SOHOA_RAW_BUCKET", "env-check-raw")
    settings = Settings()
    assert settings.s3_secret_key is not None
    assert seaweed.secret_key not in repr(settings)
    store = ObjectStore.from_settings(settings)
    store.ensure_buckets()
    store.ping()
    store.close()


def test_a_long_ocr_result_streams_up_and_one_page_is_read_by_ranges(
        object_store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCR result of a long document goes to S3 from its spool file and comes back whole
    (hash checked) as a file; the review page reads one page of it with ranged GETs."""
    import numpy as np

    from ocr_service.domain import PageImage, PageText
    from ocr_service.pipeline.pages import PackedReading, pack, page_png
    from ocr_service.store import objects

    noise = np.random.default_rng(7)
    pages = [PageImage(number, noise.integers(0, 256, (700, 500), dtype=np.uint8), 200.0)
             for number in range(1, 9)]  # incompressible: ~350 KB of PNG each
    packed = pack(pages, [PageText(p.number, 500, 700, ()) for p in pages], {"m": "1"})
    key = "work/ocr/test-ranges.zip"
    object_store.put_work(key, packed.file)
    with object_store.open_work(key) as whole:
        assert whole is not None and whole.read() == packed.getvalue()
    fetched: list[int] = []
    real = objects._RangeReader.readinto
    monkeypatch.setattr(objects._RangeReader, "readinto",
                        lambda self, buffer: fetched.append(n := real(self, buffer)) or n)
    with object_store.open_work_ranges(key) as ranged:
        assert ranged is not None
        png = page_png(ranged, 5)
    expected = page_png(packed.file, 5)
    assert png is not None and png == expected
    assert sum(fetched) < packed.size() / 3  # a page and the directory, not the document
    assert np.array_equal(PackedReading.from_bytes(packed.getvalue()).pages[4].image,
                          pages[4].image)
    with object_store.open_work_ranges("work/ocr/none.zip") as missing:
        assert missing is None
