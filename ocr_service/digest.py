"""SHA-256 digests as lower-case hex, the one form every hash in sohoa takes (uploads, records,
manifests, weights, batches): one place, so two hashes of the same bytes always compare equal."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The file's digest, read a MiB at a time (weights and batch ZIPs are large)."""
    with path.open("rb") as source:
        return sha256_stream(source)


def sha256_stream(source: IO[bytes]) -> str:
    """The digest of what is left to read in ``source``, a MiB at a time."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
