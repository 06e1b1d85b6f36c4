"""Synthetic Vietnamese pages with exact ground truth, for OCR tests and benchmarks.

Real citizen dossiers cannot be put in a repository, so we generate look-alikes: invented people,
addresses and ID numbers laid out like administrative forms and prose documents (``corpus``), drawn
with the fonts offices use (``render``) and made to look scanned (``degrade``). Every page knows its
own text, line by line, so character error rates can be measured without hand labelling.

The text comes in two disjoint pools: ``dev`` (what we look at while tuning) and ``heldout`` (what
the benchmark reports), so a figure never comes from pages the OCR was tuned on.
"""

from __future__ import annotations

from sohoa_dev.synth.corpus import POOLS, Pool
from sohoa_dev.synth.degrade import degrade, degrade_page
from sohoa_dev.synth.render import SynthPage, render_page

__all__ = ["POOLS", "Pool", "SynthPage", "degrade", "degrade_page", "render_page"]
