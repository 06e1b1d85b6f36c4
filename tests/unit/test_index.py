"""The SQL index on SQLite (the default database): migrations, agency scoping, keys, audit chain,
and ``sohoa keys create``. The same checks run on PostgreSQL in tests/integration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ocr_service.cli import main
from ocr_service.config import get_settings
from ocr_service.store import keys
from ocr_service.store.index import Index, database_url, migrate
from tests import index_checks


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    opened = Index.open(f"sqlite:///{tmp_path_factory.mktemp('index') / 'index.sqlite3'}")
    yield opened
    opened.close()


def test_migrations_build_the_models_schema_and_run_again_harmlessly(index: Index) -> None:
    migrate(index.url)
    index_checks.schema_matches_models(index)
    with index.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("check", index_checks.ALL, ids=lambda check: check.__name__)
def test_index(index: Index, check) -> None:
    check(index)


def test_default_database_is_sqlite_under_the_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert database_url(get_settings()) == f"sqlite:///{tmp_path / 'index.sqlite3'}"
    finally:
        get_settings.cache_clear()


def test_keys_create_prints_a_key_that_authenticates(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "--agency", "000.00.10.H29", "--agency-name",
                     "UBND phường Ba Đình", "--role", "clerk", "--role", "system"]) == 0
        out, err = capsys.readouterr()
        plaintext = out.strip()
        assert plaintext.startswith("sohoa_") and "\n" not in plaintext
        assert plaintext not in err
        assert main(["keys", "create", "--agency", "000.00.10.H29", "--role", "root"]) == 2
        assert "root" in capsys.readouterr().err
        assert main(["keys", "create", "--agency", "bad code", "--role", "clerk"]) == 2
        index = Index(database_url(get_settings()))
        with index.session() as session:
            key = keys.authenticate(session, plaintext)
            assert key is not None and key.agency.name == "UBND phường Ba Đình"
            assert {r.value for r in key.role_set} == {"clerk", "system"}
        index.close()
        assert (tmp_path / "var" / "index.sqlite3").is_file()
    finally:
        get_settings.cache_clear()
