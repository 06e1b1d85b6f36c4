"""Debian's PostgreSQL as a child process for the index tests (production-like SQL).

Only tests start it (``sohoa up`` runs on SQLite), so it lives here, outside the shipped package;
it is a :class:`ocr_service.devstack.ChildServer` like the Redis and SeaweedFS that ``sohoa up``
starts, so ports, logs and clean-up follow the same rules.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from ocr_service.devstack import ChildServer, DevServerError, require_binary, free_ports


def postgres_bin_dir() -> Path:
    """The newest Debian PostgreSQL server binaries (``/usr/lib/postgresql/N/bin``)."""
    versions = {int(m.group(1)): Path(path).parent
                for path in glob.glob("/usr/lib/postgresql/*/bin/postgres")
                if (m := re.search(r"/(\d+)/bin/postgres$", path))}
    if versions:
        return versions[max(versions)]
    which = shutil.which("postgres")
    require_binary(which, "postgres", "install the Debian package postgresql (scripts/setup.sh)")
    return Path(which).parent  # type: ignore[arg-type]


class PostgresServer(ChildServer):
    """Debian's PostgreSQL as a child process: a throw-away cluster for index tests.

    ``initdb`` and the server refuse to run as root, so under root both run as the ``postgres``
    user (set by ``subprocess`` in the child itself, rather than through ``runuser``, so the
    server is our direct child and gets our signals) and the data directory belongs to
    ``postgres``; it must then lie where that user can reach it (e.g. under /tmp, not in a
    root-only pytest folder). The cluster listens on TCP only, with a random password
    (scram-sha-256), and ``fsync`` off: the data are test data.
    """

    name = "postgres"
    stop_signal = signal.SIGINT
    """PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to disconnect."""

    def __init__(self, data_dir: Path | str, *, bin_dir: Path | None = None) -> None:
        super().__init__(data_dir)
        self.bin_dir = bin_dir or postgres_bin_dir()
        self.port = free_ports(1)[0]
        self.cluster_dir = self.data_dir / "cluster"
        self._password_file = self.data_dir / "password"
        self._run_as = "postgres" if os.geteuid() == 0 else None

    @property
    def password(self) -> str:
        return self._password_file.read_text().strip()

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of one database on this server."""
        return (f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/"
                f"{database}")

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def settings_env(self) -> dict[str, str]:
        return {"SOHOA_DATABASE_URL": self.url}

    def _popen_options(self) -> dict[str, Any]:
        return {"user": self._run_as} if self._run_as else {}

    def _prepare(self) -> None:
        if (self.cluster_dir / "PG_VERSION").exists():
            return
        if self._run_as:
            self._check_reachable()
            shutil.chown(self.data_dir, self._run_as, self._run_as)
        self.data_dir.chmod(0o700)
        if not self._password_file.exists():
            from secrets import token_urlsafe

            self._password_file.touch(mode=0o600)
            self._password_file.write_text(token_urlsafe(24))
            if self._run_as:
                shutil.chown(self._password_file, self._run_as, self._run_as)
        command = [str(self.bin_dir / "initdb"), "-D", str(self.cluster_dir), "-U", "postgres",
                   "--auth=scram-sha-256", f"--pwfile={self._password_file}", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"]
        with self.log_path.open("ab") as log_file:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=log_file,
                                  stderr=subprocess.STDOUT, cwd=self.data_dir,
                                  **self._popen_options())
        if done.returncode != 0:
            self._fail(f"initdb failed with code {done.returncode}")

    def _check_reachable(self) -> None:
        """Fail early and clearly when ``postgres`` cannot walk down to the data directory."""
        import pwd

        uid = pwd.getpwnam(self._run_as or "postgres").pw_uid
        for parent in self.data_dir.parents:
            info = parent.stat()
            if not (info.st_mode & 0o001 or info.st_uid == uid):
                raise DevServerError(
                    f"user postgres cannot enter {parent} (mode {info.st_mode & 0o777:o}); "
                    "put the PostgreSQL data dir where it can, e.g. under /tmp",
                    f"người dùng postgres không vào được {parent}; hãy đặt thư mục dữ liệu "
                    "PostgreSQL ở nơi khác, ví dụ dưới /tmp",
                )

    def _command(self) -> list[str]:
        return [str(self.bin_dir / "postgres"), "-D", str(self.cluster_dir),
                "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=", "-c", "fsync=off"]

    def _ready(self) -> bool:
        done = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return done.returncode == 0

    def create_database(self, name: str) -> str:
        """Create database ``name`` (an identifier) and return its SQLAlchemy URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        psql = str(self.bin_dir / "psql")
        if not os.access(psql, os.X_OK):
            psql = require_binary(shutil.which("psql"), "psql", "install postgresql-client")
        done = subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
             "-v", "ON_ERROR_STOP=1", "-q", "-c", f"CREATE DATABASE {name}"],
            env={**os.environ, "PGPASSWORD": self.password}, stdin=subprocess.DEVNULL,
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise DevServerError(f"CREATE DATABASE {name} failed: {done.stderr.strip()}",
                                 f"không tạo được cơ sở dữ liệu {name}")
        return self.url_for(name)



__all__ = ["PostgresServer", "postgres_bin_dir"]
