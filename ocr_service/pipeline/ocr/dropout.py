"""Red ink is no text: an agency's seal stamped over the print is dropped before reading.

Certified copies and signed forms carry a red seal, often half over the signature block and the
lines beside it. Read as it is, the seal's ring cuts through letters and its own words ("ỦY BAN
NHÂN DÂN …", round the rim) come out as text. Red ink is bright in the red channel and dark in
green and blue; black print is dark in all three, blue ballpoint (how citizens fill forms in) is
dark in red. So a pixel whose red channel stands well above both others takes its red channel's
value as grey: seal ink becomes near paper, a letter under the seal stays as dark as it was, and
every other pixel is untouched. A page with next to no red goes through as the very same array.

Printed red text (a rare red heading) goes too; it is seldom a value a dossier needs.
"""

from __future__ import annotations

import cv2
import numpy as np

RED_MARGIN = 20
"""How far (0-255) the red channel must stand above both green and blue for a pixel to be red ink:
paper tinted yellow or pink, and the colour fringes JPEG leaves round black letters, stay below."""
MIN_RED_SHARE = 0.0005
"""Share of a page's pixels that must be red ink before anything is dropped (a seal of 34 mm on
A4 inks about 1 %): below it the page is returned as it came."""


SAMPLE_STEP = 4
"""Every how many rows and columns a page is first sampled for red ink: a page without a seal
costs a sixteenth of a full pass (about 3 ms at 300 dpi instead of 40)."""


def _red_ink(image: np.ndarray) -> np.ndarray:
    blue, green, red = cv2.split(image)
    return cv2.subtract(red, cv2.max(blue, green)) > RED_MARGIN


def without_red_ink(image: np.ndarray) -> np.ndarray:
    """``image`` (BGR) with red ink greyed out to its red channel; grey images, and pages with
    next to no red, as they are (the same array)."""
    if image.ndim != 3 or image.shape[2] != 3:
        return image
    sample = np.ascontiguousarray(image[::SAMPLE_STEP, ::SAMPLE_STEP])
    if np.count_nonzero(_red_ink(sample)) < MIN_RED_SHARE * sample.shape[0] * sample.shape[1]:
        return image
    red_ink = _red_ink(image)
    dropped = image.copy()
    dropped[red_ink] = image[..., 2][red_ink][:, None]
    return dropped
