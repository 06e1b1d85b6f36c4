"""Prose whose wording none of our models has seen: the Vietnamese translations of the programs
installed on the machine (Debian's ``/usr/share/locale/vi/LC_MESSAGES/*.mo``).

Why: the reader is trained on the ``dev`` pool's paragraphs (``lines.py``), so ``dev`` prose pages
measure text it has learnt by heart (0.00-0.01 % CER), and tuning on them says nothing about the
wording of other people's pages. The ``unseen`` pool (``corpus.paragraphs("unseen")``) sets these
sentences in the page generator's prose layout: a tuning set that is neither learnt nor held out.
It is software language (option names, "%s", English words), so its CER is higher than on
dossiers; what it shows are the reader's slips on Vietnamese it never read before (capitals'
marks, tones on stacked letters). Never feed it to training: it would stop being unseen.
"""

from __future__ import annotations

import gettext
import random
import struct
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

CATALOGS = Path("/usr/share/locale/vi/LC_MESSAGES")
SENTENCES_PER_PARAGRAPH = 5
MIN_LENGTH = 40
"""Shorter messages are mostly labels and menu items, not sentences."""


def catalog_messages(directory: Path = CATALOGS) -> Iterable[str]:
    """Every translated message of every readable ``.mo`` file in ``directory``."""
    for path in sorted(directory.glob("*.mo")):
        try:
            with path.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        except (OSError, ValueError, struct.error):  # a damaged or foreign file
            continue
        yield from (text for text in catalog.values() if isinstance(text, str))


def sentence(message: str, allowed: frozenset[str]) -> str | None:
    """``message`` as one NFC sentence of Vietnamese prose, or None when it is not one: too short,
    characters a page may not hold (``allowed``), mostly digits and signs, or mostly words
    without a Vietnamese letter (English left untranslated)."""
    text = " ".join(message.replace("&", "").replace("_", "").split())
    text = unicodedata.normalize("NFC", text)
    words = text.split()
    if len(text) < MIN_LENGTH or not set(text) <= allowed:
        return None
    if sum(c.isalpha() for c in text) < 0.7 * len(text):
        return None
    if sum(not word.isascii() for word in words) < 0.4 * len(words):
        return None
    return text if text.endswith(".") else text + "."


@lru_cache(maxsize=None)
def catalog_paragraphs(allowed: frozenset[str], directory: Path = CATALOGS
                       ) -> tuple[tuple[str, str], ...]:
    """(title, paragraph) pairs: the catalogs' sentences, shuffled once with a fixed seed and
    taken ``SENTENCES_PER_PARAGRAPH`` at a time; the title is the first words of the sentence
    before. Raises RuntimeError when the machine holds too few translations to make pages."""
    found = sorted({s for m in catalog_messages(directory) if (s := sentence(m, allowed))})
    random.Random(7).shuffle(found)
    step = SENTENCES_PER_PARAGRAPH + 1
    pairs = tuple((" ".join(found[i].split()[:6]).rstrip(".,:;").capitalize(),
                   " ".join(found[i + 1 : i + step]))
                  for i in range(0, len(found) - step + 1, step))
    if len(pairs) < 20:
        raise RuntimeError(f"{directory} holds {len(pairs)} paragraphs of Vietnamese messages; "
                           "the unseen pool needs the Vietnamese translations of installed "
                           "programs (not purged by localepurge)")
    return pairs
