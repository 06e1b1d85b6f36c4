"""A letter read in the wrong case inside a word written in capitals.

The fast reader sees a line 32 pixels high; a capital vowel with two marks ("Ậ", "Ể") is then
hardly taller than its small letter, and the reader sometimes writes the small one: "TẬPTIN1"
read "TậPTIN1" (3 of the words it got wrong on 80 unseen prose pages, each time with a
probability near 0.6). Vietnamese writes a word in one case, so one small letter with a
Vietnamese mark among capitals is a misreading. Plain Latin letters are left alone: mixed case
is real there ("CaCO3", "kWh", "mAh").
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def _stray(word: str) -> int | None:
    """The index of the one small letter with a Vietnamese mark in ``word`` when every other
    letter of it is a capital (two at least) and it does not start the word; None otherwise."""
    small = [i for i, char in enumerate(word) if char.islower()]
    if len(small) != 1 or small[0] == 0:
        return None
    index = small[0]
    char = word[index]
    capitals = sum(c.isupper() for c in word)
    if capitals < 2 or char.isascii() or len(char.upper()) != 1:
        return None
    return index


def capitalise_strays(text: str) -> str:
    """``text`` with each stray small letter of a word in capitals (``_stray``) made a capital:
    "TậPTIN1" -> "TẬPTIN1"; "CaCO3", "Hà", "mAh" unchanged."""
    def fix(match: re.Match[str]) -> str:
        word = match.group()
        index = _stray(word)
        return word if index is None else word[:index] + word[index].upper() + word[index + 1:]

    return _WORD.sub(fix, text)
