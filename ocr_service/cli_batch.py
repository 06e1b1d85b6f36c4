"""``sohoa batch submit|status``: a postal operator's client of ``POST /v1/batches``.

``submit DIR|ZIP --contract C`` sends a folder (zipped on the fly into a temporary file, in a
fixed order with fixed times, so the same folder always makes the same bytes) or a ZIP, then
follows the batch with a progress bar (pages done, pages/s, time left) until it is done.

Resumable: once the server has answered, a small state file next to the input
(``NAME.sohoa-batch.json``) names the batch and the sha256 of what was sent. Run again after
Ctrl-C, the same content finds its batch there and only follows it: nothing is sent twice. An
upload cut off before the answer is sent again with the same ``Idempotency-Key`` (the ZIP's
sha256), so a batch the server did finish answers with that batch, not a second one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .digest import sha256_file
from .errors import SohoaError

STATE_SUFFIX = ".sohoa-batch.json"
MANIFEST = "manifest.csv"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20


def state_path(source: Path) -> Path:
    """Where the state of sending ``source`` is kept: beside it, never inside a folder sent."""
    source = source.resolve()
    return source.with_name(source.name + STATE_SUFFIX)


def _add_file(archive: zipfile.ZipFile, name: str, path: Path) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_STORED  # scans are compressed already
    info.external_attr = 0o644 << 16
    with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, CHUNK)


def _folder_files(folder: Path, manifest: Path) -> Iterator[tuple[str, Path]]:
    """The folder's files (no links, no hidden files), manifest first, in a fixed order."""
    yield MANIFEST, manifest
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if (path.is_symlink() or not path.is_file() or relative == MANIFEST
                or any(part.startswith(".") for part in path.relative_to(folder).parts)):
            continue
        yield relative, path


@contextmanager
def batch_zip(source: Path, manifest: Path | None = None) -> Iterator[Path]:
    """The ZIP to send: ``source`` itself when it is a ZIP holding its manifest, else a
    temporary ZIP (deleted afterwards) of the folder, or of the ZIP's files and ``manifest``."""
    if source.is_file() and manifest is None:
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="sohoa-batch-") as work:
        target = Path(work) / "batch.zip"
        with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
            if source.is_dir():
                wanted = manifest or source / MANIFEST
                if not wanted.is_file():
                    raise SohoaError(f"No {MANIFEST} in {source} (or give --manifest).",
                                     f"Không có {MANIFEST} trong {source} (hoặc dùng "
                                     "--manifest).", code="bad_input")
                for name, path in _folder_files(source, wanted):
                    _add_file(archive, name, path)
            else:
                assert manifest is not None
                _add_file(archive, MANIFEST, manifest)
                with zipfile.ZipFile(source) as given:
                    for info in sorted(given.infolist(), key=lambda i: i.filename):
                        if info.is_dir() or info.filename == MANIFEST:
                            continue
                        copy = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
                        copy.external_attr = 0o644 << 16
                        with given.open(info) as src, archive.open(copy, "w",
                                                                   force_zip64=True) as dst:
                            shutil.copyfileobj(src, dst, CHUNK)
        yield target


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a successful answer; the server's error (both languages) otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.is_success:
        return body
    error = body.get("error") or {}
    raise SohoaError(error.get("message") or f"HTTP {response.status_code}",
                     error.get("message_vi") or f"Lỗi HTTP {response.status_code}",
                     code=error.get("code") or "http_error")


def upload(client: httpx.Client, zip_path: Path, sha256: str, contract: str,
           review: str) -> dict[str, Any]:
    """``POST /v1/batches``, the ZIP streamed from its file."""
    with zip_path.open("rb") as body:
        response = client.post(
            "/v1/batches", headers={"Idempotency-Key": sha256},
            data={"contract_code": contract, "review": review},
            files={"file": (zip_path.name, body, "application/zip")},
            timeout=httpx.Timeout(30.0, write=None, read=None))
    return _answer(response)


def status(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    return _answer(client.get(f"/v1/batches/{batch_id}"))


def submit(client: httpx.Client, source: Path, contract: str, *, manifest: Path | None = None,
           review: str = "flagged", poll: float = 2.0, show: bool = True,
           after_upload: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Send ``source`` (unless its state file says it was sent) and follow it until done;
    the batch's last progress is returned."""
    state_file = state_path(source)
    with batch_zip(source, manifest) as zip_path:
        sha256 = sha256_file(zip_path)
        state = json.loads(state_file.read_text()) if state_file.is_file() else {}
        if state.get("sha256") == sha256 and state.get("batch_id"):
            batch_id = state["batch_id"]
            _say(show, f"Lô {batch_id} đã gửi trước đây; tiếp tục theo dõi / batch already "
                       "sent: following it.")
        else:
            sent = upload(client, zip_path, sha256, contract, review)
            batch_id = sent["id"]
            state_file.write_text(json.dumps({"batch_id": batch_id, "sha256": sha256,
                                              "contract": contract}, indent=2) + "\n")
            _say(show, f"Lô {batch_id}: {sent['documents']} tài liệu, {sent['pages']} trang; "
                       f"{len(sent['errors'])} dòng lỗi / {sent['documents']} documents, "
                       f"{sent['pages']} pages, {len(sent['errors'])} rows refused.")
            for error in sent["errors"]:
                _say(show, _failure_line(error))
    if after_upload is not None:
        after_upload(batch_id)
    return follow(client, batch_id, poll=poll, show=show)


def follow(client: httpx.Client, batch_id: str, *, poll: float = 2.0,
           show: bool = True) -> dict[str, Any]:
    """Poll the batch until it is done, with a progress bar on standard error."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True, quiet=not show)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("trang/pages · {task.fields[rate]:.2f} trang/s · còn/ETA "
                          "{task.fields[eta]}"))
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(f"Lô {batch_id[:8]}", total=None, rate=0.0, eta="?")
        while True:
            current = status(client, batch_id)
            eta = current.get("eta_seconds")
            bar.update(task, total=current["pages_total"] or None,
                       completed=current["pages_done"], rate=current["pages_per_second"],
                       eta="?" if eta is None else f"{eta:.0f} s")
            if current["status"] == "done":
                break
            time.sleep(poll)
    counts = ", ".join(f"{name} {n}" for name, n in current["by_status"].items() if n)
    _say(show, f"Xong / done: {counts or 'không có tài liệu / no documents'}; "
               f"{current['duplicates']} trùng / duplicates.")
    for failure in current["failures"]:
        _say(show, _failure_line(failure))
    return current


def _failure_line(failure: dict[str, Any]) -> str:
    error = failure["error"]
    return (f"  dòng/line {failure['line']} {failure['file']}: {error['code']}: "
            f"{error.get('message_vi') or ''} / {error.get('message') or ''}")


def _say(show: bool, text: str) -> None:
    if show:
        print(text, file=sys.stderr)


def _client(args: argparse.Namespace) -> httpx.Client:
    key = args.key or os.environ.get("SOHOA_API_KEY")
    if not key:
        raise SohoaError("No API key: give --key or set SOHOA_API_KEY.",
                         "Chưa có khóa API: dùng --key hoặc đặt SOHOA_API_KEY.",
                         code="bad_argument")
    return httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {key}"},
                        timeout=30.0)


def _cmd_submit(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.exists():
        raise SohoaError(f"No such file or folder: {source}",
                         f"Không có tệp hoặc thư mục: {source}", code="not_found")
    manifest = Path(args.manifest) if args.manifest else None
    with _client(args) as client:
        done = submit(client, source, args.contract, manifest=manifest, review=args.review,
                      poll=args.poll)
    print(json.dumps(done, ensure_ascii=False))
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        print(json.dumps(status(client, args.batch_id), ensure_ascii=False, indent=2))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``sohoa batch ...`` to the ``sohoa`` parser's sub-commands."""
    group = commands.add_parser("batch", help="send a postal batch (ZIP or folder) and follow it")
    sub = group.add_subparsers(dest="batch_command", required=True)

    def server(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--url", default=os.environ.get("SOHOA_URL",
                                                            "http://127.0.0.1:8000"),
                            help="the API (default $SOHOA_URL or http://127.0.0.1:8000)")
        parser.add_argument("--key", help="API key with the operator role (default "
                                          "$SOHOA_API_KEY)")

    send = sub.add_parser(
        "submit", help="send DIR or ZIP with its manifest.csv, then show progress",
        description="Send a folder (zipped on the fly) or a ZIP with manifest.csv (file,"
                    "dossier_ref,procedure_code,applicant_id_number,component), then follow "
                    "it. Run again after an interruption: nothing is sent twice.")
    send.add_argument("source", metavar="DIR|ZIP")
    send.add_argument("--contract", required=True, metavar="C", help="contract code billed")
    send.add_argument("--manifest", metavar="F", help="manifest.csv kept outside DIR or ZIP")
    send.add_argument("--review", choices=("always", "flagged", "never"), default="flagged")
    send.add_argument("--poll", type=float, default=2.0, help="seconds between progress checks")
    server(send)
    send.set_defaults(run=_cmd_submit)

    show = sub.add_parser("status", help="a batch's progress as JSON")
    show.add_argument("batch_id", metavar="ID")
    server(show)
    show.set_defaults(run=_cmd_status)
