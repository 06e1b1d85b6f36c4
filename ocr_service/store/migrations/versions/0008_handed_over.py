"""When a document was last handed to the broker.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

The sweeper must tell a document that was never handed over (the broker was down when it was
accepted: queue it now) from one waiting in a long queue (a postal batch behind counter work:
leave it). ``handed_over_at`` is set each time a document is queued; rows made before this
revision keep none, so a ``queued`` one is queued again by the first sweep (processing is
idempotent: at worst it is read once more).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("handed_over_at")
