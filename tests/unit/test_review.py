"""Review before signing, as pure rules: which documents stop, how a person's corrections are
checked (as extraction checks OCR), and what approval demands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ocr_service.domain import Extraction, FieldValue, ReviewReason
from ocr_service.pipeline.process import owner_id_number
from ocr_service.pipeline.review import (
    BadCorrection,
    FlaggedNotAccepted,
    UnknownField,
    approval,
    check_approval,
    correct,
    flagged_fields,
    needs_review,
)

LOW = ReviewReason("ocr.low_confidence", "The reading is uncertain.",
                   "Kết quả nhận dạng chưa chắc chắn.")
BOX = ((10.0, 20.0), (200.0, 20.0), (200.0, 40.0), (10.0, 40.0))


def card(**overrides: FieldValue) -> Extraction:
    """A read ID card whose fields agree with each other (ID 001087012345: Hà Nội, a man born in
    1987: digit 4 is 0 for men born in the 1900s, 1 for women)."""
    fields = {
        "id_number": FieldValue("001087012345", "001087012345", 0.97, 1, BOX),
        "full_name": FieldValue("NGUYỄN VĂN AN", "NGUYỄN VĂN AN", 0.95, 1, BOX),
        "date_of_birth": FieldValue("01/02/1987", "01/02/1987", 0.96, 1, BOX),
        "sex": FieldValue("Nam", "Nam", 0.99, 1, BOX),
        "nationality": FieldValue("Việt Nam", "Việt Nam", 0.99, 1, BOX),
    }
    fields.update(overrides)
    return Extraction("cccd", fields, text="CĂN CƯỚC CÔNG DÂN")


def codes(extraction: Extraction, name: str) -> list[str]:
    return [r.code for r in extraction.fields[name].reasons]


def test_policies_stop_what_they_say_before_signing() -> None:
    clean, doubtful = card(), card(full_name=FieldValue("NGUYEN VAN AN", "NGUYEN VAN AN", 0.4,
                                                        1, BOX, (LOW,)))
    assert [needs_review(p, clean) for p in ("always", "flagged", "never")] == [True, False, False]
    assert [needs_review(p, doubtful) for p in ("always", "flagged", "never")] == [
        True, True, False]
    assert needs_review("flagged", Extraction("cccd", reasons=(LOW,)))  # a document finding
    with pytest.raises(ValueError):
        needs_review("sometimes", clean)


def test_a_corrected_value_is_checked_as_extraction_checks_a_reading() -> None:
    # Born 1987 but the typed number says 1990 (digits 5-6): flagged as extraction would.
    corrected, changes = correct(card(), {"id_number": "001090012345"})
    assert corrected.fields["id_number"].value == "001090012345"
    assert "id_number.birth_year" in codes(corrected, "id_number")
    assert [(c.field, c.old, c.new, c.reading) for c in changes] == [
        ("id_number", {"value": "001087012345"}, {"value": "001090012345"}, "001087012345")]
    # Correcting the date of birth instead clears the ID number's disagreement (checked anew).
    fixed, _ = correct(corrected, {"date_of_birth": "03/04/1990"})
    assert codes(fixed, "id_number") == [] and fixed.fields["date_of_birth"].value == "03/04/1990"
    # The typed value keeps where it was read: page and box, and the OCR reading in raw.
    assert fixed.fields["id_number"].box == BOX and fixed.fields["id_number"].raw == "001087012345"


def test_a_person_confirming_a_doubtful_reading_clears_only_the_reading_doubt() -> None:
    doubtful = card(full_name=FieldValue("NGUYỄN VĂN AN", "NGUYEN VĂN AN", 0.41, 1, BOX, (LOW,)))
    assert flagged_fields(doubtful) == ["full_name"]
    confirmed, changes = correct(doubtful, {"full_name": "NGUYỄN VĂN AN"})
    assert changes == [] and codes(confirmed, "full_name") == [] and not confirmed.review
    # A date that cannot exist stays flagged whoever typed it.
    impossible, _ = correct(card(), {"date_of_birth": "31/02/1987"})
    assert codes(impossible, "date_of_birth") and impossible.review


def test_a_required_field_cleared_by_a_person_is_flagged_missing() -> None:
    cleared, changes = correct(card(), {"full_name": None})
    assert cleared.fields["full_name"].value is None
    assert codes(cleared, "full_name") == ["field.missing"]
    assert changes[0].new == {"value": None}


def test_typed_names_are_taken_as_spelled_not_respelled() -> None:
    typed, _ = correct(card(), {"full_name": "Đinh Thị Hoà"})
    assert typed.fields["full_name"].value == "ĐINH THỊ HOÀ"
    assert codes(typed, "full_name") == []


def test_unknown_fields_and_bad_values_are_refused_in_both_languages() -> None:
    with pytest.raises(UnknownField) as unknown:
        correct(card(), {"favourite_colour": "xanh"})
    assert "favourite_colour" in unknown.value.message and unknown.value.message_vi
    with pytest.raises(BadCorrection):
        correct(card(), {"full_name": ["not", "text"]})  # type: ignore[dict-item]
    with pytest.raises(BadCorrection):
        correct(card(), {"full_name": "A" * 2001})
    with pytest.raises(UnknownField):
        correct(Extraction("unknown", text="…"), {"full_name": "AN"})


def test_a_table_field_takes_its_rows_and_checks_each_row() -> None:
    form = Extraction("residence_change", {}, {"members": ()})
    corrected, changes = correct(form, {"members": [
        {"full_name": "Trần Thị Bình", "date_of_birth": "02/03/1990", "sex": "Nữ",
         "id_number": "001090012345"}]})  # digit 4 says a man: she is a woman
    [row] = corrected.tables["members"]
    assert row["full_name"].value == "TRẦN THỊ BÌNH"
    assert "id_number.sex" in [r.code for r in row["id_number"].reasons]
    assert "members" in flagged_fields(corrected)
    assert changes[0].field == "members" and changes[0].old == {"value": []}
    with pytest.raises(UnknownField):
        correct(form, {"members": [{"shoe_size": "42"}]})
    with pytest.raises(BadCorrection):
        correct(form, {"members": "TRẦN THỊ BÌNH"})


NOT_FOUND = ReviewReason("table.not_found", "The table was not read.", "Không đọc được bảng.")


def test_a_table_not_read_is_flagged_until_a_person_gives_its_rows() -> None:
    form = Extraction("residence_change", {}, {"members": ()},
                      table_reasons={"members": (NOT_FOUND,)})
    assert needs_review("flagged", form) and flagged_fields(form) == ["members"]
    with pytest.raises(FlaggedNotAccepted):
        check_approval(form, [])
    assert check_approval(form, ["members"]) == ["members"]
    # (correcting re-runs the checks: this bare draft's required fields come out missing)
    untouched, _ = correct(form, {"full_name": "Trần Thị Bình"})
    assert "members" in flagged_fields(untouched)
    given, _ = correct(form, {"members": [
        {"full_name": "Trần Thị Bình", "date_of_birth": "02/03/1990", "sex": "Nữ",
         "id_number": "001190012345"}]})
    assert given.table_reasons == {} and "members" not in flagged_fields(given)
    none, _ = correct(form, {"members": []})  # the person saw no rows on the page
    assert none.table_reasons == {} and "members" not in flagged_fields(none)


def test_approval_names_every_flagged_field_not_taken_on() -> None:
    doubtful = card(full_name=FieldValue("NGUYỄN VĂN AN", "", 0.4, 1, BOX, (LOW,)),
                    sex=FieldValue("Nam", "", 0.4, 1, BOX, (LOW,)))
    with pytest.raises(FlaggedNotAccepted) as refused:
        check_approval(doubtful, ["sex"])
    assert refused.value.fields == ["full_name"]
    assert check_approval(doubtful, ["full_name", "sex", "sex"]) == ["full_name", "sex"]
    assert check_approval(card(), ["full_name"]) == []  # not flagged: nothing to take on
    with pytest.raises(UnknownField):
        check_approval(doubtful, ["full_name", "sex", "nickname"])


def test_approval_record_and_owner_rule() -> None:
    at = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
    made = approval({"kind": "user", "id": "u1", "name": "Lê Thị Hoa"}, at, ["sex"], [],
                    supersedes="r1", reason="sai giới tính")
    assert made == {"approved_by": {"kind": "user", "id": "u1", "name": "Lê Thị Hoa"},
                    "approved_at": "2026-12-04T08:30:00+00:00", "accepted_flagged": ["sex"],
                    "corrections": [], "supersedes": "r1", "reason": "sai giới tính"}
    doubtful = card(id_number=FieldValue("001087012345", "", 0.4, 1, BOX, (LOW,)))
    assert owner_id_number(card(), "APPLICANT") == "001087012345"
    assert owner_id_number(doubtful, "APPLICANT") == "APPLICANT"
    assert owner_id_number(doubtful, "APPLICANT", approved=True) == "001087012345"


def test_a_draft_survives_its_json_form() -> None:
    doubtful = card(full_name=FieldValue("NGUYỄN VĂN AN", "NGUYEN", 0.4, 1, BOX, (LOW,)))
    table, _ = correct(Extraction("residence_change", {}, {"members": ()}), {"members": [
        {"full_name": "TRẦN THỊ BÌNH", "date_of_birth": "02/03/1990", "sex": "Nữ",
         "id_number": "001190012345"}]})
    lost = Extraction("residence_change", {}, {"members": ()},
                      table_reasons={"members": (NOT_FOUND,)})
    for extraction in (doubtful, table, lost):
        assert Extraction.from_export(extraction.export()).export() == extraction.export()
    assert Extraction.from_export(lost.export()).table_reasons == {"members": (NOT_FOUND,)}
    assert lost.export()["fields"]["members"] == {
        "value": [], "items": [], "confidence": 0.0, "page": None, "review": True,
        "reasons": [{"code": "table.not_found", "message": "The table was not read.",
                     "message_vi": "Không đọc được bảng."}]}
