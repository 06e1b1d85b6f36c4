"""The second held-out generator (bench/heldout/): deterministic, in its own fonts, with truth
that matches what a reader should return."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bench.heldout import DOCUMENT_TYPES, make_document, make_page
from bench.heldout.cards import mrz
from bench.heldout.sheet import FAMILIES, font_file
from sohoa_dev.synth.render import is_held_out_font


@pytest.fixture(scope="module", autouse=True)
def fonts_installed() -> None:
    try:
        font_file("FreeSerif.ttf"), font_file("OpenSans-Regular.ttf")
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_its_fonts_are_the_reserved_ones() -> None:
    files = [font_file(name) for faces in FAMILIES.values() for name in faces.values()]
    assert files and all(is_held_out_font(path) for path in files)


@pytest.mark.parametrize("kind", ["form", "prose"])
def test_same_seed_same_page(kind: str) -> None:
    first, again = make_page(7, kind, 150, "photocopy"), make_page(7, kind, 150, "photocopy")
    assert first.text == again.text and np.array_equal(first.image, again.image)
    assert first.image.shape[:2] == (1754, 1241)  # A4 at 150 dpi
    other = make_page(8, kind, 150, "photocopy")
    assert other.text != first.text


def test_truth_keeps_dotted_leaders_as_dots_and_leaves_underscores_out() -> None:
    texts = [make_page(seed, "form", 150, "clean").text for seed in range(12)]
    assert all("_" not in text and "…" not in text for text in texts)
    assert any("...." in text for text in texts)


@pytest.mark.parametrize("form_type", DOCUMENT_TYPES)
def test_filled_forms_carry_their_expected_fields(form_type: str) -> None:
    doc = make_document(form_type, 3)
    assert doc.expected["form_type"] == form_type
    fields = doc.expected["fields"]
    names = [v for k, v in fields.items() if k.endswith("name") and v]
    assert names and all(v == v.upper() for v in names)
    ids = [v for k, v in fields.items() if k.endswith("id_number") and v]
    assert ids and all(re.fullmatch(r"\d{12}", v) for v in ids)
    data, suffix = doc.to_file()
    assert suffix in ((".tiff",) if form_type == "cccd" else (".jpg", ".png"))
    assert len(data) > 10_000
    again = make_document(form_type, 3)
    assert again.expected == doc.expected and np.array_equal(again.pages[0], doc.pages[0])


def test_card_mrz_has_the_icao_check_digits() -> None:
    from ocr_service.forms.mrz import parse_td1

    from bench.heldout.content import Person

    person = Person("TRẦN THỊ HỒNG", "Nữ", (5, 9, 1961), "Kinh", "038161004512")
    td1 = parse_td1(*mrz(person, "Không thời hạn"))  # checked by the service's own reader
    assert td1.problems() == [] and td1.id_number == person.id_number
    assert (td1.date_of_birth, td1.sex, td1.name) == ("05/09/1961", "Nữ", "TRAN THI HONG")
