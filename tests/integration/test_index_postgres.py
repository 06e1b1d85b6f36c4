"""The SQL index on PostgreSQL (production): the same checks as on SQLite (tests/index_checks.py),
plus row locking under concurrent appends, in a database of its own on the suite's server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from ocr_service.store.index import Index, make_engine, migrate
from tests import index_checks


@pytest.fixture(scope="module")
def index(postgres_url: str) -> Iterator[Index]:
    name = f"sohoa_index_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    opened = Index.open(url)
    yield opened
    opened.close()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def test_migrations_build_the_models_schema_and_run_again_harmlessly(index: Index) -> None:
    assert index.engine.dialect.name == "postgresql"
    migrate(index.url)
    index_checks.schema_matches_models(index)


@pytest.mark.parametrize("check", index_checks.ALL, ids=lambda check: check.__name__)
def test_index(index: Index, check) -> None:
    check(index)


def test_concurrent_appends_wait_for_the_chain_head(index: Index) -> None:
    index_checks.concurrent_appends_keep_one_chain(index, threads=8, each=15)
