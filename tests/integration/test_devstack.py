"""The local servers of ``ocr_service.devstack``: each starts, answers, restarts on the same port
with its data, stops, and leaves no process behind (``sohoa up`` and the fault tests rely on it).
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from minio import Minio
from minio.error import S3Error

from ocr_service.devstack import (
    ChildServer,
    DevServerError,
    RedisServer,
    SeaweedServer,
    free_ports,
    stop_all,
)
from sohoa_dev.postgres import PostgresServer


def _group_members(pgid: int) -> list[int]:
    """Live processes (zombies included) whose process group is ``pgid``, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ...
            members.append(int(stat.parent.name))
    return members


def _assert_gone(server: ChildServer, pid: int) -> None:
    assert not server.running and server.pid is None
    assert not Path(f"/proc/{pid}").exists(), "server not reaped"
    assert _group_members(pid) == [], "processes of the server left behind"


def test_redis_starts_keeps_data_across_restart_and_stops(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as server:
        pid = server.pid
        assert pid is not None and server.url.startswith("redis://127.0.0.1:")
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        client.set("queued", "task-1")
        port = server.port
        server.restart()
        assert server.port == port and server.pid != pid
        assert client.get("queued") == b"task-1"
        client.close()
        pid = server.pid
    assert pid is not None
    _assert_gone(server, pid)


def test_seaweed_runs_beside_another_and_stops(tmp_path: Path, seaweed: SeaweedServer) -> None:
    server = SeaweedServer(tmp_path / "s3", access_key="second", secret_key="second-secret")
    assert set(server.ports.values()).isdisjoint(seaweed.ports.values())
    with server:
        pid = server.pid
        client = Minio(server.endpoint, "second", "second-secret", secure=False,
                       region="us-east-1")
        client.make_bucket("devstack-check")
        client.put_object("devstack-check", "k", io.BytesIO(b"v"), 1)
        anonymous = Minio(server.endpoint, secure=False, region="us-east-1")
        with pytest.raises(S3Error) as refused:  # no anonymous identity: unsigned requests
            anonymous.list_buckets()
        assert refused.value.code == "AccessDenied"
        for sock in ("s3.sock", "filer.sock"):
            assert (server.data_dir / sock).exists()
    assert pid is not None
    _assert_gone(server, pid)
    assert not [p for p in server.ports.values()
                if list(Path("/tmp").glob(f"seaweedfs-*-grpc-{p + 10000}.sock"))]
    assert seaweed.running


def test_postgres_answers_select_1_and_stops() -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    data_dir = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
    try:
        with PostgresServer(data_dir) as server:
            pid = server.pid
            engine = sqlalchemy.create_engine(server.create_database("devstack_check"))
            with engine.connect() as conn:
                assert conn.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
            engine.dispose()
            server.restart()
            engine = sqlalchemy.create_engine(server.url_for("devstack_check"))
            with engine.connect() as conn:  # the database survived the restart
                assert conn.execute(sqlalchemy.text("SELECT current_database()")).scalar() \
                    == "devstack_check"
            engine.dispose()
            pid = server.pid
        assert pid is not None
        _assert_gone(server, pid)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_kill_leaves_nothing_and_start_recovers(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    pid = server.pid
    assert pid is not None
    server.kill()
    _assert_gone(server, pid)
    server.start()
    assert redis.Redis.from_url(server.url).ping()
    stop_all(server)
    assert not server.running


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        with pytest.raises(DevServerError) as failed:
            server.start()
    assert "exited with code" in failed.value.message
    assert "Address already in use" in failed.value.message  # the log tail
    assert failed.value.message_vi and not server.running


def test_free_ports_are_distinct_and_paired() -> None:
    ports = free_ports(5, paired=True)
    assert len(set(ports)) == 5
    assert set(ports).isdisjoint(p + 10000 for p in ports)
    assert all(p < 32768 and p + 10000 < 32768 for p in ports)


def _alive(pid: int) -> bool:
    """Running, not merely a zombie left for an init that may never reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_servers_die_with_their_parent(tmp_path: Path) -> None:
    """A test run killed without stopping its servers must not leave them running."""
    script = (
        "import sys, time\n"
        "from ocr_service.devstack import RedisServer\n"
        "server = RedisServer(sys.argv[1]).start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "redis outlived its killed parent"


def test_postgres_url_fixture_answers(postgres_url: str) -> None:
    """The session's PostgreSQL (the index tests' database) takes SQLAlchemy connections."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    assert postgres_url.startswith("postgresql+psycopg://postgres:")
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
    engine.dispose()
