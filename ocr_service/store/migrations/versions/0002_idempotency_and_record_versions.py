"""Idempotency keys of POST requests; S3 version ids and the PDF hash of each record; the
Vietnamese text of a document's error.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

The record columns are nullable: rows archived before this revision have no version ids (reads
then fall back to the only version there is) and no PDF hash (``POST /v1/verify`` cannot find
them by file, only check a file against its manifest).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_idempotency_keys_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("agency_id", "key", name=op.f("uq_idempotency_keys_agency_id_key")),
    )
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pdf_version_id", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("manifest_version_id", sa.String(length=1024), nullable=True))
    op.create_index("ix_records_pdf", "records", ["agency_id", "pdf_sha256"])
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("error_message_vi", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("error_message_vi")
    op.drop_index("ix_records_pdf", table_name="records")
    with op.batch_alter_table("records") as batch:
        for column in ("manifest_version_id", "pdf_version_id", "pdf_sha256"):
            batch.drop_column(column)
    op.drop_table("idempotency_keys")
