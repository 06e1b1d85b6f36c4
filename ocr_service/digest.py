"""SHA-256 digests as lower-case hex, the one form every hash in sohoa takes (uploads, records,
manifests, weights, batches): one place, so two hashes of the same bytes always compare equal."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The file's digest, read a MiB at a time (weights and batch ZIPs are large)."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
