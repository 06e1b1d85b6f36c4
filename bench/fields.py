"""Field extraction accuracy and speed on held-out generated dossier documents.

Documents come from ``ocr_service.synth.forms`` with seeds of the ``heldout`` pool (random streams
never looked at while the extractor was written): ID cards (both sides), birth registration
declarations and CT01 residence change declarations, plus documents of other kinds that must come
out as ``unknown``. Each goes through the whole path a caller gets — file bytes (JPEG, PNG, PDF or
TIFF), intake, clean-up, OCR, classification, extraction — with each engine asked for, the
tesseract baseline beside the default.

A field is right when its value equals the expected one after NFC, case folding and whitespace
normalisation (a field expected empty must come out empty); household members count one field per
cell, and a member row too many or too few counts as wrong cells. Form-type accuracy counts every
document, unknown ones included.

    python bench/fields.py [--docs 12] [--unknown 6] [--engines ppocr,tesseract]
                           [--pool heldout|dev] [--seed-base 500000] [--json] [--errors]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_service.synth.forms import (  # noqa: E402
    FORM_TYPES, FormSample, make_form_sample, make_unknown_sample)

BASELINE = "tesseract"
MEMBER_KEYS = ("full_name", "date_of_birth", "sex", "id_number")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=12, help="documents per form type (12)")
    parser.add_argument("--unknown", type=int, default=6, help="documents of other kinds (6)")
    parser.add_argument("--engines", default=f"ppocr,{BASELINE}",
                        help="comma-separated ENGINE[:setting=value/...] (see bench/ocr.py)")
    parser.add_argument("--pool", choices=("heldout", "dev"), default="heldout")
    parser.add_argument("--seed-base", type=int, default=500_000)
    parser.add_argument("--types", default=",".join(FORM_TYPES), help="form types to measure")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--errors", action="store_true", help="list every wrong field")
    args = parser.parse_args(argv)
    args.engines = [e for e in args.engines.split(",") if e]
    args.types = [t for t in args.types.split(",") if t]
    return args


def same(got: object, want: object) -> bool:
    def norm(value: object) -> str | None:
        if value is None or value == "":
            return None
        return " ".join(unicodedata.normalize("NFC", str(value)).casefold().split())
    return norm(got) == norm(want)


def score(sample: FormSample, result: dict) -> tuple[int, int, list[str]]:
    """(right, total, descriptions of wrong fields) for one document."""
    right = total = 0
    wrong: list[str] = []
    fields = result.get("fields", {})
    for name, want in sample.expected["fields"].items():
        if name == "members":
            got_rows = (fields.get("members") or {}).get("value") or []
            for index in range(max(len(want), len(got_rows))):
                w = want[index] if index < len(want) else {}
                g = got_rows[index] if index < len(got_rows) else {}
                for key in MEMBER_KEYS:
                    total += 1
                    if same(g.get(key), w.get(key)):
                        right += 1
                    else:
                        wrong.append(f"members[{index}].{key}: "
                                     f"want {w.get(key)!r} got {g.get(key)!r}")
            continue
        got = (fields.get(name) or {}).get("value")
        total += 1
        if same(got, want):
            right += 1
        else:
            wrong.append(f"{name}: want {want!r} got {got!r}")
    return right, total, wrong


def documents(args: argparse.Namespace) -> list[FormSample]:
    docs = [make_form_sample(form_type, args.seed_base + i, args.pool)
            for form_type in args.types for i in range(args.docs)]
    docs += [make_unknown_sample(args.seed_base + i, args.pool) for i in range(args.unknown)]
    return docs


def measure(engine_spec: str, docs: list[FormSample], show_errors: bool) -> dict:
    from ocr_service.pipeline.ocr import engine_from_spec
    from ocr_service.pipeline.process import extract_document

    engine = engine_from_spec(engine_spec)
    warm_data, warm_suffix = make_form_sample("cccd", 1, "dev").to_file("pdf")
    extract_document(warm_data, "warmup" + warm_suffix, engine)
    right, total, types_right, pages = Counter(), Counter(), 0, 0
    start = time.perf_counter()
    for doc in docs:
        data, suffix = doc.to_file()
        result = extract_document(data, f"{doc.form_type}-{doc.seed}{suffix}", engine).export()
        pages += len(doc.pages)
        types_right += result["form_type"] == doc.expected["form_type"]
        if doc.form_type == "unknown":
            continue
        r, t, wrong = score(doc, result)
        right[doc.form_type] += r
        total[doc.form_type] += t
        if show_errors:
            for line in wrong if result["form_type"] == doc.form_type else [
                    f"form type: want {doc.form_type} got {result['form_type']}"]:
                print(f"  {engine_spec} {doc.form_type}#{doc.seed}: {line}", file=sys.stderr)
    seconds = time.perf_counter() - start
    per_type = {t: right[t] / total[t] for t in total}
    return {
        "engine": engine_spec,
        "field_accuracy": sum(right.values()) / max(1, sum(total.values())),
        "fields": sum(total.values()),
        "per_type": per_type,
        "form_type_accuracy": types_right / len(docs),
        "documents": len(docs),
        "pages": pages,
        "seconds": seconds,
        "docs_per_minute": 60 * len(docs) / seconds,
    }


def table(results: list[dict], types: Sequence[str]) -> str:
    head = ["engine", "fields", *types, "form type", "docs/min", "pages/s"]
    rows = [head]
    for r in results:
        rows.append([r["engine"], f"{100 * r['field_accuracy']:.1f}%",
                     *(f"{100 * r['per_type'].get(t, 0):.1f}%" for t in types),
                     f"{100 * r['form_type_accuracy']:.1f}%", f"{r['docs_per_minute']:.1f}",
                     f"{r['pages'] / r['seconds']:.2f}"])
    base = next((r for r in results if r["engine"] == BASELINE), None)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    if base:
        for r in results:
            if r is not base:
                lines.append(f"{r['engine']} vs {BASELINE}: field accuracy "
                             f"{100 * (r['field_accuracy'] - base['field_accuracy']):+.1f} points, "
                             f"speed {r['docs_per_minute'] / base['docs_per_minute']:.2f}x")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    arguments = sys.argv if argv is None else ["bench/fields.py", *argv]
    command = shlex.join([sys.executable, *arguments])
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    docs = documents(args)
    if not args.json:
        print(f"# {command}\n# {date}  cpus={os.cpu_count()}  pool={args.pool} "
              f"seed-base={args.seed_base}  documents={len(docs)} "
              f"({args.docs} per type, {args.unknown} unknown)", flush=True)
    results = [measure(spec, docs, args.errors) for spec in args.engines]
    if args.json:
        print(json.dumps({"command": command, "date": date, "results": results}, indent=2))
    else:
        print(table(results, args.types))
    return 0


if __name__ == "__main__":
    sys.exit(main())
