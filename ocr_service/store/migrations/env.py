"""Alembic environment, run by ``store.index.migrate`` (the URL comes in ``config.attributes``).

Migrations take a lock first so that several processes starting together (API, workers) upgrade
once: a transaction-scoped advisory lock on PostgreSQL (whose DDL is transactional, so the waiter
then finds the new version), ``BEGIN IMMEDIATE`` on SQLite (see ``make_engine``).

SQLite alters a table by copying it (``render_as_batch``), which foreign keys would refuse or
cascade through; as SQLite's documentation prescribes, they are off while migrating and checked
with ``PRAGMA foreign_key_check`` before the transaction commits.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import event

from ocr_service.store.index import Base, make_engine

MIGRATION_LOCK = 0x50484F41  # any constant shared by every sohoa process


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # after make_engine's own PRAGMAs


def run_migrations_online() -> None:
    engine = make_engine(context.config.attributes["url"])
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.begin() as connection:
            if not sqlite:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.configure(connection=connection, target_metadata=Base.metadata,
                              render_as_batch=True, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("migration left rows whose foreign keys point nowhere")
    finally:
        engine.dispose()  # its SQLite connections have foreign keys off: never reuse them


if context.is_offline_mode():
    raise SystemExit("sohoa migrations run online only (store.index.migrate)")
run_migrations_online()
