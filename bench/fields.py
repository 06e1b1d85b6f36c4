"""Field extraction accuracy and speed on held-out generated dossier documents.

Documents come from ``sohoa_dev.synth.forms`` with seeds of the ``heldout`` pool (random streams
never looked at while the extractor was written): ID cards (both sides), birth registration
declarations and CT01 residence change declarations, plus documents of other kinds that must come
out as ``unknown``. Each goes through the whole path a caller gets — file bytes (JPEG, PNG, PDF or
TIFF), intake, clean-up, OCR, classification, extraction — with each engine asked for, the
tesseract baseline beside the default.

A second set comes from ``bench/heldout/`` (``--generators ours,second``; both by default): ID
cards (both sides, no QR code), CT01 and birth registration forms laid out, drawn, filled and
spoiled by code, fonts and layouts the extractor was never written or tuned against. It is
measured only, never tuned on.

A field is right when its value equals the expected one after NFC, case folding and whitespace
normalisation (a field expected empty must come out empty); household members count one field per
cell, and a member row too many or too few counts as wrong cells (flagged when the table as a
whole went to review: a printed table not found). Form-type accuracy counts every
document, unknown ones included. "silent" is the share of fields wrong and not flagged for review
(a wrong value a clerk has no reason to look at; a value missing where one was expected counts);
"flagged" is the share of fields sent to review, right or wrong (the clerk's workload).

    python bench/fields.py [--docs 12] [--unknown 6] [--engines ppocr,tesseract]
                           [--generators ours,second] [--second-docs 10]
                           [--pool heldout|dev] [--seed-base 500000]
                           [--strength photocopy|phone]
                           [--json] [--errors]

``--strength photocopy`` copies our A4 forms on an office copier instead of scanning them, and
``--strength phone`` photographs them on a desk and uploads the camera's JPEG (tuning sets with
``--pool dev``; see ``sohoa_dev.synth.degrade.photocopy`` and ``sohoa_dev.synth.photos``).
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

from sohoa_dev.synth.forms import (  # noqa: E402
    FORM_TYPES, FormSample, make_form_sample, make_unknown_sample)

BASELINE = "tesseract"
GENERATORS = ("ours", "second")
SECOND_SEED_BASE = 950_000
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
    parser.add_argument("--generators", default=",".join(GENERATORS),
                        help="ours (sohoa_dev.synth) and/or second (bench/heldout/)")
    parser.add_argument("--second-docs", type=int, default=10,
                        help="documents per form type of the second generator (10)")
    parser.add_argument("--strength", choices=("photocopy", "phone"),
                        help="degrade our A4 forms this way instead of each seed's scan "
                             "(a tuning set of photocopied or photographed dossiers; ID cards "
                             "keep theirs)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--errors", action="store_true", help="list every wrong field")
    args = parser.parse_args(argv)
    args.engines = [e for e in args.engines.split(",") if e]
    args.types = [t for t in args.types.split(",") if t]
    args.generators = [g for g in args.generators.split(",") if g]
    if unknown := set(args.generators) - set(GENERATORS):
        parser.error(f"--generators: unknown {sorted(unknown)}; choose from {GENERATORS}")
    return args


def same(got: object, want: object) -> bool:
    def norm(value: object) -> str | None:
        if value is None or value == "":
            return None
        return " ".join(unicodedata.normalize("NFC", str(value)).casefold().split())
    return norm(got) == norm(want)


def score(sample: FormSample, result: dict) -> tuple[Counter, list[str]]:
    """Counts of ``right``, ``total``, ``flagged`` and ``silent`` (wrong, not flagged) fields of
    one document, and a description of each wrong field."""
    counts: Counter = Counter()
    wrong: list[str] = []

    def count(name: str, got: object, want: object, flagged: bool) -> None:
        counts["total"] += 1
        counts["flagged"] += flagged
        if same(got, want):
            counts["right"] += 1
            return
        counts["silent"] += not flagged
        wrong.append(f"{name}: want {want!r} got {got!r}{' (flagged)' if flagged else ''}")

    fields = result.get("fields", {})
    for name, want in sample.expected["fields"].items():
        if name == "members":
            table = fields.get("members") or {}
            items = table.get("items") or []
            whole = bool(table.get("reasons"))  # the table itself went to review
            for index in range(max(len(want), len(items))):
                w = want[index] if index < len(want) else {}
                g = items[index] if index < len(items) else {}
                for key in MEMBER_KEYS:
                    cell = g.get(key) or {}
                    count(f"members[{index}].{key}", cell.get("value"), w.get(key),
                          bool(cell.get("review")) or whole)
            continue
        got = fields.get(name) or {}
        count(name, got.get("value"), want, bool(got.get("review")))
    return counts, wrong


def documents(args: argparse.Namespace) -> list[FormSample]:
    docs = [make_form_sample(form_type, args.seed_base + i, args.pool, args.strength)
            for form_type in args.types for i in range(args.docs)]
    docs += [make_unknown_sample(args.seed_base + i, args.pool) for i in range(args.unknown)]
    return docs


def second_documents(args: argparse.Namespace) -> list:
    """Filled forms of the second held-out generator, of the form types it makes."""
    from bench.heldout import DOCUMENT_TYPES, make_document

    return [make_document(form_type, SECOND_SEED_BASE + i)
            for form_type in DOCUMENT_TYPES if form_type in args.types
            for i in range(args.second_docs)]


def measure(engine_spec: str, sets: dict[str, list], show_errors: bool) -> list[dict]:
    """One engine (loaded and warmed up once) on each generator's documents."""
    from ocr_service.pipeline.ocr import engine_from_spec
    from ocr_service.pipeline.process import extract_document

    engine = engine_from_spec(engine_spec)
    warm_data, warm_suffix = make_form_sample("cccd", 1, "dev").to_file("pdf")
    extract_document(warm_data, "warmup" + warm_suffix, engine)
    return [{"generator": generator, **measure_set(engine_spec, engine, docs, show_errors)}
            for generator, docs in sets.items()]


def measure_set(engine_spec: str, engine: object, docs: list, show_errors: bool) -> dict:
    from ocr_service.pipeline.process import extract_document

    counts: dict[str, Counter] = {}
    types_right, pages = 0, 0
    start = time.perf_counter()
    for doc in docs:
        data, suffix = doc.to_file()
        result = extract_document(data, f"{doc.form_type}-{doc.seed}{suffix}",
                                  engine).export()  # type: ignore[arg-type]
        pages += len(doc.pages)
        types_right += result["form_type"] == doc.expected["form_type"]
        if doc.form_type == "unknown":
            continue
        found, wrong = score(doc, result)
        counts.setdefault(doc.form_type, Counter()).update(found)
        if show_errors:
            for line in wrong if result["form_type"] == doc.form_type else [
                    f"form type: want {doc.form_type} got {result['form_type']}"]:
                print(f"  {engine_spec} {doc.form_type}#{doc.seed}: {line}", file=sys.stderr)
    seconds = time.perf_counter() - start
    every = sum(counts.values(), Counter())
    fields = max(1, every["total"])
    return {
        "engine": engine_spec,
        "field_accuracy": every["right"] / fields,
        "silent_error_rate": every["silent"] / fields,
        "flagged_rate": every["flagged"] / fields,
        "fields": every["total"],
        "per_type": {t: c["right"] / max(1, c["total"]) for t, c in counts.items()},
        "form_type_accuracy": types_right / len(docs),
        "documents": len(docs),
        "pages": pages,
        "seconds": seconds,
        "docs_per_minute": 60 * len(docs) / seconds,
    }


def table(results: list[dict], types: Sequence[str]) -> str:
    head = ["generator", "engine", "fields", "silent", "flagged", *types, "form type",
            "docs/min", "pages/s"]
    rows = [head]
    for r in results:
        rows.append([r["generator"], r["engine"], f"{100 * r['field_accuracy']:.1f}%",
                     f"{100 * r['silent_error_rate']:.1f}%", f"{100 * r['flagged_rate']:.1f}%",
                     *(f"{100 * r['per_type'][t]:.1f}%" if t in r["per_type"] else "-"
                       for t in types),
                     f"{100 * r['form_type_accuracy']:.1f}%", f"{r['docs_per_minute']:.1f}",
                     f"{r['pages'] / r['seconds']:.2f}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    bases = {r["generator"]: r for r in results if r["engine"] == BASELINE}
    for r in results:
        base = bases.get(r["generator"])
        if base and r is not base:
            lines.append(f"{r['generator']}: {r['engine']} vs {BASELINE}: field accuracy "
                         f"{100 * (r['field_accuracy'] - base['field_accuracy']):+.1f} points, "
                         f"speed {r['docs_per_minute'] / base['docs_per_minute']:.2f}x")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    arguments = sys.argv if argv is None else ["bench/fields.py", *argv]
    command = shlex.join([sys.executable, *arguments])
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    sets: dict[str, list] = {}
    if "ours" in args.generators:
        sets["ours"] = documents(args)
    if "second" in args.generators:
        sets["second"] = second_documents(args)
    if not args.json:
        print(f"# {command}\n# {date}  cpus={os.cpu_count()}  pool={args.pool} "
              f"seed-base={args.seed_base}  strength={args.strength or 'seed'}  "
              f"documents={ {g: len(d) for g, d in sets.items()} } "
              f"(ours: {args.docs} per type, {args.unknown} unknown; second: "
              f"{args.second_docs} per type, seed-base {SECOND_SEED_BASE})", flush=True)
    results = sorted((r for spec in args.engines for r in measure(spec, sets, args.errors)),
                     key=lambda r: GENERATORS.index(r["generator"]))
    if args.json:
        print(json.dumps({"command": command, "date": date, "results": results}, indent=2))
    else:
        print(table(results, args.types))
    return 0


if __name__ == "__main__":
    sys.exit(main())
