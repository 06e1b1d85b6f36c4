"""Vietnamese language knowledge for OCR output: syllable validity and corrections that only
change marks, and only where a single answer is certain (see ``syllables``, ``correct``,
``names``)."""

from .correct import Correction, correct_text, correct_token
from .names import correct_name
from .syllables import (Syllable, Tone, is_syllable, language_score, parse, strip_marks,
                        strip_tone, tone_of, with_tone)

__all__ = ["Correction", "Syllable", "Tone", "correct_name", "correct_text", "correct_token",
           "is_syllable", "language_score", "parse", "strip_marks", "strip_tone", "tone_of",
           "with_tone"]
