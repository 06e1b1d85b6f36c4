"""``sohoa up``: the whole service on one machine with embedded defaults (what ``make run`` runs).

Redis and SeaweedFS (``devstack``), the API (``sohoa serve``) and one worker for every queue
(``sohoa worker``) run as child processes on loopback, each with its log under
``SOHOA_DATA_DIR/up/``; the index is the SQLite file and the signer the test PKI under
``SOHOA_DATA_DIR``, as for ``sohoa keys`` and ``sohoa process``. The API and the worker learn
where Redis and S3 are from ``SOHOA_*`` variables, exactly as in a real deployment. Ctrl-C or
SIGTERM stops the API and the worker first (a running task finishes or is redelivered next
time: it was not acknowledged), then the servers; children also die if this process is killed.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from .config import Settings, get_settings
from .devstack import ChildServer, RedisServer, SeaweedServer, stop_all
from .errors import SohoaError

AGENCY = "DEV"
FIRST_KEY_ROLES = ("clerk", "admin", "auditor")
FIRST_USER, FIRST_USER_NAME = "canbo", "Cán bộ tiếp nhận (thử nghiệm)"
"""The desk's first account in DEV, made only while DEV has none (a clerk logs in at once)."""


class ServiceProcess(ChildServer):
    """A ``sohoa`` command (API, worker) run like the dev servers, with the stack's env."""

    ready_timeout_s = 180.0  # loads the OCR models first
    stop_grace_s = 30.0  # a worker finishes its running task on SIGTERM

    def __init__(self, name: str, data_dir: Path, arguments: list[str], env: dict[str, str],
                 ready: Callable[[ServiceProcess], bool]) -> None:
        self.name = name
        super().__init__(data_dir)
        self._arguments, self._env, self._is_ready = arguments, env, ready

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "ocr_service.cli", *self._arguments]

    def _popen_options(self) -> dict[str, Any]:
        return {"env": self._env}

    def _ready(self) -> bool:
        return self._is_ready(self)

    def settings_env(self) -> dict[str, str]:
        return {}


def _answers(url: str) -> Callable[[ServiceProcess], bool]:
    def ready(_: ServiceProcess) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                return response.status == 200
        except OSError:
            return False

    return ready


def _logged_ready(process: ServiceProcess) -> bool:
    """Celery logs ``<name> ready.`` once it consumes its queues."""
    try:
        return b" ready." in process.log_path.read_bytes()[-20000:]
    except OSError:
        return False


def _stack_settings(settings: Settings, redis: RedisServer, seaweed: SeaweedServer,
                    port: int) -> tuple[Settings, dict[str, str]]:
    """The settings of the stack, for this process and (as env) for its children."""
    env = {**os.environ, **redis.settings_env(), **seaweed.settings_env(),
           "SOHOA_DATA_DIR": str(settings.data_dir.resolve()), "SOHOA_PORT": str(port)}
    stack = settings.model_copy(update={
        "redis_url": redis.url, "s3_endpoint": seaweed.endpoint,
        "s3_access_key": seaweed.access_key, "s3_secret_key": SecretStr(seaweed.secret_key),
        "s3_secure": False, "s3_region": "us-east-1", "port": port})
    return stack, env


def _prepare(settings: Settings) -> tuple[str, str | None]:
    """Test PKI, index, buckets and agency DEV; returns a new API key of DEV and the password of
    the desk's first account when it was just made (None when DEV has accounts already)."""
    from .pki import init_pki, pki_exists
    from .services import open_services
    from .store.keys import create_key
    from .store.repo import ensure_agency

    if not pki_exists(settings.pki_folder):
        init_pki(settings.pki_folder)
        print(f"PKI thử nghiệm / test PKI: {settings.pki_folder}", flush=True)
    services = open_services(settings)
    try:
        with services.index.session() as session:
            ensure_agency(session, AGENCY, "Đơn vị phát triển / development agency")
            _, key = create_key(session, AGENCY, FIRST_KEY_ROLES, label="sohoa up")
            password = _first_user(session, settings)
    finally:
        services.close()
    return key, password


def _first_user(session: Any, settings: Settings) -> str | None:
    """``canbo`` (clerk) with a random password, when DEV has no staff account yet: the password
    exists only in this return value, printed once (``sohoa users`` manages accounts later)."""
    from .store.users import create_user, list_users

    if list_users(session, AGENCY):
        return None
    password = secrets.token_urlsafe(12)
    try:
        with session.begin_nested():
            create_user(session, AGENCY, FIRST_USER, FIRST_USER_NAME, ["clerk"], password,
                        min_length=settings.password_min_length)
    except SohoaError:  # the username is taken in another agency: leave accounts to the admin
        return None
    return password


def run_up(port: int | None = None, concurrency: int = 2) -> int:
    """Run the stack until Ctrl-C or SIGTERM; 0 then, 2 if a part failed or stopped by itself."""
    settings = get_settings()
    port = port or settings.port
    base = settings.data_dir.resolve() / "up"
    redis = RedisServer(base / "redis")
    seaweed = SeaweedServer(base / "s3", access_key="sohoa-dev",
                            secret_key=secrets.token_urlsafe(24))
    stack, env = _stack_settings(settings, redis, seaweed, port)
    url = f"http://{settings.host}:{port}"
    api = ServiceProcess("api", base / "api", ["serve", "--port", str(port)], env,
                         _answers(f"{url}/healthz"))
    worker = ServiceProcess("worker", base / "worker",
                            ["worker", "--queues", "ocr,cpu,archive,ocr_batch",
                             "--concurrency", str(concurrency)], env, _logged_ready)
    # Ctrl-C and SIGTERM alike interrupt whatever runs (even a start that waits for a server);
    # set here, not inherited: a shell's background job starts with SIGINT ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    parts: list[ChildServer] = []
    try:
        for part in (redis, seaweed):
            parts.append(part)  # before start(): one interrupted while starting is stopped too
            part.start()
        key, password = _prepare(stack)
        for part in (worker, api):
            parts.append(part)
            part.start()
        print(f"\nsohoa đang chạy / is running: {url}  (OpenAPI: {url}/docs)\n"
              f"Khóa API của {AGENCY} ({', '.join(FIRST_KEY_ROLES)}), chỉ hiện một lần / "
              f"API key, shown once:\n  {key}\n"
              f"Bàn tiếp nhận / desk: {url}/desk/\n"
              + (f"Tài khoản đầu tiên, mật khẩu chỉ hiện một lần / first account, password shown "
                 f"once:\n  {FIRST_USER} / {password}\n" if password else
                 "Tài khoản: sohoa users create / accounts: sohoa users create\n") +
              f"Nhật ký / logs: {base}/*/*.log\nCtrl-C để dừng / to stop", flush=True)
        while True:
            time.sleep(0.5)
            dead = [part.name for part in parts if not part.running]
            if dead:
                raise SohoaError(f"{', '.join(dead)} stopped unexpectedly; see its log in {base}",
                                 f"{', '.join(dead)} đã dừng bất thường; xem nhật ký trong {base}",
                                 code="stack_failed")
    except KeyboardInterrupt:
        pass
    finally:
        for sig in previous:  # a second Ctrl-C must not cut the clean stop short
            signal.signal(sig, signal.SIG_IGN)
        print("Đang dừng / stopping…", file=sys.stderr, flush=True)
        stop_all(*(p for p in parts if isinstance(p, ServiceProcess)))
        stop_all(*(p for p in parts if not isinstance(p, ServiceProcess)))
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
