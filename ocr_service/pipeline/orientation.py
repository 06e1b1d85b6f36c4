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
from ..lexicon.syllables import language_evidence

Recognize = Callable[[list[PageImage]], list[PageText]]
"""An engine's (or the workers' batcher's) ``recognize``."""

DOUBTFUL_BELOW = 0.5
"""Language score under which a page's reading is doubtful enough to read it turned over."""
BETTER_BY = 0.25
"""How much higher the turned reading must score to replace the first one."""
MIN_WORDS = 8
"""Fewer judged words than this say too little either way: the page is left as clean-up left it."""


def _doubtful(evidence: tuple[float, int]) -> bool:
    """Whether a page's reading (its ``language_evidence``) has enough words and too few of
    them are Vietnamese."""
    score, words = evidence
    return words >= MIN_WORDS and score < DOUBTFUL_BELOW


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
    evidence = [language_evidence(text.text) for text in texts]
    suspects = [i for i, found in enumerate(evidence) if _doubtful(found)]
    if not suspects:
        return pages, texts
    turned = [turned_over(pages[i]) for i in suspects]
    for i, page, text in zip(suspects, turned, recognize(turned)):
        score, words = language_evidence(text.text)
        if score >= evidence[i][0] + BETTER_BY and words >= MIN_WORDS:
            pages[i], texts[i] = page, replace(text, page=texts[i].page)
    return pages, texts
