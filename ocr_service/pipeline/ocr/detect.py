"""Text detection with the PaddleOCR PP-OCRv6 DB model: page image in, text boxes out.

Our own pre- and post-processing (DBNet "differentiable binarisation"): the page is scaled so its
longest side is at most ``limit_side`` (rounded to multiples of 32, as the network needs), the
probability map is thresholded, each connected region becomes a minimum-area rectangle scored by
its mean probability, and the rectangle is grown by the DB "unclip" distance
``area * ratio / perimeter`` to recover the full text extent the model was trained to shrink.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...domain import Quad


@dataclass(frozen=True)
class DetectorParams:
    limit_side: int = 1600
    thresh: float = 0.3
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6
    min_size: int = 3
    max_candidates: int = 2000


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Three-channel view of a grey or BGR page (models take three channels)."""
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image


def input_size(height: int, width: int, limit_side: int) -> tuple[int, int]:
    """The detector input (height, width) of a page: pages with equal ones can share a call."""
    scale = min(1.0, limit_side / max(height, width))
    return (max(32, int(round(height * scale / 32)) * 32), max(32, int(round(width * scale / 32)) * 32))


def preprocess(images: list[np.ndarray], limit_side: int) -> np.ndarray:
    """Batch of pages resized to one input size and normalised as PP-OCR was trained."""
    h, w = input_size(*images[0].shape[:2], limit_side)
    batch = np.empty((len(images), 3, h, w), dtype=np.float32)
    for i, image in enumerate(images):
        # A grey page is resized once and its one channel copied: a third of the work of
        # resizing it as three equal channels, the same numbers.
        resized = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        resized *= 1 / 127.5
        resized -= 1.0
        batch[i] = resized if resized.ndim == 2 else resized.transpose(2, 0, 1)
    return batch


def _unclip(rect: tuple, ratio: float) -> tuple:
    (cx, cy), (w, h), angle = rect
    distance = (w * h) * ratio / (2 * (w + h))
    return (cx, cy), (w + 2 * distance, h + 2 * distance), angle


def _ordered_corners(rect: tuple) -> np.ndarray:
    """Corners of a rotated rectangle as top-left, top-right, bottom-right, bottom-left."""
    pts = cv2.boxPoints(rect)
    pts = pts[np.argsort(pts[:, 0])]
    left, right = pts[:2], pts[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def boxes_from_probability(prob: np.ndarray, params: DetectorParams) -> list[tuple[np.ndarray, float]]:
    """Text boxes (corners in probability-map pixels) with their scores."""
    mask = (prob > params.thresh).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours[: params.max_candidates]:
        rect = cv2.minAreaRect(contour)
        if min(rect[1]) < params.min_size:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        region = np.zeros((h, w), dtype=np.uint8)
        cv2.fillPoly(region, [contour - [x, y]], 1)
        score = float(cv2.mean(prob[y : y + h, x : x + w], region)[0])
        if score < params.box_thresh:
            continue
        grown = _unclip(rect, params.unclip_ratio)
        if min(grown[1]) < params.min_size + 2:
            continue
        boxes.append((_ordered_corners(grown), score))
    return boxes


def detect(session, images: list[np.ndarray], params: DetectorParams) -> list[list[tuple[Quad, float]]]:
    """Text boxes per page, in page pixel coordinates, for pages of equal ``input_size`` (one
    batch; each page is resized on its own, so its boxes are those it would get alone)."""
    batch = preprocess(images, params.limit_side)
    (prob,) = session.run(None, {session.get_inputs()[0].name: batch})
    results = []
    for image, page_prob in zip(images, prob[:, 0]):
        sy = image.shape[0] / page_prob.shape[0]
        sx = image.shape[1] / page_prob.shape[1]
        page_boxes = []
        for corners, score in boxes_from_probability(page_prob, params):
            corners[:, 0] = np.clip(corners[:, 0] * sx, 0, image.shape[1] - 1)
            corners[:, 1] = np.clip(corners[:, 1] * sy, 0, image.shape[0] - 1)
            quad = tuple((float(x), float(y)) for x, y in corners)
            page_boxes.append((quad, score))
        results.append(page_boxes)
    return results
