"""Synthetic form documents: reproducible, keeping the field contract, and true to their pages.

The form extractor is measured against ``expected``; these tests make sure that what is expected
is printed on the page (in the ground-truth lines), is normalised as the contract says, and that a
seed always gives the same document, so a benchmark figure can be reproduced.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import zxingcpp

from ocr_service.forms.mrz import compose_td1
from ocr_service.pipeline.intake import load_document
from sohoa_dev.synth.cards import card_holder, expiry, qr_payload
from sohoa_dev.synth.forms import (
    FIELDS,
    FORM_TYPES,
    MEMBER_FIELDS,
    FormSample,
    date_words,
    make_form_sample,
    make_unknown_sample,
    number_words,
    provinces,
    sample_digest,
    turn_quad,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "forms"
SEEDS = (1, 2, 3, 4)
DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
ID12 = re.compile(r"\d{12}")
NAME_FIELDS = {"full_name", "requester_name", "child_name", "mother_name", "father_name",
               "household_head_name"}
DATE_FIELDS = {"date_of_birth", "date_of_expiry", "date_of_issue", "child_date_of_birth"}
ID_FIELDS = {"id_number", "requester_id_number", "household_head_id_number"}
SEX_FIELDS = {"sex", "child_sex"}
YEAR_FIELDS = {"mother_birth_year", "father_birth_year"}


@pytest.fixture(scope="module")
def samples() -> dict[tuple[str, int, str], FormSample]:
    made = {(t, s, "dev"): make_form_sample(t, s, "dev") for t in FORM_TYPES for s in SEEDS}
    made |= {("unknown", s, "dev"): make_unknown_sample(s, "dev") for s in (1, 2)}
    return made


def flat(sample: FormSample, pages: slice = slice(None)) -> str:
    """The ground-truth text as one line: dot leaders dropped, spaces collapsed."""
    text = " ".join(t for page in sample.lines[pages] for t, _ in page)
    return " ".join(re.sub(r"\.{3,}", " ", text).split())


# --- determinism and pools -----------------------------------------------------------------------


@pytest.mark.parametrize("form_type", FORM_TYPES)
def test_same_seed_same_document(samples, form_type: str) -> None:
    first = samples[(form_type, 1, "dev")]
    again = make_form_sample(form_type, 1, "dev")
    assert sample_digest(first) == sample_digest(again)
    assert first.expected == again.expected
    assert first.lines == again.lines
    assert first.to_file() == again.to_file()


def test_unknown_is_deterministic(samples) -> None:
    again = make_unknown_sample(1, "dev")
    assert sample_digest(samples[("unknown", 1, "dev")]) == sample_digest(again)
    assert samples[("unknown", 1, "dev")].to_file() == again.to_file()


@pytest.mark.parametrize("form_type", FORM_TYPES)
def test_pools_draw_different_documents(samples, form_type: str) -> None:
    dev = samples[(form_type, 1, "dev")]
    heldout = make_form_sample(form_type, 1, "heldout")
    assert heldout.expected != dev.expected
    assert sample_digest(heldout) != sample_digest(dev)


def test_a_photocopied_form_is_the_same_document_copied() -> None:
    """``strength="photocopy"`` changes the pages' degradation only: same fields and lines'
    text, other (grey) pixels; ID cards keep their own look."""
    scanned = make_form_sample("residence_change", 1, "dev")
    copied = make_form_sample("residence_change", 1, "dev", "photocopy")
    assert copied.expected == scanned.expected
    assert [[t for t, _ in page] for page in copied.lines] == \
        [[t for t, _ in page] for page in scanned.lines]
    assert sample_digest(copied) != sample_digest(scanned)
    page = copied.pages[0]
    assert np.array_equal(page[:, :, 0], page[:, :, 2])  # a copier prints grey
    card = make_form_sample("cccd", 1, "dev", "photocopy")
    assert sample_digest(card) == sample_digest(make_form_sample("cccd", 1, "dev"))


def test_a_photographed_form_is_the_same_document_as_a_cameras_jpeg() -> None:
    """``strength="phone"``: the page photographed on a desk, uploaded as a camera writes it
    (colour JPEG, no resolution in the file, so intake estimates one and clean-up flattens)."""
    import io

    from PIL import Image

    from ocr_service.pipeline.intake import load_document

    scanned = make_form_sample("residence_change", 1, "dev")
    photo = make_form_sample("residence_change", 1, "dev", "phone")
    assert photo.expected == scanned.expected and photo.photo and not scanned.photo
    data, suffix = photo.to_file()
    assert suffix == ".jpg" and "dpi" not in Image.open(io.BytesIO(data)).info
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    [page] = load_document(data, "anh-chup.jpg").pages
    assert page.dpi_source == "estimated"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        make_form_sample("passport", 1)
    with pytest.raises(ValueError):
        make_form_sample("cccd", 1, "test")  # type: ignore[arg-type]


# --- the expected values -------------------------------------------------------------------------


def test_expected_keys_are_the_contract(samples) -> None:
    for (form_type, _, _), sample in samples.items():
        assert sample.expected["form_type"] == form_type
        assert tuple(sample.expected["fields"]) == FIELDS[form_type]
        for member in sample.expected["fields"].get("members", []):
            assert tuple(member) == MEMBER_FIELDS


def _check_value(name: str, value: str) -> None:
    assert unicodedata.is_normalized("NFC", value) and value == " ".join(value.split()), value
    if name in DATE_FIELDS:
        day, month, year = map(int, value.split("/"))
        assert DATE.fullmatch(value) and date(year, month, day)
    elif name in ID_FIELDS:
        assert ID12.fullmatch(value), value
    elif name in NAME_FIELDS:
        assert value == value.upper() and len(value.split()) >= 2, value
    elif name in SEX_FIELDS:
        assert value in ("Nam", "Nữ")
    elif name in YEAR_FIELDS:
        assert re.fullmatch(r"(19|20)\d{2}", value)
    elif name == "phone":
        assert re.fullmatch(r"0\d{9}", value), value
    elif name == "email":
        assert re.fullmatch(r"[a-z0-9._]+@[a-z]+\.com", value), value
    elif name in ("nationality", "child_nationality"):
        assert value == "Việt Nam"


def test_expected_values_are_normalised(samples) -> None:
    for (form_type, _, _), sample in samples.items():
        for name, value in sample.expected["fields"].items():
            if name == "members":
                for member in value:
                    for key, item in member.items():
                        _check_value(key, item)
            elif value is not None:
                _check_value(name, value)


def test_cards_agree_with_themselves(samples) -> None:
    """ID numbers encode sex and birth year; expiry follows the age rule; 2024 cards have no
    place of origin."""
    for seed in SEEDS:
        fields = samples[("cccd", seed, "dev")].expected["fields"]
        century_sex = int(fields["id_number"][3])
        born = [int(p) for p in fields["date_of_birth"].split("/")]
        assert century_sex % 2 == (fields["sex"] == "Nữ")
        assert fields["id_number"][4:6] == f"{born[2] % 100:02d}"
        assert (century_sex >= 2) == (born[2] >= 2000)
        issued = date(*reversed([int(p) for p in fields["date_of_issue"].split("/")]))
        expires = date(*reversed([int(p) for p in fields["date_of_expiry"].split("/")]))
        assert expires > issued
        sample = samples[("cccd", seed, "dev")]
        assert sample.variant in ("2021", "2024")
        assert (fields["place_of_origin"] is None) == (sample.variant == "2024")
        assert (fields["place_of_origin"] is None) == ("Place of origin" not in flat(sample))


def test_addresses_use_real_2025_units(samples) -> None:
    communes = {c for p in provinces() for c in p.wards}
    for seed in SEEDS:
        fields = samples[("birth_registration", seed, "dev")].expected["fields"]
        commune = fields["recipient"].removeprefix("Ủy ban nhân dân ").split(", ")[0]
        assert commune[0].upper() + commune[1:] in communes


# --- what the pages say --------------------------------------------------------------------------


@pytest.mark.parametrize("form_type", FORM_TYPES)
def test_lines_hold_the_expected_values(samples, form_type: str) -> None:
    for seed in SEEDS:
        sample = samples[(form_type, seed, "dev")]
        text = flat(sample)
        squeezed = text.replace(" ", "")
        fields = dict(sample.expected["fields"])
        values = [v for v in fields.pop("members", []) for v in v.values()]
        values += [v for v in fields.values() if v is not None]
        for value in values:
            assert value in text or (value.isdigit() and value in squeezed), (seed, value)
        if form_type == "cccd":
            assert fields["id_number"] in flat(sample, slice(0, 1))


def test_blank_fields_are_blank_on_the_page() -> None:
    """A father left unknown (seed found by search) prints no name after the father label."""
    for seed in range(1, 40):
        sample = make_form_sample("birth_registration", seed, "dev")
        if sample.expected["fields"]["father_name"] is None:
            break
    else:
        pytest.fail("no birth registration without a father in 40 seeds")
    lines = [t for page in sample.lines for t, _ in page if "người cha:" in t]
    assert lines and all(re.fullmatch(r".*người cha:( \.+)?", t) for t in lines)


def test_boxes_lie_on_their_pages(samples) -> None:
    for sample in samples.values():
        assert len(sample.pages) == len(sample.lines) == len(sample.turns)
        for image, lines in zip(sample.pages, sample.lines):
            assert image.ndim == 3 and image.dtype == np.uint8
            height, width = image.shape[:2]
            for _, quad in lines:
                for x, y in quad:
                    assert -0.05 * width <= x <= 1.05 * width
                    assert -0.05 * height <= y <= 1.05 * height


def test_box_follows_its_text_when_the_page_turns() -> None:
    quad = ((10.0, 20.0), (110.0, 20.0), (110.0, 40.0), (10.0, 40.0))
    size = (200, 300)  # width, height
    image = np.zeros((300, 200), np.uint8)
    image[20:41, 10:111] = 255
    for turns in range(4):
        turned = np.rot90(image, turns)
        moved = turn_quad(quad, size, turns)
        xs, ys = [p[0] for p in moved], [p[1] for p in moved]
        rows, cols = np.nonzero(turned)
        assert (min(xs), max(xs), min(ys), max(ys)) == (cols.min(), cols.max(), rows.min(),
                                                        rows.max())
    assert turn_quad(quad, size, 2)[0] == (189.0, 279.0)  # the text's top-left is bottom-right


def test_card_mrz_and_qr_match_the_card(samples) -> None:
    sample = samples[("cccd", 1, "dev")]
    fields = sample.expected["fields"]
    mrz = compose_td1(fields["id_number"], fields["date_of_birth"], fields["sex"],
                      fields["date_of_expiry"], fields["full_name"])
    back = [t for t, _ in sample.lines[1]]
    assert all(line in back for line in mrz)
    payloads = [bytes(b.bytes).decode("utf-8") for page in sample.pages
                for b in zxingcpp.read_barcodes(page)]
    assert len(payloads) == 1
    parts = payloads[0].split("|")
    assert parts[0] == fields["id_number"] and parts[2].upper() == fields["full_name"]
    assert parts[5] == fields["place_of_residence"]


def test_unknown_documents_are_none_of_ours(samples) -> None:
    for seed in (1, 2):
        sample = samples[("unknown", seed, "dev")]
        assert sample.expected == {"form_type": "unknown", "fields": {}}
        text = flat(sample)
        assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" not in text and "CĂN CƯỚC" not in text
        assert "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ" not in text


# --- files ---------------------------------------------------------------------------------------


def test_files_open_as_uploads(samples) -> None:
    card = samples[("cccd", 1, "dev")]
    one_page = next(s for s in samples.values() if len(s.pages) == 1)
    for sample, fmt in ((card, "pdf"), (card, "tiff"), (one_page, "jpg"), (one_page, ".png")):
        data, suffix = sample.to_file(fmt)
        document = load_document(data, f"upload{suffix}")
        assert len(document.pages) == len(sample.pages)
        assert all(abs(p.dpi - sample.dpi) < 0.5 for p in document.pages)
        assert [p.image.shape[:2] for p in document.pages] == \
            [p.shape[:2] for p in sample.pages]
    with pytest.raises(ValueError):
        card.to_file("jpg")


def test_default_formats_mix(samples) -> None:
    formats = {s.default_format for s in samples.values()}
    assert {"pdf", "tiff", "jpg"} <= formats


def test_committed_samples_match_a_fresh_generation() -> None:
    committed = sorted(SAMPLES.glob("*.json"))
    assert committed, "run samples/make_form_samples.py"
    chosen = {}
    for path in committed:
        form_type, seed = path.stem.rsplit("-", 1)
        chosen.setdefault(form_type, (path, int(seed)))
    assert set(chosen) == {*FORM_TYPES, "unknown"}
    for form_type, (path, seed) in chosen.items():
        if form_type == "unknown":
            sample = make_unknown_sample(seed, "dev")
        else:
            sample = make_form_sample(form_type, seed, "dev")
        assert json.loads(path.read_text(encoding="utf-8")) == sample.expected
        document = next(p for p in SAMPLES.glob(f"{path.stem}.*") if p.suffix != ".json")
        assert document.suffix == sample.to_file()[1]


# --- wording helpers -----------------------------------------------------------------------------


def test_numbers_and_dates_in_words() -> None:
    assert number_words(2025) == "hai nghìn không trăm hai mươi lăm"
    assert number_words(2001) == "hai nghìn không trăm linh một"
    assert number_words(2024) == "hai nghìn không trăm hai mươi tư"
    assert number_words(21) == "hai mươi mốt"
    assert number_words(15) == "mười lăm"
    assert date_words(date(2025, 4, 5)) == \
        "Ngày mồng năm tháng tư năm hai nghìn không trăm hai mươi lăm"


def test_card_expiry_follows_the_age_rule() -> None:
    born = date(2000, 3, 15)
    assert expiry(born, date(2022, 1, 1)) == date(2025, 3, 15)
    assert expiry(born, date(2023, 6, 1)) == date(2040, 3, 15)  # within two years of 25
    assert expiry(date(1970, 2, 28), date(2024, 1, 1)) == date(2030, 2, 28)


def test_qr_payload_shape() -> None:
    holder = card_holder(random.Random(5))
    parts = qr_payload(holder).split("|")
    assert len(parts) == 7 and ID12.fullmatch(parts[0]) and re.fullmatch(r"\d{8}", parts[3])


def test_forms_vary_footnote_calls_blanks_and_where_long_values_wrap() -> None:
    """Styles the extractor must not depend on: calls typed with spaces, blanks of dots,
    ellipses or underscores, long values broken before the right edge."""
    import random

    from sohoa_dev.synth.forms import FormFlow

    lines = [text for seed in range(3000, 3016)
             for text, _ in make_form_sample("residence_change", seed, "dev").lines[0]]
    calls = {text[len("Kính gửi"):text.index(":")] for text in lines
             if text.startswith("Kính gửi")}
    assert "(1)" in calls and calls & {" (1)", "( 1)", "(1 )"}
    assert any("....." in text for text in lines)
    assert any("……" in text for text in lines) and any("_____" in text for text in lines)
    shares = [FormFlow(random.Random(seed), 200).wrap_share for seed in range(30)]
    assert 1.0 in shares and any(0.75 <= share <= 0.92 for share in shares)
