"""The lookup code of a dossier: the secret half of its public status URL.

``/tra-cuu/{dossier_code}?k={lookup_code}``: the dossier code is printed on every paper and is
sequential, so anyone could guess it; the lookup code is random and printed only on the receipt
handed to the applicant. 8 characters of a 31-letter alphabet without look-alikes (no 0/O, 1/I/L),
so it can be typed from paper: 31^8 ≈ 8.5 × 10^11 codes (≈ 39 bits), against a status page that
answers a few guesses a minute per client address.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def new_lookup_code() -> str:
    """A fresh random lookup code (``secrets``: unpredictable, not ``random``)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_lookup_code(typed: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes (``ab2c-d3ef`` works)."""
    return "".join(ch for ch in typed.upper() if ch not in " -")
