"""The baseline engine: Tesseract 5 (Debian ``tesseract-ocr-vie``), page segmentation mode 3.

Each page is one ``tesseract`` process reading a PNG from stdin and writing TSV. Tesseract's own
OpenMP threading is switched off (``OMP_THREAD_LIMIT=1``): on small machines it spends more time
spinning than working, and running one single-threaded process per core across pages is faster
(measured on the 2-core development machine: 1.3 s vs 5.6 s for one page).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import cv2

from ...config import Settings, get_settings
from ...domain import OcrLine, PageImage, PageText, to_quad
from ...errors import ModelError
from .base import clean_text


def _lines_from_tsv(tsv: str) -> list[OcrLine]:
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    grouped: dict[tuple[str, str, str, str], list[dict]] = {}
    for row in rows:
        if row["level"] == "5" and row["text"] and row["text"].strip():
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            grouped.setdefault(key, []).append(row)
    lines = []
    for words in grouped.values():
        text = clean_text(" ".join(w["text"] for w in words))
        if not text:
            continue
        x0 = min(int(w["left"]) for w in words)
        y0 = min(int(w["top"]) for w in words)
        x1 = max(int(w["left"]) + int(w["width"]) for w in words)
        y1 = max(int(w["top"]) + int(w["height"]) for w in words)
        confidence = sum(max(0.0, float(w["conf"])) for w in words) / len(words) / 100.0
        lines.append(OcrLine(text, confidence, to_quad((x0, y0, x1, y1))))
    return lines


class TesseractEngine:
    """Tesseract LSTM, one process per page, pages spread over the machine's cores."""

    name = "tesseract"

    def __init__(self, settings: Settings | None = None, language: str = "vie") -> None:
        self._settings = settings or get_settings()
        self._language = language
        self._binary = shutil.which("tesseract")
        if self._binary is None:
            raise ModelError(
                "The tesseract engine needs the Debian packages tesseract-ocr and tesseract-ocr-vie.",
                "Bộ nhận dạng tesseract cần các gói Debian tesseract-ocr và tesseract-ocr-vie.",
            )
        version = subprocess.run([self._binary, "--version"], capture_output=True, text=True,
                                 check=False).stdout.split("\n", 1)[0].strip()
        self.models = {"tesseract": version or "unknown", "language": language}

    def _one(self, page: PageImage) -> PageText:
        ok, png = cv2.imencode(".png", page.image)
        assert ok
        result = subprocess.run(
            [self._binary, "stdin", "stdout", "-l", self._language, "--psm", "3",
             "--dpi", str(int(round(page.dpi))), "tsv"],
            input=png.tobytes(), capture_output=True, check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        lines = _lines_from_tsv(result.stdout.decode("utf-8"))
        return PageText(page=page.number, width=page.width, height=page.height, lines=tuple(lines))

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        workers = max(1, min(len(pages), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self._one, pages))
