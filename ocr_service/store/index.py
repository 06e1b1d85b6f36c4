"""The SQL index: agencies, API keys, dossiers, documents, jobs, e-records and audit events.

One typed SQLAlchemy 2 model serves SQLite (the default, ``DATA_DIR/index.sqlite3``) and PostgreSQL
(production). The schema is owned by the Alembic migrations in ``store/migrations`` (applied by
``migrate``), never by ``create_all``, so a deployed database and this model cannot drift apart
silently: a test compares them.

Rows are read and written through ``store.repo`` (agency-scoped queries), ``store.keys`` and
``store.audit``; this module holds only the tables, the engine and the session factory.

Why some choices:

* Every primary key is a random UUID: ids appear in URLs, and sequential ids would let one agency
  count another's dossiers. Audit events also carry a per-agency ``seq`` that orders their chain.
* Timestamps are stored in UTC and always come back timezone-aware (``UtcDateTime``), on SQLite too,
  so that audit hashes and API output do not depend on the database.
* Allowed values of status columns are CHECK constraints as well as ``StrEnum`` types: a worker
  writing a typo fails at once instead of leaving a document in a state no client understands.
* SQLite runs in WAL mode with foreign keys on, and every transaction starts with ``BEGIN
  IMMEDIATE``: one writer at a time (readers of committed data never wait in WAL), which is what
  makes the audit chain and the dossier counters safe there without ``SELECT ... FOR UPDATE``.
  Keep sessions short: never hold one open across OCR or signing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy import Index as SqlIndex
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from .lookup import new_lookup_code

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Role(StrEnum):
    """What an API key may do; a key holds one or more roles (checked by the API, not here)."""

    CLERK = "clerk"  # counter staff: dossiers, uploads, reviews
    OPERATOR = "operator"  # postal operators: batch intake
    SYSTEM = "system"  # other information systems: intake, reuse search
    AUDITOR = "auditor"  # reads records and the audit trail
    ADMIN = "admin"  # the agency's keys and webhook


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    NEEDS_REVIEW = "needs_review"
    """Read and extracted, waiting for a person: nothing is signed or archived yet."""
    ARCHIVED = "archived"
    FAILED = "failed"
    REJECTED = "rejected"
    """A person refused it (e.g. a rescan is needed); ``reprocess`` runs it again."""


class ReviewPolicy(StrEnum):
    """When a dossier's documents stop at ``needs_review`` before anything is signed."""

    ALWAYS = "always"  # every document
    FLAGGED = "flagged"  # a document with any field or finding flagged (the default)
    NEVER = "never"  # none: machine-to-machine intake whose caller checks the fields itself


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # this attempt failed; it will be retried
    DEAD = "dead"  # out of retries: the dead-letter state shown by the API


class RecordState(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"  # kept under legal hold, never deleted
    SUPERSEDED = "superseded"  # replaced by a corrected record; kept under legal hold


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores no offset: UTC is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the index stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names fixed by convention, so migrations can name what they alter."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), uuid.UUID: Uuid(), dict[str, Any]: JSON()}


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


class Agency(Base):
    """A public body (mã đơn vị as ``code``); everything else belongs to exactly one agency."""

    __tablename__ = "agencies"
    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    """HMAC key for webhook payloads. Stored as is (it must be usable to sign); never logged."""
    created_at: Mapped[datetime] = _created()


class ApiKey(Base):
    """A bearer key: ``prefix`` finds the row, ``secret_hash`` proves the secret (see keys.py)."""

    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(64))
    """Space-separated, sorted ``Role`` values; use ``role_set``."""
    label: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None]
    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split())

    def has_role(self, *roles: Role) -> bool:
        """True when the key holds any of ``roles``."""
        return not self.role_set.isdisjoint(roles)


class DossierCounter(Base):
    """Last sequence number of mã hồ sơ given per agency and day (row-locked when incremented)."""

    __tablename__ = "dossier_counters"
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int]


class Dossier(Base):
    """A hồ sơ: one applicant's submission for one administrative procedure (mã TTHC)."""

    __tablename__ = "dossiers"
    __table_args__ = (UniqueConstraint("agency_id", "dossier_code"),
                      _one_of("review_policy", ReviewPolicy))
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    dossier_code: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str] = mapped_column(String(64))
    applicant_id_number: Mapped[str] = mapped_column(String(32))
    review_policy: Mapped[str] = mapped_column(String(16), default=ReviewPolicy.FLAGGED)
    """Which documents stop at ``needs_review`` for a person before they are signed."""
    created_at: Mapped[datetime] = _created()
    """Also the time received (thời gian tiếp nhận) printed on the receipt."""
    lookup_code: Mapped[str] = mapped_column(String(16), default=new_lookup_code)
    """The secret of the public status URL, printed on the receipt (``store/lookup.py``)."""
    due_date: Mapped[date | None] = mapped_column(Date)
    """Ngày hẹn trả kết quả, from the catalogue; None for a procedure code it does not list."""
    applicant_name: Mapped[str | None] = mapped_column(String(255))
    """Họ và tên (NFC), as the desk read it from the ID card; optional."""


class Document(Base):
    """One uploaded file of a dossier; the same bytes in one dossier are one document."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("dossier_id", "sha256"),
        _one_of("status", DocumentStatus),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
    )
    id: Mapped[uuid.UUID] = _id()
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    raw_key: Mapped[str] = mapped_column(String(1024))
    """Object key of the upload, as received, in the raw bucket."""
    component: Mapped[str | None] = mapped_column(String(255))
    """Thành phần hồ sơ the file was submitted as, when the client says."""
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.QUEUED)
    stage: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    form_type: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_message_vi: Mapped[str | None] = mapped_column(Text)
    """The same reason in Vietnamese: the API shows both, as it does for its own errors."""
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("records.id", use_alter=True))
    """The e-record made from this document (the newest, when one superseded another)."""
    generation: Mapped[int] = mapped_column(default=0)
    """Counts the times the document was run again (reprocess, supersede): the record made by
    each run has its own id, derived from the document id and this number."""
    reading_key: Mapped[str | None] = mapped_column(String(1024))
    """Work-bucket key of the cleaned pages and their text (the OCR result): the review page's
    images, and what the record is made from after approval."""
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The draft a person reviews: the extraction as read, with their corrections applied
    (``pipeline.review``); None until the document was read."""
    approval: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Who approved the draft, when, and which flagged fields they took on; None before."""
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    """While a corrected record is being made: the record it will replace."""
    handed_over_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the document was last handed to the broker (None: never, the broker was down):
    the sweeper queues again what was never handed over, not what waits in a long queue."""
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DocumentEvent(Base):
    """A document's history: each change of status, with who made it (None: the system) and
    why; what ``GET /v1/documents/{id}`` shows as ``history``."""

    __tablename__ = "document_events"
    id: Mapped[uuid.UUID] = _id()
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class Correction(Base):
    """One field changed by a person during review: the value before and after, the OCR
    reading, who and when. Kept for every run of the document (``generation``)."""

    __tablename__ = "corrections"
    id: Mapped[uuid.UUID] = _id()
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    generation: Mapped[int]
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"value": ...}``: a string, null, or the rows of a table field."""
    new_value: Mapped[dict[str, Any]] = mapped_column(JSON)
    reading: Mapped[str | None] = mapped_column(Text)
    """What OCR read for the field (its ``raw`` text)."""
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class Job(Base):
    """One pipeline task of a document: attempts and last error, for retries and dead letters."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("document_id", "task"), _one_of("state", JobState))
    id: Mapped[uuid.UUID] = _id()
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    task: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    lost: Mapped[int] = mapped_column(default=0)
    """Deliveries that never ended: the task was delivered again while the job still showed
    ``running`` (its worker died, or the task outlasted the visibility timeout). A document that
    keeps killing workers is dead-lettered after ``SOHOA_TASK_MAX_LOST`` of them."""
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Record(Base):
    """A signed e-record in the records bucket; found again for reuse by owner and type."""

    __tablename__ = "records"
    __table_args__ = (
        SqlIndex("ix_records_reuse", "agency_id", "owner_id_number", "doc_type"),
        SqlIndex("ix_records_pdf", "agency_id", "pdf_sha256"),
        _one_of("state", RecordState),
    )
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    """The document it was made from; a corrected record (supersede) shares its document."""
    owner_id_number: Mapped[str] = mapped_column(String(32))
    doc_type: Mapped[str] = mapped_column(String(64))
    pdf_key: Mapped[str] = mapped_column(String(1024))
    manifest_key: Mapped[str] = mapped_column(String(1024))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    """Hash of the signed PDF: how ``POST /v1/verify`` finds the archived record of a file."""
    pdf_version_id: Mapped[str | None] = mapped_column(String(1024))
    manifest_version_id: Mapped[str | None] = mapped_column(String(1024))
    """S3 version ids of the locked objects: reads address them, so a later write to the same
    key (a new version) can never stand in for the archived one."""
    state: Mapped[str] = mapped_column(String(16), default=RecordState.VALID)
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None]
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    """The corrected record that replaced this one (state ``superseded``)."""


class IdempotencyKey(Base):
    """The stored answer to a POST that carried an ``Idempotency-Key``: the same key and request
    again get this answer back instead of a second dossier or upload; another request under the
    same key is a conflict. Keys are per agency, so agencies cannot collide or probe each other."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("agency_id", "key"),)
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of the method, path and parsed request (not the raw body: multipart boundaries
    differ between two sends of the same file)."""
    response_status: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = _created()


class AuditEvent(Base):
    """An append-only, hash-chained event; see ``store.audit`` for the chain and its checks."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("agency_id", "seq"),
        SqlIndex("ix_audit_events_subject", "agency_id", "subject_type", "subject_id"),
    )
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    """The person (staff account) who acted, when it was one rather than a key."""
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = _created()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last event of an agency's chain: the row appends lock, and what catches a cut tail."""

    __tablename__ = "audit_heads"
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class User(Base):
    """A staff account: a person of one agency who signs in to the desk (``store.users``).

    ``username`` is unique across the deployment, not per agency: a person logs in with a name
    and a password only, never an agency code. The password is kept as an argon2id hash. An
    account is never deleted (the audit trail and corrections name it): ``disabled_at`` ends it.
    The ``signer_*`` columns name the person's own signing certificate, when they have one: the
    PKCS#12 file and where its password is (an environment variable's *name*, or a file), or a
    key label on the deployment's PKCS#11 token; secrets themselves are never stored here.
    """

    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    """Họ và tên (NFC), shown in history and in the digitizer signature's text."""
    roles: Mapped[str] = mapped_column(String(64))
    """Space-separated, sorted ``Role`` values, as ``ApiKey.roles``."""
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(default=0)
    """Wrong passwords since the last successful login (reset by it)."""
    locked_until: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    signer_p12: Mapped[str | None] = mapped_column(String(1024))
    signer_password_env: Mapped[str | None] = mapped_column(String(128))
    signer_password_file: Mapped[str | None] = mapped_column(String(1024))
    signer_pkcs11_key: Mapped[str | None] = mapped_column(String(255))
    signer_cert: Mapped[str | None] = mapped_column(String(1024))
    """PEM chain of a token key, for tokens that hold keys only (as ``SOHOA_SIGN_*_CERT``)."""
    created_at: Mapped[datetime] = _created()
    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split())


class StaffSession(Base):
    """A signed-in person's session: the cookie's token is stored only as its SHA-256, so a copy
    of the database opens no session. Deleting the row is logging out."""

    __tablename__ = "sessions"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    """The absolute end (login + ``session_max_hours``); idleness ends it sooner."""


class Batch(Base):
    """A ZIP of scans and its manifest sent by a postal operator (``POST /v1/batches``): who
    sent it under which contract, and what came of its rows (``BatchItem``). Pages are billed
    from its items, never from this row's counts, which only answer the upload."""

    __tablename__ = "batches"
    __table_args__ = (_one_of("review_policy", ReviewPolicy),)
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    contract_code: Mapped[str] = mapped_column(String(64))
    review_policy: Mapped[str] = mapped_column(String(16))
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    operator: Mapped[str] = mapped_column(String(64))
    """Who sent it, as reports name them: ``key:<prefix>`` or ``user:<username>``."""
    sha256: Mapped[str] = mapped_column(String(64))
    """Hash of the ZIP as received."""
    rows: Mapped[int] = mapped_column(default=0)
    documents: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = _created()


class BatchDossier(Base):
    """The operator's own name of a dossier (``dossier_ref``) → our dossier, per agency: a
    later batch with the same reference adds to the same dossier."""

    __tablename__ = "batch_dossiers"
    __table_args__ = (UniqueConstraint("agency_id", "dossier_ref"),)
    id: Mapped[uuid.UUID] = _id()
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    dossier_ref: Mapped[str] = mapped_column(String(128))
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id"))
    created_at: Mapped[datetime] = _created()


class BatchItem(Base):
    """One manifest row of a batch (``line``: its line in ``manifest.csv``): the document it
    became, or why it was refused. ``duplicate``: the document was already counted by an
    earlier row (of this batch or another), so its pages are never billed twice."""

    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "line"),)
    id: Mapped[uuid.UUID] = _id()
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id"))
    line: Mapped[int]
    filename: Mapped[str] = mapped_column(String(1024))
    dossier_ref: Mapped[str | None] = mapped_column(String(128))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"),
                                                          index=True)
    duplicate: Mapped[bool] = mapped_column(default=False)
    pages: Mapped[int] = mapped_column(default=0)
    """Pages planned from the file's headers at intake (progress); billing counts the pages
    as read (the document's draft)."""
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_message_vi: Mapped[str | None] = mapped_column(Text)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(*_: object) -> None:
    raise RuntimeError("audit events are append-only")


# --- engine and sessions -------------------------------------------------------------------------


def database_url(settings: Settings) -> str:
    """``SOHOA_DATABASE_URL``, else the SQLite file under ``SOHOA_DATA_DIR``."""
    return settings.database_url or f"sqlite:///{settings.data_dir / 'index.sqlite3'}"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would start transactions late and as DEFERRED;
    # turn it off and begin them ourselves in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``: ``postgresql://`` means psycopg 3; SQLite gets WAL, foreign keys."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(url: str) -> Any:
    """The Alembic configuration, built in code (no alembic.ini): ``migrate`` and new revisions.

    A developer adds a revision with ``alembic.command.revision(alembic_config(url), "message",
    autogenerate=True)`` against a database at head, then reviews the file it writes.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url  # not a main option: '%' in passwords would break configparser
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (safe to run from several processes)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


class Index:
    """The database of one deployment: an engine and short transactional sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Index:
        """The index at ``url``, migrated first unless ``upgrade`` is false."""
        if upgrade:
            migrate(url)
        return cls(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
