"""Reading a postal operator's batch: a ZIP of scans and its ``manifest.csv`` (pure: no storage).

The ZIP is read from a file (the API's spooled upload), never whole into memory: its directory
is checked first, then each scan is read on its own, at most ``max_upload_bytes`` at a time.

What refuses the whole ZIP (``BatchRefused``, HTTP 422), before anything is stored:

* a file that is no readable ZIP, or has no ``manifest.csv`` at its root, or a manifest whose
  header lacks a column;
* ZIP bombs: more than ``max_batch_entries`` entries, more than ``max_batch_uncompressed_bytes``
  declared in all, or an entry declared to expand more than ``max_batch_ratio`` times (the
  declared sizes also bound what is read: ``zipfile`` stops at them and checks the CRC);
* path traversal (an absolute name, a drive, ``..``), symbolic links, encrypted entries.

What refuses one row only (``RowError``, reported with its manifest line, both languages): a
missing column value, a malformed value, a file the ZIP does not hold; and later, when the row's
file is read, anything intake refuses on cheap evidence (empty, too large, unsupported type).
"""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from .config import IntakeLimits
from .errors import InputError, SohoaError
from .pipeline.intake import PDF, TIFF, detect_type, tiff_page_count

MANIFEST = "manifest.csv"
COLUMNS = ("file", "dossier_ref", "procedure_code", "applicant_id_number", "component")
REQUIRED = COLUMNS[:4]
MAX_MANIFEST_BYTES = 16 << 20
"""A manifest of 10 000 rows is about 1 MB; more is no manifest."""
_REF = re.compile(r"\S(.{0,126}\S)?")
_PROCEDURE = re.compile(r"\S(.{0,62}\S)?")
_ID_NUMBER = re.compile(r"[0-9A-Za-z]{8,32}")
"""As ``POST /v1/dossiers`` takes them (schemas.DossierCreate)."""


class BatchRefused(InputError):
    """The ZIP as a whole cannot be taken; nothing of it is stored (HTTP 422)."""


@dataclass(frozen=True)
class Row:
    """A manifest row that passed its checks."""

    line: int
    file: str
    dossier_ref: str
    procedure_code: str
    applicant_id_number: str
    component: str | None


@dataclass(frozen=True)
class RowError:
    """A manifest row refused: its line in ``manifest.csv`` (the header is line 1)."""

    line: int
    file: str
    dossier_ref: str | None
    error: SohoaError


def _refused(code: str, en: str, vi: str) -> BatchRefused:
    return BatchRefused(en, vi, code=code)


@contextmanager
def open_zip(source: BinaryIO, settings: IntakeLimits) -> Iterator[zipfile.ZipFile]:
    """The ZIP in ``source`` (a seekable file) once its directory passed every check above."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _refused("bad_zip", f"The batch is not a readable ZIP file ({exc}).",
                       f"Lô hồ sơ không phải tệp ZIP đọc được ({exc}).") from None
    with archive:
        check_entries(archive.infolist(), settings)
        yield archive


def check_entries(entries: list[zipfile.ZipInfo], settings: IntakeLimits) -> None:
    """Refuse the ZIP for bombs, traversal, links or encryption (see the module's docstring)."""
    if len(entries) > settings.max_batch_entries:
        raise _refused(
            "zip_too_many_entries",
            f"The ZIP holds {len(entries)} entries; a batch may hold at most "
            f"{settings.max_batch_entries}.",
            f"Tệp ZIP có {len(entries)} mục; một lô chỉ được tối đa {settings.max_batch_entries}.")
    total = 0
    for entry in entries:
        name = entry.filename
        if unsafe_name(name):
            raise _refused("zip_unsafe_path",
                           f"The ZIP entry “{name}” points outside the batch (absolute path or "
                           "'..').",
                           f"Mục “{name}” trong tệp ZIP trỏ ra ngoài lô (đường dẫn tuyệt đối "
                           "hoặc '..').")
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise _refused("zip_symlink", f"The ZIP entry “{name}” is a symbolic link.",
                           f"Mục “{name}” trong tệp ZIP là liên kết tượng trưng (symlink).")
        if entry.flag_bits & 0x1:
            raise _refused("zip_encrypted", f"The ZIP entry “{name}” is encrypted.",
                           f"Mục “{name}” trong tệp ZIP được mã hóa.")
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > (1 << 20) and ratio > settings.max_batch_ratio:
            raise _refused(
                "zip_bomb",
                f"The ZIP entry “{name}” expands {ratio:.0f} times; at most "
                f"{settings.max_batch_ratio} is taken.",
                f"Mục “{name}” trong tệp ZIP giãn nở {ratio:.0f} lần; chỉ chấp nhận tối đa "
                f"{settings.max_batch_ratio} lần.")
    if total > settings.max_batch_uncompressed_bytes:
        gib, limit = total / (1 << 30), settings.max_batch_uncompressed_bytes / (1 << 30)
        raise _refused(
            "zip_bomb",
            f"The ZIP's files expand to {gib:.1f} GiB; a batch may expand to {limit:.1f} GiB.",
            f"Các tệp trong ZIP giãn nở thành {gib:.1f} GiB; một lô chỉ được tối đa "
            f"{limit:.1f} GiB.")


def unsafe_name(name: str) -> bool:
    """True for a name that would land outside a folder it is extracted into."""
    if "\x00" in name or "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return True
    return ".." in PurePosixPath(name).parts


def read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One file of the ZIP, refused (``file_too_large``) past ``limit`` bytes while it is read;
    a damaged entry (bad CRC, truncated) is the row's ``corrupt_file``."""
    try:
        info = archive.getinfo(name)
        if info.file_size > limit:
            raise _too_large(name, limit)
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(f"The file “{name}” is damaged inside the ZIP ({exc}).",
                         f"Tệp “{name}” trong ZIP bị hỏng ({exc}).", code="corrupt_file") from None
    if len(data) > limit:
        raise _too_large(name, limit)
    return data


def _too_large(name: str, limit: int) -> InputError:
    return InputError(f"The file “{name}” is larger than the {limit // (1 << 20)} MiB limit.",
                      f"Tệp “{name}” lớn hơn giới hạn {limit // (1 << 20)} MiB.",
                      code="file_too_large")


def read_manifest(archive: zipfile.ZipFile) -> str:
    """``manifest.csv`` at the ZIP's root, as text (UTF-8, a byte order mark allowed)."""
    if MANIFEST not in archive.namelist():
        raise _refused("no_manifest", f"The ZIP has no {MANIFEST} at its root.",
                       f"Tệp ZIP không có {MANIFEST} ở thư mục gốc.")
    data = read_entry(archive, MANIFEST, MAX_MANIFEST_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refused("bad_manifest", f"{MANIFEST} is not UTF-8 text.",
                       f"{MANIFEST} không phải văn bản UTF-8.") from None


def parse_manifest(text: str, files: set[str]) -> tuple[list[Row], list[RowError]]:
    """The manifest's good rows and its bad ones, each with its line number; ``files`` are the
    names the ZIP holds. A header without one of ``REQUIRED`` refuses the whole manifest."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if missing := [column for column in REQUIRED if column not in header]:
        names = ", ".join(missing)
        raise _refused("bad_manifest",
                       f"{MANIFEST} lacks the column(s) {names}; its header must be "
                       f"{','.join(COLUMNS)}.",
                       f"{MANIFEST} thiếu cột {names}; dòng tiêu đề phải là {','.join(COLUMNS)}.")
    rows: list[Row] = []
    errors: list[RowError] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are no rows
        values = {column: (cells[i].strip() if i < len(cells) else "")
                  for i, column in enumerate(header) if column in COLUMNS}
        values = {column: values.get(column, "") for column in COLUMNS}
        problem = row_problem(values, files)
        if problem is not None:
            errors.append(RowError(line, values["file"], values["dossier_ref"] or None, problem))
            continue
        rows.append(Row(line, values["file"], values["dossier_ref"], values["procedure_code"],
                        values["applicant_id_number"], values["component"] or None))
    return rows, errors


def row_problem(values: dict[str, str], files: set[str]) -> SohoaError | None:
    """Why a row cannot be taken, or None."""
    if empty := [column for column in REQUIRED if not values[column]]:
        names = ", ".join(empty)
        return InputError(f"The row has no value for {names}.",
                          f"Dòng thiếu giá trị của cột {names}.", code="missing_value")
    checks = (("dossier_ref", _REF, "1 to 128 characters", "từ 1 đến 128 ký tự"),
              ("procedure_code", _PROCEDURE, "1 to 64 characters", "từ 1 đến 64 ký tự"),
              ("applicant_id_number", _ID_NUMBER, "8 to 32 letters or digits (CCCD: 12 digits)",
               "8 đến 32 chữ cái hoặc chữ số (CCCD: 12 chữ số)"))
    for column, pattern, en, vi in checks:
        if not pattern.fullmatch(values[column]):
            return InputError(f"The value of {column} must be {en}.",
                              f"Giá trị cột {column} phải gồm {vi}.", code="bad_value")
    if len(values["component"]) > 255:
        return InputError("The component is longer than 255 characters.",
                          "Thành phần hồ sơ dài hơn 255 ký tự.", code="bad_value")
    if values["file"] not in files or values["file"] == MANIFEST:
        return InputError(f"The ZIP holds no file “{values['file']}”.",
                          f"Tệp ZIP không có tệp “{values['file']}”.", code="missing_file")
    return None


def planned_pages(data: bytes, name: str) -> int:
    """Pages of a scan as its headers say (PDF page tree, TIFF page chain; 1 for an image),
    without decoding any: the batch's progress counts them. A file whose headers cannot be
    read counts 1; the worker then fails it, with the reason, on its document."""
    try:
        file_type = detect_type(data, name)
        if file_type is PDF:
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(data)
            try:
                return max(len(pdf), 1)
            finally:
                pdf.close()
        if file_type is TIFF:
            return max(tiff_page_count(data, stop=100_000, name=name), 1)
    except Exception:  # noqa: BLE001 - damage is reported by the worker, with its reason
        return 1
    return 1
