"""The second held-out generator's fonts never reach training lines or synthetic pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sohoa_dev.synth.lines import covers, line_sample, vietnamese_fonts
from sohoa_dev.synth.render import (
    FONT_ROOTS,
    HELD_OUT_FONT_PREFIXES,
    _installed_fonts,
    is_held_out_font,
)


def held_out_installed() -> list[Path]:
    return sorted(p for root in FONT_ROOTS if root.is_dir() for p in root.rglob("*.[ot]tf")
                  if is_held_out_font(p))


def test_held_out_prefixes_name_the_reserved_packages() -> None:
    assert is_held_out_font(Path("/usr/share/fonts/truetype/freefont/FreeSerif.ttf"))
    assert is_held_out_font(Path("/x/OpenSans-Regular.ttf"))
    assert not is_held_out_font(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    assert not is_held_out_font(Path("/x/LiberationSerif-Regular.ttf"))
    assert HELD_OUT_FONT_PREFIXES == ("FreeMono", "FreeSans", "FreeSerif", "OpenSans-")


def test_training_and_page_fonts_exclude_the_held_out_fonts() -> None:
    reserved = held_out_installed()
    if not reserved:
        pytest.skip("fonts-freefont-ttf / fonts-open-sans not installed (scripts/setup.sh)")
    # They do cover Vietnamese: without the exclusion training would draw with them.
    assert any(covers(path) for path in reserved)
    assert not set(reserved) & set(vietnamese_fonts())
    assert not set(reserved) & set(_installed_fonts().values())
    used = {line_sample(seed).font for seed in range(60)}
    assert not any(name.startswith(("Free", "Open Sans")) for name in used)
