"""The first schema: agencies, API keys, dossiers, documents, jobs, records, audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Written out from the ORM (``store/index.py``) and then edited: the documents → records foreign key
is added after both tables exist (the two tables refer to each other).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _agency() -> sa.Column:
    return sa.Column("agency_id", sa.Uuid(), nullable=False)


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name)


def _agency_fk(table: str) -> sa.ForeignKeyConstraint:
    return _fk(table, "agency_id", "agencies")


def upgrade() -> None:
    op.create_table(
        "agencies",
        _id(),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "api_keys",
        _id(),
        _agency(),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        _agency_fk("api_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_agency_id"), "api_keys", ["agency_id"])
    op.create_table(
        "audit_heads",
        _agency(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _agency_fk("audit_heads"),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "dossier_counters",
        _agency(),
        sa.Column("day", sa.String(length=6), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        _agency_fk("dossier_counters"),
        sa.PrimaryKeyConstraint("agency_id", "day", name=op.f("pk_dossier_counters")),
    )
    op.create_table(
        "dossiers",
        _id(),
        _agency(),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("applicant_id_number", sa.String(length=32), nullable=False),
        sa.Column("review", sa.Boolean(), nullable=False),
        _time("created_at"),
        _agency_fk("dossiers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("agency_id", "dossier_code",
                            name=op.f("uq_dossiers_agency_id_dossier_code")),
    )
    op.create_table(
        "audit_events",
        _id(),
        _agency(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _time("created_at"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _fk("audit_events", "actor_key_id", "api_keys"),
        _agency_fk("audit_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("agency_id", "seq", name=op.f("uq_audit_events_agency_id_seq")),
    )
    op.create_index("ix_audit_events_subject", "audit_events",
                    ["agency_id", "subject_type", "subject_id"])
    op.create_table(
        "documents",
        _id(),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("raw_key", sa.String(length=1024), nullable=False),
        sa.Column("component", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("form_type", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'needs_review', 'archived', 'failed')",
            name=op.f("ck_documents_status_allowed")),
        sa.CheckConstraint("progress >= 0 AND progress <= 1",
                           name=op.f("ck_documents_progress_range")),
        _fk("documents", "dossier_id", "dossiers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("dossier_id", "sha256", name=op.f("uq_documents_dossier_id_sha256")),
    )
    op.create_table(
        "jobs",
        _id(),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed', 'dead')",
                           name=op.f("ck_jobs_state_allowed")),
        _fk("jobs", "document_id", "documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("document_id", "task", name=op.f("uq_jobs_document_id_task")),
    )
    op.create_table(
        "records",
        _id(),
        _agency(),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id_number", sa.String(length=32), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("pdf_key", sa.String(length=1024), nullable=False),
        sa.Column("manifest_key", sa.String(length=1024), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.CheckConstraint("state IN ('valid', 'revoked')", name=op.f("ck_records_state_allowed")),
        _agency_fk("records"),
        _fk("records", "document_id", "documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("document_id", name=op.f("uq_records_document_id")),
    )
    op.create_index("ix_records_reuse", "records", ["agency_id", "owner_id_number", "doc_type"])
    with op.batch_alter_table("documents") as batch:  # SQLite can add a constraint only this way
        batch.create_foreign_key(op.f("fk_documents_record_id_records"), "records",
                                 ["record_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(op.f("fk_documents_record_id_records"), type_="foreignkey")
    for table in ("records", "jobs", "documents", "audit_events", "dossiers", "dossier_counters",
                  "audit_heads", "api_keys", "agencies"):
        op.drop_table(table)  # their indexes go with them
