"""The receipt slip and the public status page: a dossier's lookup code, due date and the
applicant's name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

``lookup_code`` is the secret of ``/tra-cuu/{dossier_code}?k=...`` printed on the receipt; rows
made before this revision get a fresh random one here, so every dossier can print its receipt.
``due_date`` (ngày hẹn trả) is computed from the procedure catalogue when a dossier is created;
old rows keep none (their procedures' deadlines were never promised through sohoa).
``applicant_name`` is optional (the desk fills it from the ID card it reads).
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy of store/lookup.py as of this revision: a migration must not change when that module does.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("lookup_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("applicant_name", sa.String(length=255), nullable=True))
    bind = op.get_bind()
    dossiers = sa.table("dossiers", sa.column("id", sa.Uuid()),
                        sa.column("lookup_code", sa.String(length=16)))
    for (dossier_id,) in bind.execute(sa.select(dossiers.c.id)).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        bind.execute(dossiers.update().where(dossiers.c.id == dossier_id)
                     .values(lookup_code=code))
    with op.batch_alter_table("dossiers") as batch:
        batch.alter_column("lookup_code", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("applicant_name")
        batch.drop_column("due_date")
        batch.drop_column("lookup_code")
