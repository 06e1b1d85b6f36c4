"""Which form a document is, from its recognised text: printed titles and form-only phrases.

A title counts when a short row reads as the title (a long row merely mentioning "căn cước" is
not a heading). Anchors are phrases printed only on that form. A type is chosen when its title is
seen together with one anchor, or when enough anchors are seen without the title (a title lost to
a fold or a stain); otherwise the document is ``unknown`` — never an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from ..forms.rows import Row, find_label
from ..forms.spec import FormSpec, form_specs
from ..forms.text import fold

TITLE_SCORE = 88.0


def title_score(rows: Sequence[Row], titles: Sequence[str]) -> float:
    """Best 0-100 score of a row that reads as one of ``titles`` (and not much more)."""
    best = 0.0
    for title in map(fold, titles):
        for row in rows:
            text = row.folded.strip(" .:-")
            if len(text) > 2 * len(title) + 12:
                continue
            best = max(best, fuzz.partial_ratio(title, text) if len(text) >= len(title)
                       else fuzz.ratio(title, text))
    return best


def anchors_found(rows: Sequence[Row], anchors: Sequence[str]) -> int:
    return sum(
        any(find_label(row.folded, folded) for row in rows)
        for folded in map(fold, anchors)
    )


def score(rows: Sequence[Row], spec: FormSpec) -> float | None:
    """Title (0-1) plus the share of anchors found (0-1); None when the evidence is too weak."""
    has_title = title_score(rows, spec.classify.titles) >= TITLE_SCORE
    found = anchors_found(rows, spec.classify.anchors)
    total = len(spec.classify.anchors)
    if (has_title and found >= 1) or found >= max(2, (total + 1) // 2):
        return float(has_title) + found / max(1, total)
    return None


def classify(rows: Sequence[Row],
             specs: Sequence[FormSpec] | None = None) -> tuple[FormSpec | None, float]:
    """The best-supported form spec for the rows, with its score; (None, 0) for unknown forms."""
    scored = [(s, score(rows, s)) for s in (form_specs() if specs is None else specs)]
    candidates = [(value, spec) for spec, value in scored if value is not None]
    if not candidates:
        return None, 0.0
    value, spec = max(candidates, key=lambda item: item[0])
    return spec, value
