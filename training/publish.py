"""Put a training run's model into ``models/`` and print its manifest entries.

    python training/publish.py training/runs/r1 [--bench "CER figures and the command"]

Copies ``RUN/model.onnx`` to ``models/sohoa_rec_vi.onnx``, writes the vocabulary file
``models/sohoa_rec_vi_meta.json`` (the input paddings of the model it started from and the run's
charset: TrueOCR's, plus the classes training added at its end), and writes the two
``models/manifest.yaml`` entries with their sha256 and the run's model card in place of the old
ones (other entries untouched); review the diff before committing.
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
    args = parser.parse_args(argv)
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
    manifest = models / "manifest.yaml"
    kept = _without(manifest.read_text(encoding="utf-8"), {e["name"] for e in entries})
    block = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)
    manifest.write_text(kept.rstrip("\n") + "\n\n" + _indent(block), encoding="utf-8")
    print(f"wrote models/sohoa_rec_vi.onnx, models/sohoa_rec_vi_meta.json and {manifest}")
    return 0


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
