"""The second held-out generator's fonts never reach training lines or synthetic pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def test_fonts_drawn_from_the_same_originals_as_the_held_out_ones_are_reserved_too() -> None:
    """FreeSerif/Sans/Mono descend from URW's Nimbus Roman/Sans/Mono, as do TeX Gyre Termes,
    Heros and Cursor: training on those would be training on the held-out generator's shapes."""
    for name in ("texgyretermes-regular.otf", "texgyreheros-bold.otf", "texgyrecursor-italic.otf",
                 "NimbusRoman-Regular.otf", "NimbusSans-Bold.otf"):
        assert is_held_out_font(Path("/x") / name), name
    for name in ("texgyrepagella-regular.otf", "texgyreschola-bold.otf", "CharisSIL-Regular.ttf"):
        assert not is_held_out_font(Path("/x") / name), name


def test_training_fonts_come_from_extra_directories_without_being_installed(tmp_path) -> None:
    """``SOHOA_DEV_FONT_DIRS`` adds a directory of fetched faces (``training/fonts.sh``) to the
    training lines' fonts; a reserved face put there is still left out."""
    source = _installed_fonts().get("DejaVuSans.ttf")
    if source is None:
        pytest.skip("fonts-dejavu-core not installed (scripts/setup.sh)")
    shutil.copyfile(source, tmp_path / "TrainingOnly-Regular.ttf")
    shutil.copyfile(source, tmp_path / "texgyretermes-regular.otf")
    probe = ("from sohoa_dev.synth.lines import vietnamese_fonts;"
             "print('\\n'.join(str(p) for p in vietnamese_fonts()))")
    env = {**os.environ, "SOHOA_DEV_FONT_DIRS": str(tmp_path)}
    listed = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                            capture_output=True, text=True).stdout.splitlines()
    assert str(tmp_path / "TrainingOnly-Regular.ttf") in listed
    assert str(tmp_path / "texgyretermes-regular.otf") not in listed
    assert str(source) in listed  # the system's fonts stay


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
