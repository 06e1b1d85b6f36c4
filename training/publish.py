"""Put a training run's model into ``models/`` and print its manifest entries.

    python training/publish.py training/runs/r1
    python training/publish.py --tones training/runs/tones/model

Copies ``RUN/model.onnx`` to ``models/sohoa_rec_vi.onnx``, writes the vocabulary file
``models/sohoa_rec_vi_meta.json`` (the input paddings of the model it started from and the run's
charset: TrueOCR's, plus the classes training added at its end), and writes the two
``models/manifest.yaml`` entries with their sha256 and the run's model card in place of the old
ones (other entries untouched); review the diff before committing. With ``--tones``, RUN is a
``train_tones.py`` run, published as ``models/sohoa_tone_vi.onnx`` with its one entry.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr_service.digest import sha256_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--tones", action="store_true",
                        help="RUN is a train_tones.py run: publish it as sohoa-tone-vi")
    args = parser.parse_args(argv)
    if args.tones:
        return _publish_tones(args.run)
    models = ROOT / "models"
    card = json.loads((args.run / "card.json").read_text(encoding="utf-8"))
    shutil.copyfile(args.run / "model.onnx", models / "sohoa_rec_vi.onnx")
    meta = json.loads((models / "trueocr_rec_vi_meta.json").read_text(encoding="utf-8"))
    meta["name"] = "sohoa-rec-vi"
    meta["charset"] = card.get("charset", meta["charset"])
    meta["fine_tuned_from"] = "trueocr-vi-r01 (trueocr==0.1.1)"
    (models / "sohoa_rec_vi_meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    entries = [
        {"name": "sohoa-rec-vi", "role": "text_recognition", "file": "sohoa_rec_vi.onnx",
         "sha256": sha256_file(models / "sohoa_rec_vi.onnx"),
         "license": "Apache-2.0 (fine-tuned from TrueOCR trueocr-vi-r01, Apache-2.0)",
         "origin": "TrueOCR's Vietnamese CTC line recognizer fine-tuned by training/train_recognizer.py",
         "source": {"repository": True},
         "input": "as trueocr-rec-vi (same graph, our weights, a wider head)",
         "card": {k: card[k] for k in ("command", "seed", "init", "data", "steps", "best_step",
                                       "batch", "lr", "heldout_line_cer_before",
                                       "heldout_line_cer_after", "torch", "stages", "fonts") if k in card}},
        {"name": "sohoa-rec-vi-meta", "role": "vocabulary", "file": "sohoa_rec_vi_meta.json",
         "sha256": sha256_file(models / "sohoa_rec_vi_meta.json"),
         "license": "Apache-2.0", "origin": "charset of sohoa-rec-vi (trueocr-rec-vi's, then the classes training added) "
                   "and paddings (trueocr-rec-vi's)",
         "source": {"repository": True}},
    ]
    _write_entries(models / "manifest.yaml", entries)
    print("wrote models/sohoa_rec_vi.onnx, models/sohoa_rec_vi_meta.json and models/manifest.yaml")
    return 0


def _publish_tones(run: Path) -> int:
    """Copy a ``train_tones.py`` run's model to ``models/sohoa_tone_vi.onnx`` and write its entry."""
    models = ROOT / "models"
    card = json.loads((run / "card.json").read_text(encoding="utf-8"))
    shutil.copyfile(run / "model.onnx", models / "sohoa_tone_vi.onnx")
    entry = {
        "name": "sohoa-tone-vi", "role": "tone_classification", "file": "sohoa_tone_vi.onnx",
        "sha256": sha256_file(models / "sohoa_tone_vi.onnx"), "license": "Apache-2.0",
        "origin": "our tone classifier for vowels cut from the page at full resolution, "
                  "trained from scratch by training/train_tones.py",
        "source": {"repository": True},
        "input": "x: float32 N x 1 x 64 x 48 ink map (tones.tone_crop) -> prob N x 6 (no mark, "
                 "grave, acute, hook above, tilde, dot below)"
                 + (", mark N x 4 (no letter mark, breve, circumflex, horn)"
                    if "mark_grid" in card else ""),
        "card": {k: card[k] for k in ("init_command", "command", "data", "steps",
                                      "validation_tone_errors", "torch") if card.get(k)},
    }
    for grid, key, what in (("judge_grid", "judge_on_validation", "tone"),
                            ("mark_grid", "marks_on_validation", "letter mark")):
        if grid not in card:
            continue
        entry["card"][key] = [
            f"check_below {r['check_below']}, sure {r['sure']}: {what} errors "
            f"{r['errors_before']} -> {r['errors_after']} ({r['checked']} looked at, "
            f"{r['mended']} mended, {r['spoiled']} spoiled)"
            for r in card[grid]]
    _write_entries(models / "manifest.yaml", [entry])
    print("wrote models/sohoa_tone_vi.onnx and models/manifest.yaml")
    return 0


def _write_entries(manifest: Path, entries: list[dict]) -> None:
    """Replace the manifest's entries of the same names by ``entries``, at its end."""
    kept = _without(manifest.read_text(encoding="utf-8"), {e["name"] for e in entries})
    block = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)
    manifest.write_text(kept.rstrip("\n") + "\n\n" + _indent(block), encoding="utf-8")


def _indent(block: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in block.splitlines(True))


def _without(text: str, names: set[str]) -> str:
    """The manifest's text without the entries named ``names`` (an entry runs from its
    ``  - name:`` line to the next one)."""
    out, skipping = [], False
    for line in text.splitlines(True):
        if line.startswith("  - name:"):
            skipping = line.split(":", 1)[1].strip() in names
        if not skipping:
            out.append(line)
    return "".join(out)


if __name__ == "__main__":
    sys.exit(main())
