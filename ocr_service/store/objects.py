"""The S3 archive (docs/architecture.md §6), spoken to through the ``minio`` SDK: MinIO or SeaweedFS.

Two buckets:

* raw (versioned): every upload as received, under ``raw/<agency>/<dossier>/<sha256>``. The key
  is the content hash, so the same bytes uploaded twice for one dossier are one object, and a
  read can prove it got the bytes that were stored.
* records (created with object lock): ``records/<id>.pdf`` and ``records/<id>.manifest.json``,
  each under COMPLIANCE retention. S3 never changes a stored version: a PUT to the same key adds
  a version, a DELETE without a version id adds a delete marker, and removing or shortening the
  lock of a locked version is refused even to the bucket's owner. So reads address the one
  version that was archived (the only version, or the id kept in the index) and refuse to guess
  when someone has written over a record. A revoked record gets a legal hold, never deletion.

Every failure is mapped to ``StorageError`` (refused, integrity), ``ObjectNotFound`` or
``StorageUnavailable`` (cannot reach the server: retry later). Messages name keys and codes,
never credentials or document contents.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Literal
from urllib.parse import quote

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from ocr_service.config import S3_TIMEOUT_MAX, S3_TRIES, StorageSettings, get_settings
from ocr_service.digest import sha256_hex, sha256_stream
from ocr_service.errors import (
    ObjectNotFound, RecordConflict, StorageError, StorageUnavailable)

log = logging.getLogger(__name__)

_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObject"}
_META_SHA256 = "x-amz-meta-sha256"
_PART_SIZE = 16 << 20
"""Parts in which long intermediate results go up and come down (S3 multipart: 5 MiB at least)."""
RecordPart = Literal["pdf", "manifest"]
_PARTS: tuple[RecordPart, ...] = ("pdf", "manifest")
_SUFFIX: dict[str, str] = {"pdf": ".pdf", "manifest": ".manifest.json"}
_MEDIA_TYPE: dict[str, str] = {"pdf": "application/pdf", "manifest": "application/json"}


def _http_client(*, connect_s: float = 5.0, read_s: float = S3_TIMEOUT_MAX
                 ) -> urllib3.PoolManager:
    """The SDK's default waits 5 minutes to connect and retries 5 times: a readiness check and
    an API request want an answer in seconds, so fewer and shorter tries."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_s, read=read_s),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=S3_TRIES - 1, backoff_factor=0.2,
                              status_forcelist=[500, 502, 503, 504]),
    )


def _safe(value: str, what: str) -> str:
    """Key parts come from ids and agency codes: refuse anything that could change the path."""
    if not _SAFE_PART.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} is not a safe object-key part: {value!r}")
    return value


@dataclass(frozen=True)
class RawObject:
    """An upload as stored: its key names its content."""

    key: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ArchivedObject:
    """One object of an e-record; ``version_id`` is the locked version (keep it in the index)."""

    key: str
    sha256: str
    size: int
    version_id: str | None


@dataclass(frozen=True)
class StoredRecord:
    record_id: str
    pdf: ArchivedObject
    manifest: ArchivedObject
    created: bool
    """False when the record was already archived with the same bytes (an idempotent retry)."""


@dataclass(frozen=True)
class LockState:
    """The object-lock state of one stored version, as the S3 server reports it."""

    mode: str | None
    retain_until: datetime | None
    legal_hold: bool

    @property
    def locked(self) -> bool:
        """True while nobody, the bucket owner included, can delete this version."""
        retained = self.retain_until is not None and self.retain_until > datetime.now(UTC)
        return self.legal_hold or retained


def record_key(record_id: str, part: RecordPart) -> str:
    return f"records/{_safe(record_id, 'record id')}{_SUFFIX[part]}"


@contextmanager
def _s3(action: str, action_vi: str, key: str = "") -> Iterator[None]:
    """Translate what the SDK and urllib3 raise into the service's storage errors."""
    where = f" {key}" if key else ""
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND:
            raise ObjectNotFound(f"not in storage: {action}{where} ({exc.code})",
                                 f"không có trong kho lưu trữ: {action_vi}{where}") from exc
        raise StorageError(f"storage refused to {action}{where}: {exc.code}",
                           f"kho lưu trữ từ chối {action_vi}{where}: {exc.code}") from exc
    except (ServerError, InvalidResponseError, urllib3.exceptions.HTTPError, OSError) as exc:
        raise StorageUnavailable(
            f"storage unavailable, could not {action}{where}: {type(exc).__name__}",
            f"kho lưu trữ không truy cập được, chưa thể {action_vi}{where}; hãy thử lại sau",
        ) from exc
    except MinioException as exc:
        raise StorageError(f"storage error while trying to {action}{where}: {exc}",
                           f"lỗi kho lưu trữ khi {action_vi}{where}") from exc


class ObjectStore:
    """The raw and records buckets of one S3 server. Thread-safe (the SDK's client is)."""

    def __init__(self, client: Minio, *, raw_bucket: str, records_bucket: str,
                 retention_days: int) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self._client = client
        self.raw_bucket = raw_bucket
        self.records_bucket = records_bucket
        self.retention_days = retention_days

    @classmethod
    def from_settings(cls, settings: StorageSettings | None = None) -> ObjectStore:
        """The store configured by ``SOHOA_S3_*``; a clear error when no endpoint is set."""
        settings = settings or get_settings()
        if not settings.s3_endpoint:
            raise StorageError(
                "object storage is not configured: set SOHOA_S3_ENDPOINT (or run `sohoa up`)",
                "chưa cấu hình kho lưu trữ: đặt SOHOA_S3_ENDPOINT (hoặc chạy `sohoa up`)",
                code="storage_not_configured",
            )
        secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
        wait = settings.s3_timeout or S3_TIMEOUT_MAX  # derived from the stage limit (Settings)
        client = Minio(settings.s3_endpoint, access_key=settings.s3_access_key,
                       secret_key=secret, secure=settings.s3_secure, region=settings.s3_region,
                       http_client=_http_client(connect_s=min(5.0, wait), read_s=wait))
        return cls(client, raw_bucket=settings.raw_bucket,
                   records_bucket=settings.records_bucket,
                   retention_days=settings.retention_days)

    def close(self) -> None:
        """Drop pooled connections (the client stays usable: the pool reconnects on demand)."""
        self._client._http.clear()

    # --- buckets and readiness ---------------------------------------------------------------

    def ensure_buckets(self) -> None:
        """Create both buckets as the archive needs them; safe to call at every start.

        Object lock can only be switched on when a bucket is created, so an existing records
        bucket without it is an error to fix by hand, not something to paper over.
        """
        self._make_bucket(self.raw_bucket, object_lock=False)
        with _s3("enable versioning on", "bật lưu phiên bản cho", self.raw_bucket):
            self._client.set_bucket_versioning(self.raw_bucket, VersioningConfig(ENABLED))
        self._make_bucket(self.records_bucket, object_lock=True)
        try:
            with _s3("read the object-lock configuration of", "đọc cấu hình khóa của",
                     self.records_bucket):
                self._client.get_object_lock_config(self.records_bucket)
        except StorageError as exc:
            cause = exc.__cause__
            if not (isinstance(cause, S3Error)
                    and cause.code == "ObjectLockConfigurationNotFoundError"):
                raise
            raise StorageError(
                f"bucket {self.records_bucket} exists without object lock; records need a "
                "bucket created with it (choose another SOHOA_RECORDS_BUCKET)",
                f"bucket {self.records_bucket} đã có nhưng không bật khóa đối tượng; hồ sơ "
                "điện tử cần bucket được tạo kèm khóa (đặt SOHOA_RECORDS_BUCKET khác)",
                code="records_bucket_unlocked",
            ) from exc
        # Default retention: a backstop for any object put without its own retention.
        with _s3("set default retention on", "đặt thời hạn lưu mặc định cho",
                 self.records_bucket):
            self._client.set_object_lock_config(
                self.records_bucket, ObjectLockConfig(COMPLIANCE, self.retention_days, DAYS))

    def _make_bucket(self, bucket: str, *, object_lock: bool) -> None:
        with _s3("create bucket", "tạo bucket", bucket):
            if self._client.bucket_exists(bucket):
                return
            try:
                self._client.make_bucket(bucket, object_lock=object_lock)
                log.info("created bucket %s (object lock %s)", bucket, object_lock)
            except S3Error as exc:  # another process won the race
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def ping(self) -> None:
        """Readiness: the server answers, accepts our credentials and has the records bucket."""
        with _s3("check bucket", "kiểm tra bucket", self.records_bucket):
            exists = self._client.bucket_exists(self.records_bucket)
        if not exists:
            raise StorageError(
                f"bucket {self.records_bucket} is missing: run ensure_buckets()",
                f"thiếu bucket {self.records_bucket}: hãy tạo bucket (ensure_buckets)",
                code="bucket_missing",
            )

    # --- raw uploads -------------------------------------------------------------------------

    def put_raw(self, data: bytes, *, agency: str, dossier_id: str, filename: str,
                media_type: str) -> RawObject:
        """Store an upload as received; the same bytes for the same dossier are one object."""
        digest = sha256_hex(data)
        key = f"raw/{_safe(agency, 'agency')}/{_safe(dossier_id, 'dossier id')}/{digest}"
        raw = RawObject(key=key, sha256=digest, size=len(data))
        if any(self._stored_sha256(self.raw_bucket, key, version) == digest
               for version in self._versions(self.raw_bucket, key)):
            return raw
        metadata: dict[str, str | list[str] | tuple[str]] = {
            "sha256": digest, "filename": quote(filename[:255], safe="")}
        with _s3("store upload", "lưu tệp tải lên", key):
            self._client.put_object(self.raw_bucket, key, io.BytesIO(data), len(data),
                                    content_type=media_type, metadata=metadata)
        log.info("stored upload %s (%d bytes)", key, len(data))
        return raw

    def get_raw(self, key: str) -> bytes:
        """The upload's bytes, proven equal to the stored ones by the hash the key carries."""
        expected = key.rsplit("/", 1)[-1]
        if not key.startswith("raw/") or not _SHA256.fullmatch(expected):
            raise ValueError(f"not a raw object key: {key!r}")
        versions = self._versions(self.raw_bucket, key)
        if not versions:
            raise ObjectNotFound(f"not in storage: upload {key}",
                                 f"không có trong kho lưu trữ: tệp tải lên {key}")
        for version in versions:  # normally one; a later PUT cannot hide the original
            data = self._read(self.raw_bucket, key, version)
            if sha256_hex(data) == expected:
                return data
        raise _integrity_error(key)

    # --- e-records ---------------------------------------------------------------------------

    def put_record(self, record_id: str, pdf: bytes, manifest: bytes,
                   retain_until: datetime | None = None) -> StoredRecord:
        """Archive a signed record and its manifest under COMPLIANCE retention.

        Idempotent: when the record is already archived with the same bytes nothing is written
        (a retried task); different bytes under the same id are refused. The PDF is written
        first, so a manifest in storage means the record is complete.
        """
        until = retain_until or datetime.now(UTC) + timedelta(days=self.retention_days)
        if until.tzinfo is None:
            raise ValueError("retain_until must be timezone-aware")
        parts: dict[RecordPart, bytes] = {"pdf": pdf, "manifest": manifest}
        existing = {part: self._archived(record_id, part, data) for part, data in parts.items()}
        stored: dict[RecordPart, ArchivedObject] = {}
        for part, data in parts.items():
            stored[part] = existing[part] or self._put_locked(record_id, part, data, until)
        created = not all(existing.values())
        if created:
            log.info("archived record %s until %s", record_id, until.date().isoformat())
        return StoredRecord(record_id, stored["pdf"], stored["manifest"], created)

    def _archived(self, record_id: str, part: RecordPart, data: bytes) -> ArchivedObject | None:
        """The part already in storage with these bytes; None when absent; error if different."""
        key = record_key(record_id, part)
        versions = self._versions(self.records_bucket, key)
        if not versions:
            return None
        version = self._single(key, versions)
        digest = sha256_hex(data)
        if self._stored_sha256(self.records_bucket, key, version) != digest:
            raise RecordConflict(
                f"record {record_id} is already archived with different content ({key}); "
                "an archived record is never replaced: archive the new one under a new id",
                f"hồ sơ {record_id} đã được lưu trữ với nội dung khác ({key}); hồ sơ đã lưu "
                "không bao giờ bị thay thế: hãy lưu bản mới với mã mới")
        return ArchivedObject(key, digest, len(data), version)

    def _put_locked(self, record_id: str, part: RecordPart, data: bytes,
                    until: datetime) -> ArchivedObject:
        key = record_key(record_id, part)
        digest = sha256_hex(data)
        with _s3("archive", "lưu trữ", key):
            result = self._client.put_object(
                self.records_bucket, key, io.BytesIO(data), len(data),
                content_type=_MEDIA_TYPE[part], metadata={"sha256": digest},
                retention=Retention(COMPLIANCE, until))
        return ArchivedObject(key, digest, len(data), result.version_id)

    def get_record_pdf(self, record_id: str, *, version_id: str | None = None) -> bytes:
        return self._get_record(record_id, "pdf", version_id)

    def get_record_manifest(self, record_id: str, *, version_id: str | None = None) -> bytes:
        return self._get_record(record_id, "manifest", version_id)

    def _get_record(self, record_id: str, part: RecordPart, version_id: str | None) -> bytes:
        """The archived version's bytes, checked against the hash stored beside them."""
        key = record_key(record_id, part)
        version = self._locate(key, version_id)
        data = self._read(self.records_bucket, key, version)
        if self._stored_sha256(self.records_bucket, key, version) != sha256_hex(data):
            raise _integrity_error(key)
        return data

    def revoke(self, record_id: str) -> None:
        """Put a legal hold on every version of both objects: kept, even past retention."""
        for part in _PARTS:
            key = record_key(record_id, part)
            versions = self._versions(self.records_bucket, key)
            if not versions:
                raise ObjectNotFound(f"not in storage: record {key}",
                                     f"không có trong kho lưu trữ: hồ sơ {key}")
            for version in versions:
                with _s3("put a legal hold on", "đặt phong tỏa pháp lý cho", key):
                    self._client.enable_object_legal_hold(self.records_bucket, key,
                                                          version_id=version)
        log.info("legal hold on record %s", record_id)

    def lock_state(self, record_id: str, part: RecordPart = "pdf", *,
                   version_id: str | None = None) -> LockState:
        key = record_key(record_id, part)
        version = self._locate(key, version_id)
        headers = self._headers(self.records_bucket, key, version)
        until = headers.get("x-amz-object-lock-retain-until-date")
        return LockState(
            mode=headers.get("x-amz-object-lock-mode"),
            retain_until=datetime.fromisoformat(until) if until else None,
            legal_hold=str(headers.get("x-amz-object-lock-legal-hold", "")).upper() == "ON",
        )

    def is_locked(self, record_id: str) -> bool:
        """True when neither the PDF nor the manifest can be deleted now."""
        return all(self.lock_state(record_id, part).locked for part in _PARTS)

    # --- audit chain heads anchored outside the database (store/audit.py) ----------------------

    def put_anchor(self, key: str, data: bytes) -> None:
        """Write an audit chain head under COMPLIANCE retention, like a record: someone who can
        rewrite the index cannot rewrite or delete this copy."""
        until = datetime.now(UTC) + timedelta(days=self.retention_days)
        with _s3("anchor the audit chain in", "neo chuỗi nhật ký kiểm toán vào", key):
            self._client.put_object(self.records_bucket, key, io.BytesIO(data), len(data),
                                    content_type="application/json",
                                    metadata={"sha256": sha256_hex(data)},
                                    retention=Retention(COMPLIANCE, until))

    def latest_anchor(self, prefix: str) -> bytes | None:
        """The object with the greatest key under ``prefix`` (anchors are named by their
        zero-padded seq), checked against its stored hash; None when there is none."""
        with _s3("list", "liệt kê", prefix):
            keys = [o.object_name for o in self._client.list_objects(self.records_bucket,
                                                                     prefix=prefix)]
        if not keys:
            return None
        key = max(k for k in keys if k)
        data = self._read(self.records_bucket, key, None)
        if self._stored_sha256(self.records_bucket, key, None) != sha256_hex(data):
            raise _integrity_error(key)
        return data

    # --- workers' intermediate results -------------------------------------------------------

    def put_work(self, key: str, data: bytes | IO[bytes]) -> None:
        """Store a worker's intermediate result (OCR output, a record waiting to be archived)
        under ``work/`` in the raw bucket: derived data that a retried task reuses instead of
        computing again; never part of the archive. ``data`` may be a seekable file (the OCR
        result of a long document), streamed from its start and never held whole."""
        if not key.startswith("work/"):
            raise ValueError(f"not a work key: {key!r}")
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        stream.seek(0)
        digest, size = sha256_stream(stream), stream.tell()
        stream.seek(0)
        with _s3("store intermediate result", "lưu kết quả trung gian", key):
            self._client.put_object(self.raw_bucket, key, stream, size,
                                    content_type="application/octet-stream",
                                    metadata={"sha256": digest}, part_size=_PART_SIZE)

    def has_work(self, key: str) -> bool:
        """True when a result is stored under ``key`` (a HEAD: nothing is downloaded)."""
        try:
            with _s3("read the metadata of", "đọc siêu dữ liệu của", key):
                self._client.stat_object(self.raw_bucket, key)
        except ObjectNotFound:
            return False
        return True

    def get_work(self, key: str) -> bytes | None:
        """The newest result stored under ``key`` (a small one: see ``open_work``); None when
        there is none, or when it fails its hash (a damaged result is computed again, not
        used)."""
        with self.open_work(key) as found:
            return found.read() if found is not None else None

    @contextmanager
    def open_work(self, key: str) -> Iterator[IO[bytes] | None]:
        """The newest result stored under ``key`` as a temporary file, downloaded a part at a
        time and checked against its hash (None: none, or damaged); closed on leaving."""
        if not key.startswith("work/"):
            raise ValueError(f"not a work key: {key!r}")
        with tempfile.TemporaryFile(prefix="sohoa-work-") as file:
            try:
                with _s3("read the metadata of", "đọc siêu dữ liệu của", key):
                    stat = self._client.stat_object(self.raw_bucket, key)
                with _object(self._client, self.raw_bucket, key, stat.version_id) as response:
                    for part in response.stream(_PART_SIZE):
                        file.write(part)
            except ObjectNotFound:
                yield None
                return
            file.seek(0)
            if (stat.metadata or {}).get(_META_SHA256) != sha256_stream(file):
                log.warning("intermediate result %s fails its hash: computing it again", key)
                yield None
                return
            file.seek(0)
            yield file

    @contextmanager
    def open_work_ranges(self, key: str) -> Iterator[IO[bytes] | None]:
        """The newest result under ``key`` as a seekable file read by ranged GETs, a few per
        look-up (None: none): one page of a long document's OCR result is read without
        downloading the rest. Its whole-object hash is not checked (that needs every byte); a
        ZIP member's CRC-32 is, by ``zipfile``, when the member is read."""
        if not key.startswith("work/"):
            raise ValueError(f"not a work key: {key!r}")
        try:
            with _s3("read the metadata of", "đọc siêu dữ liệu của", key):
                stat = self._client.stat_object(self.raw_bucket, key)
        except ObjectNotFound:
            yield None
            return
        raw = _RangeReader(self._client, self.raw_bucket, key, stat.version_id, stat.size or 0)
        with io.BufferedReader(raw, _RANGE_BLOCK) as file:
            yield file

    # --- versions ----------------------------------------------------------------------------

    def _versions(self, bucket: str, key: str) -> list[str | None]:
        """The version ids of every stored version of exactly ``key``, delete markers left out
        (None: a server without versioning)."""
        with _s3("list versions of", "liệt kê phiên bản của", key):
            listed = self._client.list_objects(bucket, prefix=key, include_version=True)
            return [o.version_id for o in listed
                    if o.object_name == key and not o.is_delete_marker]

    def _locate(self, key: str, version_id: str | None) -> str | None:
        """The version to read: the one named, else the only one there is."""
        if version_id is not None:
            return version_id
        versions = self._versions(self.records_bucket, key)
        if not versions:
            raise ObjectNotFound(f"not in storage: record {key}",
                                 f"không có trong kho lưu trữ: hồ sơ {key}")
        return self._single(key, versions)

    @staticmethod
    def _single(key: str, versions: list[str | None]) -> str | None:
        if len(versions) > 1:
            raise StorageError(
                f"{key} has {len(versions)} versions: it was written over after archiving; "
                "read it by the version id kept in the index",
                f"{key} có {len(versions)} phiên bản: đã bị ghi đè sau khi lưu trữ; hãy đọc "
                "theo mã phiên bản lưu trong chỉ mục",
                code="record_overwritten",
            )
        return versions[0]

    def _stored_sha256(self, bucket: str, key: str, version: str | None) -> str | None:
        return self._headers(bucket, key, version).get(_META_SHA256)

    def _headers(self, bucket: str, key: str, version: str | None) -> Mapping[str, str]:
        """The HEAD response of one version: user metadata and object-lock state."""
        with _s3("read the metadata of", "đọc siêu dữ liệu của", key):
            stat = self._client.stat_object(bucket, key, version_id=version)
        return stat.metadata or {}

    def _read(self, bucket: str, key: str, version: str | None) -> bytes:
        with _object(self._client, bucket, key, version) as response:
            return response.read()


@contextmanager
def _object(client: Minio, bucket: str, key: str, version: str | None, *, offset: int = 0,
            length: int = 0) -> Iterator[Any]:
    """The answer to one GET (of ``length`` bytes from ``offset``; 0: to the end), its errors
    translated, its connection given back to the pool however the reading ends."""
    with _s3("read", "đọc", key):
        response = client.get_object(bucket, key, offset=offset, length=length,
                                     version_id=version)
        try:
            yield response
        finally:
            response.close()
            response.release_conn()


_RANGE_BLOCK = 256 << 10
"""Bytes fetched per ranged GET at least: a ZIP member look-up (end of central directory,
directory, member) then takes three or four requests."""


class _RangeReader(io.RawIOBase):
    """One stored object version as a read-only seekable raw file: each read is a ranged GET."""

    def __init__(self, client: Minio, bucket: str, key: str, version: str | None,
                 size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._version = client, bucket, key, version
        self._size, self._position = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        with _object(self._client, self._bucket, self._key, self._version,
                     offset=self._position, length=wanted) as response:
            data = response.read()
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)


def _integrity_error(key: str) -> StorageError:
    return StorageError(
        f"{key} does not match its sha256: the stored bytes are damaged or were replaced",
        f"{key} không khớp mã băm sha256: dữ liệu lưu trữ bị hỏng hoặc bị thay thế",
        code="integrity_error",
    )


__all__ = [
    "ArchivedObject", "LockState", "ObjectStore", "RawObject", "StoredRecord", "record_key",
    "sha256_hex",
]
