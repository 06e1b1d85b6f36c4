"""Second look at orientation: a page whose reading is no Vietnamese is read turned over.

Clean-up decides upside-down from typography alone (``clean._upright_vote``), before any text
is read. On a short page of a few lines in several sizes (an ID card's back: labels, a long
address, a fingerprint box, an MRZ) that vote can go either way: 4 of 40 generated card backs
came out upside down, and the fields on them were lost without a flag. Once the page is read,
the reading itself is far stronger evidence: an upright reading is made of Vietnamese syllables,
a reading of upside-down text is not ("ạnH 9ụd quẹq3 uẹnỵ").

So a page whose reading scores under ``DOUBTFUL_BELOW`` on ``language_score`` is read once more,
turned by 180°, and the turned reading is kept when it is clearly better. Measured on generated
pages (``--pool dev``): upright readings score 0.67-1.0 (ID cards lowest, for their English
labels), upside-down readings 0.04-0.29. Pages that read well are never read twice, so the
cost falls on doubtful pages only (a page in another language is read twice and kept as it
was: both ways score alike).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import cv2

from ..domain import PageImage, PageText
from ..lexicon import language_score
from ..lexicon.syllables import judged_words

Recognize = Callable[[list[PageImage]], list[PageText]]
"""An engine's (or the workers' batcher's) ``recognize``."""

DOUBTFUL_BELOW = 0.5
"""Language score under which a page's reading is doubtful enough to read it turned over."""
BETTER_BY = 0.25
"""How much higher the turned reading must score to replace the first one."""
MIN_WORDS = 8
"""Fewer judged words than this say too little either way: the page is left as clean-up left it."""


def doubtful(text: PageText) -> bool:
    """Whether a page's reading has enough words and too few of them are Vietnamese."""
    return judged_words(text.text) >= MIN_WORDS and language_score(text.text) < DOUBTFUL_BELOW


def turned_over(page: PageImage) -> PageImage:
    """The page turned by 180°, its recorded clean-up rotation updated to match."""
    return replace(page, image=cv2.rotate(page.image, cv2.ROTATE_180),
                   rotation=(page.rotation + 180) % 360)


def second_look(pages: Sequence[PageImage], texts: Sequence[PageText],
                recognize: Recognize) -> tuple[list[PageImage], list[PageText]]:
    """``pages`` and their ``texts`` with every doubtful page read turned over, and replaced by
    the turned page and its reading where that reads clearly more like Vietnamese.

    The texts' boxes stay in the coordinates of the page returned beside them."""
    pages, texts = list(pages), list(texts)
    suspects = [i for i, text in enumerate(texts) if doubtful(text)]
    if not suspects:
        return pages, texts
    turned = [turned_over(pages[i]) for i in suspects]
    for i, page, text in zip(suspects, turned, recognize(turned)):
        if language_score(text.text) >= language_score(texts[i].text) + BETTER_BY \
                and judged_words(text.text) >= MIN_WORDS:
            pages[i], texts[i] = page, replace(text, page=texts[i].page)
    return pages, texts
