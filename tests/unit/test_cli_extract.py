"""`sohoa extract` as a user runs it: a committed sample scan in, the contract JSON out."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocr_service.cli", *args],
                          capture_output=True, text=True, timeout=600)


def test_extract_json_gives_the_fields_of_a_residence_change_declaration():
    sample = FORMS / "residence_change-01.jpg"
    expected = json.loads(sample.with_suffix(".json").read_text(encoding="utf-8"))["fields"]
    done = run_cli("extract", str(sample), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["form_type"] == "residence_change"
    fields = result["fields"]
    for name in ("id_number", "date_of_birth", "sex", "phone", "household_head_id_number"):
        assert fields[name]["value"] == expected[name], name
    assert fields["members"]["value"] == expected["members"]
    right = sum(fields[name]["value"] == want for name, want in expected.items())
    assert right >= len(expected) - 1, {n: fields[n]["value"] for n in expected}
    for name, field in fields.items():
        assert {"value", "confidence", "page", "review"} <= set(field), name
        if isinstance(field["value"], str):
            assert unicodedata.is_normalized("NFC", field["value"])


def test_extract_refuses_a_file_that_is_not_a_scan_with_exit_code_2(tmp_path):
    note = tmp_path / "ghi-chú.txt"
    note.write_text("không phải ảnh quét", encoding="utf-8")
    done = run_cli("extract", str(note))
    assert done.returncode == 2
    assert "không được hỗ trợ" in done.stderr and "not a supported type" in done.stderr
    assert "Traceback" not in done.stderr
    missing = run_cli("extract", str(tmp_path / "none.pdf"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
