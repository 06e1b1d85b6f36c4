"""Letters read in the wrong case: a small letter inside a word written in capitals, and a
capital "I" read as a small "l".

The fast reader sees a line 32 pixels high; a capital vowel with two marks ("Ậ", "Ể") is then
hardly taller than its small letter, and the reader sometimes writes the small one: "TẬPTIN1"
read "TậPTIN1" (3 of the words it got wrong on 80 unseen prose pages, each time with a
probability near 0.6). Vietnamese writes a word in one case, so one small letter with a
Vietnamese mark among capitals is a misreading. Plain Latin letters are left alone: mixed case
is real there ("CaCO3", "kWh", "mAh").

In a sans-serif face a capital "I" and a small "l" are the same stroke, and the reader writes
"l" at the start of a word: "lnternet", "lntel", "ln" (unseen prose: 5 words on 80 pages; on
rendered lines in three of five faces). No Vietnamese word starts with an "l" before a
consonant, so such an "l" is an "I" (before "m", "x", "b" and "l" it is left alone: "lm",
"lx" and "lb" are units, "ll" starts words of other languages), when a vowel follows in the
word ("ldd", "lc" are commands).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
_L_WORD = re.compile(r"(?<![^\s(\[\"“'])l[A-ZĐnrtdcfgpvkz]\w*")
"""A word after a space or an opening bracket or quote that starts with "l" before a capital or
a consonant that follows the "I" of "Internet", "Intel", "ISO"."""


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


def capital_i(text: str) -> str:
    """``text`` with the "l" that starts a word no Vietnamese word could start with
    (``_L_WORD``) written "I", where the word has a vowel after it: "lnternet" -> "Internet",
    "lSO" -> "ISO". A word without a vowel is left alone ("ldd", "lc", "lp" are commands), and so
    are "lá", "lm", "ls" and "%ld" (not after a space)."""
    def fix(match: re.Match[str]) -> str:
        word = match.group()
        has_vowel = any(unicodedata.normalize("NFD", c)[0].lower() in "aeiouy" for c in word[1:])
        return "I" + word[1:] if has_vowel else word

    return _L_WORD.sub(fix, text)


def settle_case(text: str) -> str:
    """``text`` with both: ``capitalise_strays`` and ``capital_i``."""
    return capital_i(capitalise_strays(text))
