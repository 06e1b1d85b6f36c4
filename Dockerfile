# Production image: one image for every role (`sohoa serve`, `sohoa worker`, `sohoa ocr`; compose.yaml).
# Not built in CI (no Docker engine there); it runs the same scripts/setup.sh as `make run`.
# `docker build .` builds it (the last stage); `--target gpu-worker` builds the GPU OCR worker.

# --- GPU OCR worker: docker build --target gpu-worker -t sohoa-gpu . (compose: worker-gpu) -------
# CUDA 13 + cuDNN runtime (onnxruntime-gpu >= 1.27 targets CUDA 13), Ubuntu 24.04's Python 3.12.
# TensorRT is not in this base: `auto` then runs on CUDA (its log line says so); add TensorRT's
# libraries (pip tensorrt-cu13) to use SOHOA_OCR_DEVICE=tensorrt and SOHOA_OCR_FP16.
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04
FROM ${CUDA_IMAGE} AS gpu-worker

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SOHOA_DATA_DIR=/var/lib/sohoa \
    SOHOA_OCR_DEVICE=auto SOHOA_OCR_BATCH_PAGES=16 SOHOA_OCR_BATCH_ROWS=512 \
    SOHOA_OCR_BATCH_DOCUMENTS=16 SOHOA_OCR_BATCH_WAIT_MS=50
WORKDIR /opt/sohoa
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends python3 python3-venv >/dev/null

COPY pyproject.toml README.md Makefile ./
COPY scripts ./scripts
COPY models/manifest.yaml models/sohoa_rec_vi* ./models/
COPY ocr_service ./ocr_service
COPY workers ./workers

# The gpu extra adds onnxruntime-gpu beside the pinned CPU onnxruntime; both install the same
# `onnxruntime` module, so keep the GPU build alone (same version, same dependencies).
RUN SOHOA_EXTRAS=gpu bash scripts/setup.sh \
 && .venv/bin/python -m pip uninstall -y -q onnxruntime onnxruntime-gpu \
 && .venv/bin/python -m pip install -q --no-deps --disable-pip-version-check \
    "onnxruntime-gpu==1.31.1" \
 && rm -rf .cache /var/lib/apt/lists/*

ENV PATH=/opt/sohoa/.venv/bin:$PATH
RUN useradd --system --home /var/lib/sohoa sohoa \
 && mkdir -p /var/lib/sohoa && chown sohoa /var/lib/sohoa
USER sohoa
ENTRYPOINT ["sohoa"]
# threads: the tasks of one process share the models and the batcher (workers/batching.py)
CMD ["worker", "--queues", "ocr", "--pool", "threads", "--concurrency", "16"]

# --- the default image (CPU): every role --------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SOHOA_DATA_DIR=/var/lib/sohoa
WORKDIR /opt/sohoa

COPY pyproject.toml README.md Makefile ./
COPY scripts ./scripts
COPY models/manifest.yaml models/sohoa_rec_vi* ./models/
COPY ocr_service ./ocr_service
COPY workers ./workers

# Debian packages, .venv and the verified model weights, exactly as on a developer machine.
RUN SOHOA_EXTRAS= bash scripts/setup.sh && rm -rf .cache /var/lib/apt/lists/*

ENV PATH=/opt/sohoa/.venv/bin:$PATH
RUN useradd --system --home /var/lib/sohoa sohoa && mkdir -p /var/lib/sohoa && chown sohoa /var/lib/sohoa
USER sohoa
ENTRYPOINT ["sohoa"]
CMD ["--help"]
