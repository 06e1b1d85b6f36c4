"""One-line images: a single line cut out of a generated page, as a caller may upload a strip."""

from __future__ import annotations

from functools import cache

import numpy as np

from sohoa_dev.synth import degrade_page, render_page


@cache
def one_line(seed: int) -> tuple[np.ndarray, str, int]:
    """(BGR image, its text, dpi): a line of ten letters or more from a scan-degraded dev-pool
    page, with a margin of about half its height."""
    kind = "prose" if seed % 2 else "form"
    dpi = 300 if seed % 2 else 200
    page = degrade_page(render_page(7000 + seed, "dev", kind, dpi), 7000 + seed, "scan")
    text, quad = next((t, q) for t, q in page.lines[3:] if len(t) >= 10 and "...." not in t)
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    margin = int(0.4 * (max(ys) - min(ys))) + 4
    y0, x0 = max(0, int(min(ys)) - margin), max(0, int(min(xs)) - margin)
    image = np.ascontiguousarray(page.image[y0: int(max(ys)) + margin, x0: int(max(xs)) + margin])
    image.setflags(write=False)
    return image, text, dpi
