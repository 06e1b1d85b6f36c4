"""Vietnamese syllables: structure, validity, tones, and how Vietnamese a piece of text looks.

Every Vietnamese word is one or more syllables, and every syllable follows a closed set of rules:
an onset from a short list, an optional glide (o/u), a vowel nucleus, an optional coda, and one
of six tones whose mark sits on a known vowel. OCR mistakes on Vietnamese are mostly mistakes on
the marks ("nguòi" for "người", "hòang" for "hoàng"), and such readings break those rules. A
syllable check is therefore a cheap, dictionary-free way to tell a good reading from a bad one,
and the base of corrections that only ever change marks (``correct.py``).

All functions take and return NFC text; they compare case-insensitively but keep the case of
what they are given. Numbers and punctuation are not syllables: callers decide what to do with
them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class Tone(str, Enum):
    """The six tones, by their Vietnamese names."""

    NGANG = "ngang"
    HUYEN = "huyền"
    SAC = "sắc"
    HOI = "hỏi"
    NGA = "ngã"
    NANG = "nặng"


_TONE_OF_MARK = {"\u0300": Tone.HUYEN, "\u0301": Tone.SAC, "\u0309": Tone.HOI,
                 "\u0303": Tone.NGA, "\u0323": Tone.NANG}
"""Combining marks (NFD) that write a tone; the others (breve, circumflex, horn) make letters."""
_MARK_OF_TONE = {tone: mark for mark, tone in _TONE_OF_MARK.items()}

LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
"""The Vietnamese alphabet without tone marks (no f, j, w, z)."""
VOWELS = frozenset("aăâeêioôơuưy")
_QUALITY_VOWELS = "ăâêôư"
"""Vowels whose own mark decides where the tone goes (ơ is handled first, for ươ)."""

_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
"""Initial consonants, longest first so that "ngh" is not read as "n" + "gh"."""
_CODAS = ("ng", "nh", "ch", "c", "m", "n", "p", "t", "i", "y", "o", "u")
_STOP_CODAS = frozenset({"p", "t", "c", "ch"})
"""Codas after which only the sắc and nặng tones exist."""
_STOP_TONES = frozenset({Tone.SAC, Tone.NANG})
_FRONT = frozenset("ieêy")
"""Rhyme starts that take k/gh/ngh instead of c/g/ng."""

_FINALS = frozenset("""
    a ac ach ai am an ang anh ao ap at au ay  ăc ăm ăn ăng ăp ăt  âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et  ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oc oi om on ong op ot oong ooc  ô ôc ôi ôm ôn ông ôp ôt  ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêng yêt yêu
""".split())
"""Nucleus + coda without a glide. The list itself enforces the spelling rules on rhymes: ă and â
never end a syllable, ch/nh only follow a ê i, iê/uô/ươ need a coda and are written ia/ua/ưa
without one."""
_AFTER_O = frozenset("a ac ach ai am an ang anh ao ap at ay ăc ăm ăn ăng ăp ăt e em en eo et"
                     .split())
"""Finals after the glide written o (hoa, hoặc, khoe)."""
_AFTER_U = frozenset("ân âng ât ây ê êch ênh ơ y ya ych ynh yt yu yên yêt".split())
"""Finals after the glide written u (tuần, huế, thuở, thuỷ, khuya, khuyên)."""
_AFTER_QU = (_AFTER_O | _AFTER_U | {"ên", "ôc", "ơi", "i", "it"}) - {"ya", "yu"}
"""Finals after "qu", whose u is the glide (qua, quen, quân, quê, quốc, quới, quý, quyết,
old "qui")."""
_TONE_INDEX_OVERRIDES = {"oong": 1, "ooc": 1}
"""Loan rhymes (xoong, soóc) whose tone sits on the second o."""
_TOKEN = re.compile(r"[^\W_]+")
"""Runs of letters and digits: words as far as validity and correction are concerned."""
_ACRONYM = re.compile(r"^[A-ZĐ]{2,}$")


@dataclass(frozen=True)
class Syllable:
    """A valid syllable taken apart; parts are lower case and without the tone mark.

    "qu" and "gi" are onsets: the u of "qu" is the glide, so ``medial`` is empty after it, and
    the i of "gi" also serves as the nucleus when no other vowel follows ("gìn": i + n).
    """

    text: str
    onset: str
    medial: str
    nucleus: str
    coda: str
    tone: Tone


@dataclass(frozen=True)
class _Shape:
    """Letter structure of a toneless syllable and where its tone mark may go."""

    onset: str
    medial: str
    nucleus: str
    coda: str
    new: int
    """Index of the vowel that carries the tone mark in the new style (hoà, thuỷ)."""
    old: int
    """The same in the old style (hòa, thủy); equal to ``new`` wherever the styles agree."""


def nfc(text: str) -> str:
    """Unicode NFC: OCR engines and PDFs mix composed and decomposed Vietnamese letters."""
    return unicodedata.normalize("NFC", text)


def tokens(text: str) -> Iterator[re.Match[str]]:
    """Letter-and-digit runs of NFC ``text``, with their offsets; punctuation separates them."""
    return _TOKEN.finditer(text)


@lru_cache(maxsize=4096)
def _untone_char(char: str) -> tuple[str, tuple[Tone, ...]]:
    """A character without its tone mark, and the tones it carried (normally none or one)."""
    parts = unicodedata.normalize("NFD", char)
    tones = tuple(_TONE_OF_MARK[c] for c in parts if c in _TONE_OF_MARK)
    return nfc("".join(c for c in parts if c not in _TONE_OF_MARK)), tones


def split_tone(word: str) -> tuple[str, Tone, int | None] | None:
    """``word`` without its tone mark, the tone, and the index of the marked character; None
    when it carries two tone marks or a tone mark on something that is not a vowel."""
    base, tone, at = [], Tone.NGANG, None
    for index, char in enumerate(word):
        plain, tones = _untone_char(char)
        if tones:
            if at is not None or len(tones) > 1 or plain.lower() not in VOWELS:
                return None
            tone, at = tones[0], index
        base.append(plain)
    return "".join(base), tone, at


def _final_tone_index(final: str) -> int:
    """Where the tone goes inside nucleus + coda: on ơ (ươ), else on the marked vowel (â ê ô ư ă),
    else on the first vowel (mía, múa, tài, khuỷu)."""
    if final in _TONE_INDEX_OVERRIDES:
        return _TONE_INDEX_OVERRIDES[final]
    if "ơ" in final:
        return final.index("ơ")
    return next((i for i, char in enumerate(final) if char in _QUALITY_VOWELS), 0)


def _split_final(final: str) -> tuple[str, str]:
    """Nucleus and coda of a final ("ương" → "ươ", "ng"; "ia" → "ia", "")."""
    coda = next((c for c in _CODAS if final.endswith(c) and len(final) > len(c)), "")
    return final[:len(final) - len(coda)], coda


def _rhyme(onset: str, rest: str) -> tuple[str, str, int] | None:
    """Glide, final and the final's index in ``rest`` for what follows ``onset``; None when no
    Vietnamese rhyme is spelled so after it."""
    if onset == "qu":
        return ("", rest, 0) if rest in _AFTER_QU else None
    if onset == "gi":
        if rest in _FINALS and rest[:1] not in ("i", "y"):
            return "", rest, 0
        # "gì", "gìn", "giếng": the i of gi is also the nucleus (i, in, iêng).
        return ("", "i" + rest, -1) if "i" + rest in _FINALS else None
    if rest in _FINALS:
        if rest.startswith("yê") and onset:  # tiêu, not tyêu
            return None
        if rest.startswith("iê") and not onset:  # yêu, not iêu
            return None
        return "", rest, 0
    for glide, finals in (("o", _AFTER_O), ("u", _AFTER_U)):
        if rest[:1] == glide and rest[1:] in finals and onset != "c":  # qua, never coa
            return glide, rest[1:], 1
    return None


def _spelled_right(onset: str, rest: str) -> bool:
    """k/gh/ngh before i e ê y, c/g/ng before anything else."""
    front = rest[:1] in _FRONT
    if onset in ("k", "gh", "ngh"):
        return front
    if onset in ("c", "g", "ng"):
        return not front
    return True


@lru_cache(maxsize=65536)
def _shape(base: str) -> _Shape | None:
    """The structure of a lower-case toneless word, or None when it is no Vietnamese syllable."""
    if not base or not set(base) <= LETTERS:
        return None
    onset = next((o for o in _ONSETS if base.startswith(o)), "")
    rest = base[len(onset):]
    rhyme = _rhyme(onset, rest)
    if rhyme is None or not _spelled_right(onset, rest):
        return None
    medial, final, final_at = rhyme
    nucleus, coda = _split_final(final)
    new = len(onset) + final_at + _final_tone_index(final)
    # The old style marks the glide of an open glide + a/e/y rhyme: hòa, hòe, thủy.
    old = new - 1 if medial and final in ("a", "e", "y") else new
    return _Shape(onset, medial, nucleus, coda, new, old)


def _tone_allowed(shape: _Shape, tone: Tone, at: int | None) -> bool:
    """Stop codas take only sắc or nặng; a tone mark sits on the vowel one of the styles names."""
    if shape.coda in _STOP_CODAS and tone not in _STOP_TONES:
        return False
    return at is None or at in (shape.new, shape.old)


def parse(syllable: str) -> Syllable | None:
    """The parts of ``syllable``, or None when it is not one valid Vietnamese syllable.

    Both tone-mark styles are accepted ("hòa" and "hoà"); a mark on a vowel that neither style
    uses ("hòang", "ngưòi"), a stop coda with a tone other than sắc/nặng ("càp"), a spelling the
    orthography forbids ("kan", "gha", "ă") and anything with digits or punctuation are not.
    """
    word = nfc(syllable)
    untoned = split_tone(word.lower())
    if untoned is None:
        return None
    base, tone, at = untoned
    shape = _shape(base)
    if shape is None or not _tone_allowed(shape, tone, at):
        return None
    return Syllable(word, shape.onset, shape.medial, shape.nucleus, shape.coda, tone)


def is_syllable(text: str) -> bool:
    """Whether ``text`` is one valid Vietnamese syllable (see ``parse``)."""
    return parse(text) is not None


def tone_of(syllable: str) -> Tone | None:
    """The tone of a valid syllable (``Tone.NGANG`` when unmarked); None for anything else."""
    parsed = parse(syllable)
    return None if parsed is None else parsed.tone


def strip_tone(text: str) -> str:
    """``text`` without tone marks but with its letters' own marks: "Đặng" → "Đăng"."""
    decomposed = unicodedata.normalize("NFD", text)
    return nfc("".join(c for c in decomposed if c not in _TONE_OF_MARK))


def strip_marks(text: str) -> str:
    """``text`` folded to plain letters, case kept: "Đặng Hữu" → "Dang Huu"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(c for c in decomposed if not unicodedata.combining(c)))


def place_tone(plain: str, tone: Tone, index: int) -> str:
    """``plain`` (no tone mark) with the mark of ``tone`` on its character at ``index``."""
    if tone is Tone.NGANG:
        return plain
    return nfc(plain[:index + 1] + _MARK_OF_TONE[tone] + plain[index + 1:])


def tone_positions(plain: str) -> tuple[int, int] | None:
    """Where a tone mark goes on toneless ``plain`` in the new and the old style; None when
    ``plain`` is not spelled like a syllable."""
    shape = _shape(nfc(plain).lower())
    return None if shape is None else (shape.new, shape.old)


def allows_tone(plain: str, tone: Tone) -> bool:
    """Whether toneless ``plain`` is a syllable with ``tone`` (stop codas: sắc and nặng only)."""
    shape = _shape(nfc(plain).lower())
    return shape is not None and _tone_allowed(shape, tone, None)


def with_tone(base: str, tone: Tone) -> str:
    """``base`` (any tone it has is replaced) with ``tone`` marked where the new style puts it
    ("hoa" + huyền → "hoà"). Raises ValueError when the result is no syllable ("cap" + huyền)."""
    plain = strip_tone(nfc(base))
    positions = tone_positions(plain)
    if positions is None or not allows_tone(plain, tone):
        raise ValueError(f"{base!r} with tone {tone.value} is not a Vietnamese syllable")
    return place_tone(plain, tone, positions[0])


def _judged(token: str) -> bool | None:
    """Whether a token counts as Vietnamese (True), as not (False), or is left out (None):
    numbers, and single letters or capital acronyms that are no syllable ("a)", "N.", "đ",
    "CCCD", "UBND") say nothing about the language of the text around them."""
    if any(char.isdigit() for char in token):
        return None
    valid = is_syllable(token)
    if not valid and (len(token) == 1 or _ACRONYM.match(token)):
        return None
    return valid


def unknown_words(text: str) -> list[str]:
    """The words of ``text`` that are no Vietnamese syllable ("Ytế", "LÂÃM"), leaving out
    numbers, single letters and capital acronyms as ``language_score`` does."""
    return [match.group() for match in tokens(nfc(text)) if _judged(match.group()) is False]


def language_evidence(text: str) -> tuple[float, int]:
    """``language_score`` of ``text`` and how many words it judged (the weight of that
    evidence), in one pass over the words."""
    judged = [verdict for match in tokens(nfc(text))
              if (verdict := _judged(match.group())) is not None]
    return (sum(judged) / len(judged) if judged else 0.0), len(judged)


def language_score(text: str) -> float:
    """Fraction of the words of ``text`` that are valid Vietnamese syllables, 0.0 when none
    count. Higher is the better reading when two OCR engines disagree on a word or a line."""
    return language_evidence(text)[0]
