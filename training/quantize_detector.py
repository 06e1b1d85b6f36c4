"""Quantize the text detector's convolutions to int8; write ``models/ppocrv6_det_small_int8.onnx``.

    python training/quantize_detector.py [--pages 24] [--out models/ppocrv6_det_small_int8.onnx]

Detection is the largest stage of a page on a CPU (docs/benchmarks.md: 0.44 of about 1.1 s a
page on 2 cores). The published PP-OCRv6 small detector (``models/ppocrv6_det_small.onnx``,
fetched by ``make models``) is converted to opset 13 (per-channel QDQ needs it) and quantized
statically by onnxruntime's ``quantize_static``:

- QDQ format, int8 weights per channel, uint8 activations;
- MinMax ranges calibrated on ``--pages`` degraded ``dev``-pool pages at a detector input size of
  ``--limit-side`` (1600, the service's default when the committed model was made);
- every operator onnxruntime can run in int8, not only the convolutions. With only those
  quantized, converting tensors in and out of int8 between layers ate half the gain: measured
  with one thread on a 1600 x 1120 input, convolutions only 0.76 of the float time, all
  operators 0.58.

The result is deterministic for a given onnxruntime and calibration set;
``SOHOA_OCR_DET_MODEL`` picks it.

Needs the ``train`` extra (``onnx``). Calibration pages are seeds 7000 and up of the ``dev`` pool,
which neither ``bench/ocr.py`` (held-out pools) nor the recognizer's training (seeds 0..299) use.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_service.config import get_settings  # noqa: E402
from ocr_service.digest import sha256_file  # noqa: E402
from ocr_service.pipeline.ocr.detect import preprocess  # noqa: E402
from ocr_service.weights import model_path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_SEEDS = 7000


def calibration_inputs(pages: int, limit_side: int) -> Iterator[dict[str, np.ndarray]]:
    """Detector inputs of degraded dev-pool pages (forms and prose, 150-300 dpi)."""
    from sohoa_dev.synth import degrade_page, render_page

    for seed in range(CALIBRATION_SEEDS, CALIBRATION_SEEDS + pages):
        rng = random.Random(f"calibrate-detector:{seed}")
        page = render_page(seed, "dev", rng.choice(("form", "prose")), rng.choice((150, 200, 300)))
        page = degrade_page(page, seed, rng.choice(("light", "scan", "heavy")))
        yield {"x": preprocess([page.image], limit_side)}


def quantize(source: Path, out: Path, pages: int, limit_side: int) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._inputs = calibration_inputs(pages, limit_side)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._inputs, None)

    with tempfile.TemporaryDirectory() as work:
        opset13, prepared = Path(work) / "opset13.onnx", Path(work) / "prepared.onnx"
        onnx.save(version_converter.convert_version(onnx.load(source), 13), opset13)
        quant_pre_process(str(opset13), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8, calibrate_method=CalibrationMethod.MinMax)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=24, help="calibration pages")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "ppocrv6_det_small_int8.onnx")
    parser.add_argument("--limit-side", type=int, default=1600,
                        help="calibration pages' detector input size (the committed model: 1600)")
    args = parser.parse_args(argv)
    settings = get_settings()
    source = model_path("ppocrv6-det-small", settings.models_dir)
    quantize(source, args.out, args.pages, args.limit_side)
    import onnxruntime

    print(json.dumps({"out": str(args.out), "sha256": sha256_file(args.out),
                      "source_sha256": sha256_file(source),
                      "onnxruntime": onnxruntime.__version__, "calibration_pages": args.pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
