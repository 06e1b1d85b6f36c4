"""onnxruntime sessions with the execution provider chosen by configuration.

``SOHOA_OCR_DEVICE`` picks the provider: ``cpu``; ``cuda``; ``tensorrt`` (falling back to CUDA
for layers TensorRT does not take); or ``auto``, the best of those that this onnxruntime build
offers (TensorRT > CUDA > CPU). A provider that was asked for but is missing is an error, not a
silent fallback; ``auto`` falls back and logs what it chose. The GPU providers come with the
``gpu`` extra (onnxruntime-gpu, CUDA 13).

TensorRT builds an engine per model and input-shape range, which takes minutes: engines are
cached under ``SOHOA_DATA_DIR/trt-cache`` (a volume in compose), so only a worker's first start
pays. Shapes outside the cached range (a wider line than seen so far) make TensorRT rebuild and
widen the range once. ``SOHOA_OCR_FP16`` lets TensorRT run layers in fp16 where it judges them
safe; the CUDA provider runs the fp32 models as they are (fp16 there would need converted
weights, whose accuracy nobody measured yet), so it ignores the flag with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ModelError

if TYPE_CHECKING:
    from ...config import Settings

log = logging.getLogger(__name__)

_PROVIDER_FOR_DEVICE = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}


def choose_providers(device: str, available: list[str]) -> list[str]:
    """Return the provider list for ``device`` given what onnxruntime ``available`` offers."""
    if device == "auto":
        for candidate in ("tensorrt", "cuda"):
            wanted = _PROVIDER_FOR_DEVICE[candidate][0]
            if wanted in available:
                return [p for p in _PROVIDER_FOR_DEVICE[candidate] if p in available]
        return ["CPUExecutionProvider"]
    providers = _PROVIDER_FOR_DEVICE.get(device)
    if providers is None:
        raise ModelError(
            f"Unknown OCR device {device!r}; use auto, cpu, cuda or tensorrt.",
            f"Thiết bị OCR {device!r} không hợp lệ; dùng auto, cpu, cuda hoặc tensorrt.",
            code="bad_config",
        )
    if providers[0] not in available:
        raise ModelError(
            f"SOHOA_OCR_DEVICE={device} needs {providers[0]}, which this onnxruntime lacks "
            "(install the gpu extra: pip install 'sohoa[gpu]').",
            f"SOHOA_OCR_DEVICE={device} cần {providers[0]} nhưng bản onnxruntime này không có "
            "(cài gói mở rộng gpu: pip install 'sohoa[gpu]').",
            code="bad_config",
        )
    return providers


@dataclass(frozen=True)
class SessionOptions:
    """How every model of an engine is opened."""

    device: str = "auto"
    threads: int = 0
    spin: bool = True
    """``False`` stops idle intra-op threads from busy-waiting, which only pays when one thread
    runs the model at a time: with several pages read concurrently, spinning threads steal the
    cores the other pages need."""
    fp16: bool = False
    cache_dir: Path | None = None
    """TensorRT engine cache; ``None``: ``.trt-cache`` beside the model."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionOptions:
        return cls(
            device=settings.ocr_device,
            threads=settings.ocr_threads,
            spin=settings.ocr_page_workers < 2,
            fp16=settings.ocr_fp16,
            cache_dir=settings.data_dir / "trt-cache",
        )


def provider_options(provider: str, options: SessionOptions, model: Path) -> dict[str, Any]:
    """onnxruntime options of ``provider``: the TensorRT engine and timing caches and fp16;
    cuDNN's heuristic algorithm choice, because the exhaustive search (the default) benchmarks
    again for every new input shape, and line widths make nearly every call a new shape."""
    if provider == "TensorrtExecutionProvider":
        cache = str(options.cache_dir or model.parent / ".trt-cache")
        return {
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": cache,
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": cache,
            "trt_fp16_enable": options.fp16,
        }
    if provider == "CUDAExecutionProvider":
        return {"cudnn_conv_algo_search": "HEURISTIC"}
    return {}


def open_session(model: Path, options: SessionOptions | None = None):
    """Open ``model`` as ``options`` say; sessions are expensive, keep them for the process."""
    import onnxruntime as ort

    options = options or SessionOptions()
    providers = choose_providers(options.device, ort.get_available_providers())
    if options.device == "auto":
        log.info("SOHOA_OCR_DEVICE=auto chose %s (available: %s)", providers[0],
                 ", ".join(ort.get_available_providers()))
    if options.fp16 and providers[0] != "TensorrtExecutionProvider":
        log.warning("SOHOA_OCR_FP16 applies to TensorRT only; %s runs %s in fp32",
                    providers[0], model.name)
    session_options = ort.SessionOptions()
    session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if options.threads:
        session_options.intra_op_num_threads = options.threads
    if not options.spin:
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session_options.log_severity_level = 3
    if "TensorrtExecutionProvider" in providers:
        Path(options.cache_dir or model.parent / ".trt-cache").mkdir(parents=True, exist_ok=True)
    session = ort.InferenceSession(
        str(model),
        sess_options=session_options,
        providers=[(p, provider_options(p, options, model)) for p in providers],
    )
    log.info("OCR model %s runs on %s", model.name, session.get_providers()[0])
    return session
