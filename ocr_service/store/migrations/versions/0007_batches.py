"""Batches of postal operators: the ZIP, its manifest rows, and dossier references.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

``batches`` records who sent a ZIP under which contract; ``batch_items`` one row per manifest
line (the document it became, or its error in both languages), which is what pages are billed
from (``api/routers/reports.py``); ``batch_dossiers`` maps an operator's ``dossier_ref`` to our
dossier, unique per agency, so later batches add to the same dossier.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("contract_code", sa.String(length=64), nullable=False),
        sa.Column("review_policy", sa.String(length=16), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("review_policy IN ('always', 'flagged', 'never')",
                           name=op.f("ck_batches_review_policy_allowed")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_batches_agency_id_agencies")),
        sa.ForeignKeyConstraint(["actor_key_id"], ["api_keys.id"],
                                name=op.f("fk_batches_actor_key_id_api_keys")),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"],
                                name=op.f("fk_batches_actor_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_agency_id"), "batches", ["agency_id"])
    op.create_table(
        "batch_dossiers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("dossier_ref", sa.String(length=128), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_batch_dossiers_agency_id_agencies")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"],
                                name=op.f("fk_batch_dossiers_dossier_id_dossiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_dossiers")),
        sa.UniqueConstraint("agency_id", "dossier_ref",
                            name=op.f("uq_batch_dossiers_agency_id_dossier_ref")),
    )
    op.create_table(
        "batch_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.Column("dossier_ref", sa.String(length=128), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_message_vi", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"],
                                name=op.f("fk_batch_items_batch_id_batches")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_batch_items_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_items")),
        sa.UniqueConstraint("batch_id", "line", name=op.f("uq_batch_items_batch_id_line")),
    )
    op.create_index(op.f("ix_batch_items_document_id"), "batch_items", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_batch_items_document_id"), table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_table("batch_dossiers")
    op.drop_index(op.f("ix_batches_agency_id"), table_name="batches")
    op.drop_table("batches")
