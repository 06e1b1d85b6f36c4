"""`sohoa ocr` as a user runs it: every input format, the JSON contract, errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ocr_service.cli import main
from sohoa_dev.evaluation import cer

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "pages"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_ocr_json_has_one_object_per_page_for_every_format():
    files = ["form-1.jpg", "prose-1.png", "dossier-2pages.pdf", "dossier-3pages.tif"]
    done = run_cli("ocr", "--json", *(str(SAMPLES / f) for f in files))
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(Path(o["file"]).name, o["page"]) for o in objects] == [
        ("form-1.jpg", 1), ("prose-1.png", 1),
        ("dossier-2pages.pdf", 1), ("dossier-2pages.pdf", 2),
        ("dossier-3pages.tif", 1), ("dossier-3pages.tif", 2), ("dossier-3pages.tif", 3),
    ]
    truths = {f: (SAMPLES / f).with_suffix(".txt").read_text(encoding="utf-8").split("\f") for f in files}
    for o in objects:
        assert set(o) == {"file", "page", "text", "lines"}
        assert unicodedata.is_normalized("NFC", o["text"])
        assert o["text"] == "\n".join(line["text"] for line in o["lines"])
        for line in o["lines"]:
            assert set(line) == {"text", "confidence", "box"}
            assert isinstance(line["confidence"], float) and 0 <= line["confidence"] <= 1
            assert len(line["box"]) == 4 and all(len(p) == 2 for p in line["box"])
        truth = truths[Path(o["file"]).name][o["page"] - 1]
        assert cer(o["text"], truth) <= 0.05, (o["file"], o["page"])


def test_plain_output_is_readable_text(capsys):
    assert main(["ocr", str(SAMPLES / "form-1.jpg")]) == 0
    out = capsys.readouterr().out
    assert "trang 1" in out and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in out


@pytest.mark.parametrize(
    "content, message_vi",
    [
        (b"", "rỗng"),
        (b"hello, this is not a scan", "không được hỗ trợ"),
        (b"%PDF-1.7\n1 0 obj broken", "hỏng"),
    ],
    ids=["empty", "unsupported", "corrupt-pdf"],
)
def test_bad_input_exits_2_with_both_messages(tmp_path, content, message_vi):
    bad = tmp_path / "hồ sơ.pdf"
    bad.write_bytes(content)
    done = run_cli("ocr", "--json", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert message_vi in done.stderr and "Traceback" not in done.stderr
    assert " / " in done.stderr  # Vietnamese / English


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    done = run_cli("ocr", "--json", str(bad), str(SAMPLES / "form-1.jpg"))
    assert done.returncode == 2
    assert [json.loads(line)["page"] for line in done.stdout.splitlines()] == [1]
    assert "bad.png" in done.stderr


def test_missing_file_is_a_clear_error():
    done = run_cli("ocr", "/nonexistent/scan.pdf")
    assert done.returncode == 2 and "không tìm thấy tệp" in done.stderr


def test_missing_weights_stop_ocr_with_a_fetch_hint(tmp_path):
    env = {**os.environ, "SOHOA_MODELS_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "ocr", str(SAMPLES / "form-1.jpg")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 2
    assert "make models" in done.stderr and "Thiếu tệp mô hình" in done.stderr
    assert "Traceback" not in done.stderr
