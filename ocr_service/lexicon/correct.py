"""Corrections of OCR readings that change marks only, and only where the answer is certain.

OCR engines read Vietnamese letters right far more often than the small marks on them: a tone
mark is dropped, swapped or put on the neighbouring vowel, a circumflex or a horn is lost. An
invalid syllable is the trace of such a slip. It is repaired only when exactly one valid
syllable lies at the smallest number of mark changes from it (and no more than
``MAX_CHANGES``): with two candidates at that distance the reading is left as it is, because
picking one would be inventing text. Letters are never added, removed or swapped for other
letters, and every change is returned with the original and where it was, so a person can
check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .syllables import (Tone, allows_tone, is_syllable, nfc, place_tone, tokens,
                        split_tone, tone_positions)

MAX_CHANGES = 2
"""A reading that needs more mark changes than this is no longer the OCR's word but a guess."""
MAX_LETTERS = 7
"""The longest Vietnamese syllable ("nghiêng"): longer tokens are not searched."""
_FAMILIES = {"a": "aăâ", "ă": "aăâ", "â": "aăâ", "o": "oôơ", "ô": "oôơ", "ơ": "oôơ",
             "e": "eê", "ê": "eê", "u": "uư", "ư": "uư", "d": "dđ", "đ": "dđ"}
"""Letters OCR confuses through their marks; ă↔â and ô↔ơ are two changes (via the bare vowel)."""
_TWO_STEPS = ({"ă", "â"}, {"ô", "ơ"})


@dataclass(frozen=True)
class Correction:
    """One changed word: what was read, what it became, why, and where (``start``:``end`` index
    the NFC text it was found in; corrections keep the length, so the same span in the result)."""

    original: str
    corrected: str
    reason: str
    start: int
    end: int


def match_case(template: str, word: str) -> str:
    """``word`` in the case pattern of ``template`` (UPPER, Title, lower or mixed, per letter)."""
    if template.isupper():
        return word.upper()
    if len(template) == len(word):
        return "".join(w.upper() if t.isupper() else w.lower() for t, w in zip(template, word))
    return word[:1].upper() + word[1:].lower() if template[:1].isupper() else word.lower()


def _letter_changes(read: str, letter: str) -> int:
    if read == letter:
        return 0
    return 2 if {read, letter} in _TWO_STEPS else 1


def _variants(letters: str, budget: int) -> Iterator[tuple[str, int]]:
    """Every spelling of ``letters`` with letter marks changed, and its number of changes, up
    to ``budget`` changes."""
    if not letters:
        yield "", 0
        return
    head, tail = letters[0], letters[1:]
    for letter in _FAMILIES.get(head, head):
        cost = _letter_changes(head, letter)
        if cost <= budget:
            for rest, spent in _variants(tail, budget - cost):
                yield letter + rest, cost + spent


def _candidates(word: str) -> Iterator[tuple[str, int]]:
    """Valid syllables within ``MAX_CHANGES`` mark changes of lower-case ``word``, with the
    number of changes. Where the tone goes is not counted: a mark on the wrong vowel ("hòang")
    is the same tone misplaced. The tone stays on the character it was read on when that is a
    right place for it, so a correction changes as little as it can."""
    untoned = split_tone(word)
    if untoned is None:
        return
    base, tone, at = untoned
    for plain, cost in _variants(base, MAX_CHANGES):
        positions = tone_positions(plain)
        if positions is None:
            continue
        for candidate_tone in Tone:
            total = cost + (candidate_tone is not tone)
            if total <= MAX_CHANGES and allows_tone(plain, candidate_tone):
                index = at if at in positions else positions[0]
                yield place_tone(plain, candidate_tone, index), total


def _has_marks(token: str) -> bool:
    """Whether the OCR read any Vietnamese mark on ``token``. A word read with none ("NGUYEN",
    "duong", "email") leaves no trace of which marks were lost: its nearest valid spelling
    ("NGUYÊN", "duông") is seldom the likely word, so it is not guessed at (names have
    their own lexicon for that)."""
    return not token.isascii()


def _only_nearest(found: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The candidate with the fewest changes when no other has as few."""
    if not found:
        return None
    fewest = min(cost for _, cost in found)
    nearest = [pair for pair in found if pair[1] == fewest]
    return nearest[0] if len(nearest) == 1 else None


def correct_token(token: str, candidates_filter: Callable[[str], bool] | None = None, *,
                  start: int = 0) -> Correction | None:
    """The correction of one word, or None when it is valid, read without any mark, or no
    single repair is certain.

    ``candidates_filter`` narrows the repairs further (for instance to words of a lexicon); it
    receives lower-case candidates. ``start`` is the token's offset in its line.
    """
    token = nfc(token)
    if not token.isalpha() or not _has_marks(token) or len(token) > MAX_LETTERS or is_syllable(
            token):
        return None
    found = [(text, cost) for text, cost in _candidates(token.lower())
             if candidates_filter is None or candidates_filter(text)]
    best = _only_nearest(found)
    if best is None:
        return None
    text, cost = best
    return Correction(token, match_case(token, text),
                      f"not a Vietnamese syllable; the one valid spelling {cost} mark change(s) "
                      "away", start, start + len(token))


def apply(text: str, corrections: tuple[Correction, ...]) -> str:
    """``text`` with each correction's span replaced by its corrected word."""
    for correction in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[:correction.start] + correction.corrected + text[correction.end:]
    return text


def correct_text(text: str) -> tuple[str, tuple[Correction, ...]]:
    """``text`` (made NFC) with every invalid word repaired where ``correct_token`` is certain,
    and the list of changes. Numbers, punctuation, dot leaders and valid words stay as read."""
    text = nfc(text)
    corrections = tuple(correction for match in tokens(text)
                        if (correction := correct_token(match.group(), start=match.start())))
    return apply(text, corrections), corrections
