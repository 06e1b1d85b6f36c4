"""A photographed sheet flattened: found on the desk and warped to a rectangle.

Why: at the counter a clerk may take a paper with the tablet's or phone's camera instead of the
scanner. The photo shows the sheet as a quadrilateral on the desk's colour, seen a little off
square: its lines converge, which no deskew straightens, and the desk around it is no page. A
scan states its resolution and is left exactly as it is; so is a photo filled with its page.

How: on a copy at most ``MAX_SIDE`` pixels long, Otsu's threshold on the blurred grey splits the
bright paper from the darker desk, and closing fills in the print. The largest bright region,
its outline simplified to four corners, is the sheet when it is convex, covers between
``MIN_SHARE`` and ``MAX_SHARE`` of the frame, lies wholly inside it, has a sheet's proportions
(A4, A5, Letter: not an ID card, whose own reading handles it) and stands ``MIN_DESK_CONTRAST``
grey levels above the desk round it. The photo is then warped at full resolution so that those
corners become a rectangle with the quadrilateral's longer sides. A photo's resolution is a guess (cameras write 72 dpi, and
intake estimates it as if the whole frame were A4); once flattened, the sheet's own long side is
taken as A4's.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..domain import PageImage
from .intake import estimate_dpi

MAX_SIDE = 800
"""Long side, in pixels, of the copy the sheet is looked for on."""
MIN_SHARE, MAX_SHARE = 0.25, 0.92
"""Share of the frame the sheet covers: smaller is not what was photographed; larger is a scan, or
a photo filled with the page, with nothing to flatten."""
SHEET_ASPECTS = (1.25, 1.55)
"""Long over short side of a sheet (A4 and A5 1.41, Letter 1.29), perspective included; an ID
card (1.59) is read as it is."""
EDGE_MARGIN = 0.01
"""Share of the frame's long side by which every corner must stay inside the frame: a sheet is
told by the desk all round it (a card or a page that fills the photo is read as it is)."""
MIN_DESK_CONTRAST = 40.0
"""Grey levels by which the sheet must stand above the desk around it."""


def _order(corners: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    total, diff = corners.sum(axis=1), np.diff(corners, axis=1).ravel()
    return np.array([corners[np.argmin(total)], corners[np.argmin(diff)],
                     corners[np.argmax(total)], corners[np.argmax(diff)]], np.float32)


def _pairs(quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths of an ordered quadrilateral's opposite sides: (top, bottom), (left, right)."""
    lengths = np.linalg.norm(quad[[1, 2, 3, 2]] - quad[[0, 3, 0, 1]], axis=1)
    return lengths[:2], lengths[2:]


def _sides(quad: np.ndarray) -> tuple[float, float]:
    """Width and height of the rectangle a quadrilateral (ordered) flattens to."""
    across, down = _pairs(quad)
    return float(across.max()), float(down.max())


def _aspect(quad: np.ndarray) -> float:
    """Long over short side, each the mean of two opposite sides: perspective lengthens one
    side of a pair as much as it shortens the other, roughly."""
    across, down = (float(pair.mean()) for pair in _pairs(quad))
    return max(across, down) / max(1.0, min(across, down))


def sheet_corners(image: np.ndarray) -> np.ndarray | None:
    """The corners of a photographed sheet in ``image``'s pixels (top-left first, clockwise), or
    None when the image is no photo of a sheet on a desk (see the module's conditions)."""
    step = -(-max(image.shape[:2]) // MAX_SIDE)  # every step-th pixel: blurred next, so no
    small = np.ascontiguousarray(image[::step, ::step])  # averaging is needed (and it is fast)
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    smooth = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(outline) / small.size
    if not MIN_SHARE <= share <= MAX_SHARE:
        return None
    hull = cv2.convexHull(outline)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    quad = _order(quad.reshape(4, 2).astype(np.float32))
    if not SHEET_ASPECTS[0] <= _aspect(quad) <= SHEET_ASPECTS[1]:
        return None
    margin = EDGE_MARGIN * max(small.shape)
    rows, cols = small.shape
    if (quad.min() < margin or (quad[:, 0] > cols - 1 - margin).any()
            or (quad[:, 1] > rows - 1 - margin).any()):
        return None  # the sheet runs off the frame: no desk all round to tell it by
    inside = np.zeros_like(small)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    ring = cv2.dilate(inside, np.ones((25, 25), np.uint8)) & ~inside
    if not ring.any() or (float(np.median(small[inside > 0])) - float(np.median(small[ring > 0]))
                          < MIN_DESK_CONTRAST):
        return None
    return quad * step


def flatten(page: PageImage) -> PageImage:
    """``page`` with a photographed sheet warped flat and cut from the desk; any other page as it
    is (the same object). Only a page whose resolution intake had to estimate can be a photo: a
    scanner states its resolution, a camera does not (it writes 72 dpi, or nothing)."""
    if page.dpi_source != "estimated":
        return page
    corners = sheet_corners(page.image)
    if corners is None:
        return page
    width, height = (round(side) for side in _sides(corners))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]],
                      np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    flat = cv2.warpPerspective(page.image, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
    return replace(page, image=flat, dpi=estimate_dpi(max(width, height)))
