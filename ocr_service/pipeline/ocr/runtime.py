"""onnxruntime sessions with the execution provider chosen by configuration.

``SOHOA_OCR_DEVICE`` picks the provider: ``cpu``; ``cuda``; ``tensorrt`` (with an engine cache
next to the weights, falling back to CUDA for layers TensorRT does not take); or ``auto``, the
best of those that this onnxruntime build offers. A provider that was asked for but is missing
is an error, not a silent fallback; ``auto`` falls back and logs what it chose.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ...errors import ModelError

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


def _provider_options(provider: str, cache_dir: Path) -> dict[str, Any]:
    if provider == "TensorrtExecutionProvider":
        return {
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(cache_dir),
            "trt_fp16_enable": False,
        }
    return {}


def open_session(model: Path, device: str = "auto", threads: int = 0, spin: bool = True):
    """Open ``model`` on the configured device; sessions are expensive, keep them for the process.

    ``spin=False`` stops idle intra-op threads from busy-waiting, which only pays when one thread
    runs the model at a time: with several pages read concurrently, spinning threads steal the
    cores the other pages need.
    """
    import onnxruntime as ort

    providers = choose_providers(device, ort.get_available_providers())
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    cache_dir = model.parent / ".trt-cache"
    session = ort.InferenceSession(
        str(model),
        sess_options=options,
        providers=[(p, _provider_options(p, cache_dir)) for p in providers],
    )
    log.info("OCR model %s runs on %s", model.name, session.get_providers()[0])
    return session
