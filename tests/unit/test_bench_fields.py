"""bench/fields.py's scoring: which wrong fields count as silent (a clerk had no reason to look)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


def _bench_fields():
    """bench/fields.py as a module (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_fields", ROOT / "bench" / "fields.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


MEMBER = {"full_name": "LÊ VĂN AN", "date_of_birth": "01/02/2003", "sex": "Nam",
          "id_number": "001203012345"}
SAMPLE = SimpleNamespace(expected={"fields": {"full_name": "LÊ THỊ HOA", "members": [MEMBER]}})


def _result(table: dict) -> dict:
    return {"fields": {"full_name": {"value": "LÊ THỊ HOA", "review": False},
                       "members": {"value": [], "items": [], "review": False, **table}}}


def test_member_rows_not_read_are_silent_unless_the_table_went_to_review() -> None:
    score = _bench_fields().score
    counts, wrong = score(SAMPLE, _result({}))
    assert (counts["total"], counts["right"], counts["silent"], counts["flagged"]) == (5, 1, 4, 0)
    assert "members[0].full_name: want 'LÊ VĂN AN' got None" in wrong
    reasons = [{"code": "table.not_found", "message": "…", "message_vi": "…"}]
    counts, _ = score(SAMPLE, _result({"review": True, "reasons": reasons}))
    assert (counts["total"], counts["right"], counts["silent"], counts["flagged"]) == (5, 1, 0, 4)
    # A doubtful cell elsewhere flags its own table, not rows that were never read.
    counts, _ = score(SAMPLE, _result({"review": True, "reasons": []}))
    assert counts["silent"] == 4
