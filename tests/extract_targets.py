"""What the children of an ``ExtractPool`` run in its tests (module-level: pickled by name for
``spawn``). The document's bytes say what to do, so one function covers every case."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from ocr_service.config import Settings
from ocr_service.errors import InputError


def act(data: bytes, filename: str, settings: Settings) -> dict:
    """``sleep``: longer than any test's time limit; ``hog``: allocate twice the memory limit;
    ``cv2-hog``: the same through OpenCV (it raises ``cv2.error``, not MemoryError); ``die``:
    SIGKILL itself, as the kernel's OOM killer would; ``bad``: a bilingual InputError;
    ``wait:PATH``: until PATH exists; anything else: answered with this process's id."""
    if data == b"sleep":
        time.sleep(3600)
    elif data == b"hog":
        bytearray(2 * settings.extract_memory_bytes)
    elif data == b"cv2-hog":
        import cv2
        import numpy as np

        side = int((2 * settings.extract_memory_bytes) ** 0.5)
        cv2.resize(np.zeros((8, 8), np.uint8), (side, side))
    elif data == b"die":
        os.kill(os.getpid(), signal.SIGKILL)
    elif data == b"bad":
        raise InputError(f"The file “{filename}” is damaged.", f"Tệp “{filename}” bị hỏng.",
                         code="corrupt_file")
    elif data.startswith(b"wait:"):
        while not Path(data[5:].decode()).exists():
            time.sleep(0.05)
    return {"pid": os.getpid(), "file": filename}
