"""Real servers for the integration tests: Redis, SeaweedFS (S3) and PostgreSQL.

Each runs once per test session as a child process on free loopback ports
(``ocr_service.devstack``), so two test sessions, or a test session beside ``sohoa up``, do not
collide. Tests that stop or restart a shared server must start it again before they end.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ocr_service.config import Settings
from ocr_service.devstack import DevServerError, RedisServer, SeaweedServer
from sohoa_dev.postgres import PostgresServer, postgres_bin_dir
from ocr_service.store.objects import ObjectStore


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A running SeaweedFS; its credentials are ``.access_key`` and ``.secret_key``."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"), access_key="sohoa-test",
                           secret_key=secrets.token_urlsafe(24))
    with server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL cluster; skipped only when the Debian package is missing.

    Its folder is made under /tmp, not pytest's root-only folder: under root the server runs as
    the ``postgres`` user, who must be able to reach it.
    """
    try:
        postgres_bin_dir()
    except DevServerError as exc:
        pytest.skip(f"PostgreSQL is not installed (Debian package postgresql): {exc.message}")
    data_dir = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
    try:
        with PostgresServer(data_dir) as server:
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL (``postgresql+psycopg://``) of the ``postgres`` database."""
    return postgres_server.url


S3SettingsFactory = Callable[..., Settings]


@pytest.fixture
def s3_settings(seaweed: SeaweedServer) -> S3SettingsFactory:
    """Makes Settings pointing at the session's SeaweedFS, with fresh bucket names per call;
    keyword arguments override any field."""

    def make(**overrides: object) -> Settings:
        prefix = f"t{uuid.uuid4().hex[:12]}"
        values: dict[str, object] = {
            "s3_endpoint": seaweed.endpoint, "s3_access_key": seaweed.access_key,
            "s3_secret_key": seaweed.secret_key, "s3_region": "us-east-1",
            "raw_bucket": f"{prefix}-raw", "records_bucket": f"{prefix}-records",
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def object_store(s3_settings: S3SettingsFactory) -> Iterator[ObjectStore]:
    """An ``ObjectStore`` on the session's SeaweedFS with buckets of its own (ensured)."""
    store = ObjectStore.from_settings(s3_settings())
    store.ensure_buckets()
    yield store
    store.close()
