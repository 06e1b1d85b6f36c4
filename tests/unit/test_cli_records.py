"""`sohoa pki init`, `sohoa process` and `sohoa verify` as a user runs them (test PKI, no services)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.signing import append_page, flip

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "pages"
FORMS = SAMPLES.parent / "forms"
FORM_SAMPLE = "cccd-01.pdf"


def sohoa(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "ocr_service.cli", *args],
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("var")
    out = tmp_path_factory.mktemp("out")
    bad = out.parent / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    done = sohoa("process", str(SAMPLES / "form-1.jpg"), str(bad), str(FORMS / FORM_SAMPLE),
                 "--out", str(out),
                 "--dossier-code", "000.00.10.H29-261122-0001", "--procedure-code", "1.001234",
                 "--owner-id", "001187012345", "--title", "Tờ khai tham gia BHXH", data_dir=data_dir)
    assert done.returncode == 2, done.stderr  # the bad file is refused ...
    assert "bad.pdf" in done.stderr and "Traceback" not in done.stderr
    assert (out / "form-1.pdf").is_file()  # ... and the good one is still processed
    return data_dir, out


def test_a_processed_form_carries_its_type_and_fields_in_the_manifest(processed):
    _, out = processed
    expected = json.loads((FORMS / FORM_SAMPLE).with_suffix(".json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "cccd-01.manifest.json").read_text(encoding="utf-8"))
    assert manifest["document_type"] == "cccd"
    for name in ("id_number", "date_of_birth", "sex", "date_of_expiry"):
        assert manifest["fields"][name]["value"] == expected["fields"][name], name


def test_pki_init_creates_labelled_test_material_once(tmp_path):
    first = sohoa("pki", "init", str(tmp_path / "pki"), data_dir=tmp_path)
    assert first.returncode == 0 and "THỬ NGHIỆM" in first.stdout
    root = (tmp_path / "pki" / "pki.json").read_bytes()
    again = sohoa("pki", "init", str(tmp_path / "pki"), data_dir=tmp_path)
    assert again.returncode == 0
    assert (tmp_path / "pki" / "pki.json").read_bytes() == root  # kept, not replaced


def test_process_writes_a_record_and_its_manifest(processed):
    _, out = processed
    manifest = json.loads((out / "form-1.manifest.json").read_text(encoding="utf-8"))
    pdf = (out / "form-1.pdf").read_bytes()
    assert manifest["source"]["sha256"] == hashlib.sha256((SAMPLES / "form-1.jpg").read_bytes()).hexdigest()
    assert manifest["pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert manifest["dossier_code"] == "000.00.10.H29-261122-0001"
    assert manifest["procedure_code"] == "1.001234" and manifest["owner_id_number"] == "001187012345"
    assert [s["role"] for s in manifest["signatures"]] == ["digitizer", "agency"]
    assert manifest["document_type"] == "unknown" and manifest["source"]["pages"] == 1
    assert "sohoa-rec-vi" in manifest["models"] and manifest["software"]["sohoa"]


def test_the_record_is_searchable_vietnamese_text(processed):
    _, out = processed
    text = subprocess.run(["pdftotext", str(out / "form-1.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert unicodedata.is_normalized("NFC", text)


def test_verify_accepts_the_record_with_its_manifest(processed):
    data_dir, out = processed
    done = sohoa("verify", str(out / "form-1.pdf"), "--manifest", str(out / "form-1.manifest.json"),
                 "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["valid"] and len(report["signatures"]) == 2
    assert all(s["trusted"] and s["intact"] and s["timestamp_valid"] for s in report["signatures"])


def test_verify_rejects_a_changed_byte(processed, tmp_path):
    data_dir, out = processed
    data = bytearray((out / "form-1.pdf").read_bytes())
    data[len(data) // 3] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    done = sohoa("verify", str(changed), data_dir=data_dir)
    assert done.returncode == 1
    assert "KHÔNG HỢP LỆ" in done.stdout


def test_verify_rejects_a_record_that_does_not_match_its_manifest(processed, tmp_path):
    data_dir, out = processed
    manifest = json.loads((out / "form-1.manifest.json").read_text(encoding="utf-8"))
    manifest["pdf"]["sha256"] = "0" * 64
    other = tmp_path / "m.json"
    other.write_text(json.dumps(manifest), encoding="utf-8")
    done = sohoa("verify", str(out / "form-1.pdf"), "--manifest", str(other), data_dir=data_dir)
    assert done.returncode == 1 and "bản kê" in done.stdout


def test_verify_rejects_a_record_from_an_untrusted_root(processed, tmp_path):
    data_dir, out = processed
    sohoa("pki", "init", str(tmp_path / "other"), data_dir=tmp_path)
    done = sohoa("verify", str(out / "form-1.pdf"), "--trust", str(tmp_path / "other" / "root-ca.pem"),
                 data_dir=data_dir)
    assert done.returncode == 1
    assert "trusted=False" in done.stdout


def test_verify_of_a_missing_file_is_bad_input(tmp_path):
    done = sohoa("verify", str(tmp_path / "none.pdf"), data_dir=tmp_path)
    assert done.returncode == 2 and "không tìm thấy tệp" in done.stderr


def test_verify_rejects_a_page_appended_after_signing(processed, tmp_path):
    data_dir, out = processed
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(append_page((out / "form-1.pdf").read_bytes()))
    done = sohoa("verify", str(appended), data_dir=data_dir)
    assert done.returncode == 1
    assert "modified after signing" in done.stdout or "sau khi ký" in done.stdout


def test_an_empty_identifier_is_refused_before_any_work(tmp_path):
    done = sohoa("process", str(SAMPLES / "form-1.jpg"), "--out", str(tmp_path / "out"),
                 "--dossier-code", " ", data_dir=tmp_path)
    assert done.returncode == 2 and "không được để trống" in done.stderr
    assert not (tmp_path / "out").exists()


def test_any_changed_byte_of_a_long_term_record_is_caught_through_its_manifest(tmp_path):
    """B-LTA records end with unsigned PAdES validation data; the manifest beside the record
    (found without --manifest) covers those bytes too."""
    env_dir = tmp_path / "var"
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "process", str(SAMPLES / "form-1.jpg"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "SOHOA_DATA_DIR": str(env_dir), "SOHOA_SIGN_LEVEL": "B-LTA"},
    )
    assert done.returncode == 0, done.stderr
    record = out / "form-1.pdf"
    assert sohoa("verify", str(record), data_dir=env_dir).returncode == 0
    data = record.read_bytes()
    at = data.rindex(b"/Producer (") + len(b"/Producer (")  # in the unsigned last revision
    record.write_bytes(flip(data, at))
    done = sohoa("verify", str(record), data_dir=env_dir)
    assert done.returncode == 1
    assert "bản kê" in done.stdout and "sha256" in done.stdout


def test_verify_keeps_its_exit_code_when_the_reader_closes_the_pipe(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    assert sohoa("pki", "init", data_dir=tmp_path).returncode == 0  # a root to verify against
    for flags in ("", "--json"):
        done = subprocess.run(
            ["bash", "-c", f'"$0" -m ocr_service.cli verify {flags} "$1" | head -c 10 >/dev/null; '
                           'exit "${PIPESTATUS[0]}"', sys.executable, str(bad)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "SOHOA_DATA_DIR": str(tmp_path)})
        assert done.returncode == 1, done.stderr  # invalid, not the success of a closed pipe
        assert "Traceback" not in done.stderr
