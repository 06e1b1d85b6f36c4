# Production image: one image for every role (`sohoa serve`, `sohoa worker`, `sohoa ocr`; compose.yaml).
# Not built in CI (no Docker engine there); it runs the same scripts/setup.sh as `make run`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SOHOA_DATA_DIR=/var/lib/sohoa
WORKDIR /opt/sohoa

COPY pyproject.toml README.md Makefile ./
COPY scripts ./scripts
COPY models/manifest.yaml ./models/manifest.yaml
COPY ocr_service ./ocr_service
COPY workers ./workers

# Debian packages, .venv and the verified model weights, exactly as on a developer machine.
RUN SOHOA_EXTRAS= bash scripts/setup.sh && rm -rf .cache /var/lib/apt/lists/*

ENV PATH=/opt/sohoa/.venv/bin:$PATH
RUN useradd --system --home /var/lib/sohoa sohoa && mkdir -p /var/lib/sohoa && chown sohoa /var/lib/sohoa
USER sohoa
ENTRYPOINT ["sohoa"]
CMD ["--help"]
