"""Review before signing: a dossier's review policy, the draft a person corrects and approves,
the document's history and corrections, documents run again, records superseded; and the
deliveries of a job that never ended (``jobs.lost``), to dead-letter what kills its workers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Dossiers had a boolean ``review``: true becomes ``always``; false becomes ``flagged`` (the new
default), not ``never``: before this revision a document with doubtful fields was signed without
anybody looking, which is the fault this revision exists to end. ``records.document_id`` is no
longer unique: a corrected record (supersede) is made from the same document as the one it
replaces.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "'queued', 'processing', 'needs_review', 'archived', 'failed'"
NEW_STATUSES = f"{OLD_STATUSES}, 'rejected'"
OLD_STATES = "'valid', 'revoked'"
NEW_STATES = f"{OLD_STATES}, 'superseded'"


def _history_table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f(f"fk_{name}_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_document_id"), name, ["document_id"])


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("review_policy", sa.String(length=16), nullable=True))
    op.execute("UPDATE dossiers SET review_policy = CASE WHEN review THEN 'always' "
               "ELSE 'flagged' END")
    with op.batch_alter_table("dossiers") as batch:
        batch.alter_column("review_policy", existing_type=sa.String(length=16), nullable=False)
        batch.drop_column("review")
        batch.create_check_constraint(
            "review_policy_allowed", "review_policy IN ('always', 'flagged', 'never')")

    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("generation", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("reading_key", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("extraction", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("approval", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("supersedes_id", sa.Uuid(), nullable=True))
        batch.drop_constraint(op.f("ck_documents_status_allowed"), type_="check")
        batch.create_check_constraint("status_allowed", f"status IN ({NEW_STATUSES})")
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("generation", existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lost", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("lost", existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("superseded_by", sa.Uuid(), nullable=True))
        batch.drop_constraint(op.f("uq_records_document_id"), type_="unique")
        batch.drop_constraint(op.f("ck_records_state_allowed"), type_="check")
        batch.create_check_constraint("state_allowed", f"state IN ({NEW_STATES})")
    op.create_index(op.f("ix_records_document_id"), "records", ["document_id"])

    _history_table(
        "document_events",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    _history_table(
        "corrections",
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=False),
        sa.Column("new_value", sa.JSON(), nullable=False),
        sa.Column("reading", sa.Text(), nullable=True),
        sa.Column("actor", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for name in ("corrections", "document_events"):
        op.drop_index(op.f(f"ix_{name}_document_id"), table_name=name)
        op.drop_table(name)
    op.drop_index(op.f("ix_records_document_id"), table_name="records")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lost")
    with op.batch_alter_table("records") as batch:
        batch.drop_constraint(op.f("ck_records_state_allowed"), type_="check")
        batch.create_check_constraint("state_allowed", f"state IN ({OLD_STATES})")
        batch.create_unique_constraint("uq_records_document_id", ["document_id"])
        batch.drop_column("superseded_by")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(op.f("ck_documents_status_allowed"), type_="check")
        batch.create_check_constraint("status_allowed", f"status IN ({OLD_STATUSES})")
        for column in ("supersedes_id", "approval", "extraction", "reading_key", "generation"):
            batch.drop_column(column)
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("review", sa.Boolean(), nullable=True))
    op.execute("UPDATE dossiers SET review = (review_policy = 'always')")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_constraint(op.f("ck_dossiers_review_policy_allowed"), type_="check")
        batch.alter_column("review", existing_type=sa.Boolean(), nullable=False)
        batch.drop_column("review_policy")
