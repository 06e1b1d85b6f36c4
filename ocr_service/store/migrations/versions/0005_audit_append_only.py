"""The audit trail is append-only in the database itself (PostgreSQL).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Until now only the ORM refused to edit or delete an audit event: anyone with write access to the
database could rewrite events and the chain head together, and the chain would verify. Triggers
now refuse UPDATE, DELETE and TRUNCATE of ``audit_events`` for every role, and refuse a chain
head (``audit_heads``) that is deleted, moved to another agency, or moved back. Getting past
them takes the table owner's DDL rights (``ALTER TABLE … DISABLE TRIGGER``) or a superuser's
``session_replication_role``; run the service as a role that owns no table where that matters.

SQLite (development, single machine) gets no triggers: whoever can write its file can rewrite it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "42501"  # insufficient_privilege: a permission refused, not a bug in the caller


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE FUNCTION sohoa_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
                USING ERRCODE = '{REFUSED}';
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION sohoa_audit_append_only()""")
    op.execute("""
        CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION sohoa_audit_append_only()""")
    op.execute(f"""
        CREATE FUNCTION sohoa_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR NEW.agency_id <> OLD.agency_id OR NEW.seq <= OLD.seq THEN
                RAISE EXCEPTION 'an audit chain head only moves forward: % refused', TG_OP
                    USING ERRCODE = '{REFUSED}';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_heads_forward BEFORE UPDATE OR DELETE ON audit_heads
        FOR EACH ROW EXECUTE FUNCTION sohoa_audit_head_forward()""")
    op.execute("""
        CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
        FOR EACH STATEMENT EXECUTE FUNCTION sohoa_audit_append_only()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_heads_no_truncate ON audit_heads")
    op.execute("DROP TRIGGER audit_heads_forward ON audit_heads")
    op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
    op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
    op.execute("DROP FUNCTION sohoa_audit_head_forward()")
    op.execute("DROP FUNCTION sohoa_audit_append_only()")
