"""Review before signing: which documents stop for a person, and what a person's corrections and
approval make of the draft. Pure: data in, data out; the API and the workers keep the draft.

Why these rules:

* A document stops at ``needs_review`` *before* anything is signed or archived: a signed record is
  WORM, so a wrong field found after signing can only be superseded, never fixed.
* A corrected value goes through the same normalisers and cross checks as a value read by OCR
  (``forms.values.normalize``, ``extract.check_fields``): a person who types an ID number with a
  wrong check digit sees it flagged, exactly as if OCR had read it.
* A value a person typed or confirmed is theirs: its OCR doubts (low confidence, respelling,
  disagreement with the MRZ) go; the checks of the value itself stay.
* Approval names every field that is still flagged: the person takes each one on explicitly
  (``accept_flagged``), so nothing doubtful is signed by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..domain import Extraction, FieldValue, ReviewReason
from ..errors import InputError, SohoaError
from ..forms.spec import FormSpec, spec_for
from ..forms.values import clean_value, normalize
from .extract import check_fields

POLICIES = ("always", "flagged", "never")
"""A dossier's review policy (``store.index.ReviewPolicy`` keeps the same values)."""
MAX_VALUE_LENGTH = 2000
"""Longest corrected value accepted (the longest printed field, an address, is far shorter)."""
MAX_TABLE_ROWS = 50
"""Most rows of a corrected table (a household of 50 is already more than a form has room for)."""
RECHECKED = frozenset({"field.missing", "id_number.format", "id_number.province_code",
                       "id_number.century", "id_number.birth_year", "id_number.sex"})
"""Codes ``check_fields`` gives; they are judged anew after every correction, so a fixed date of
birth clears the ID number's disagreement with it."""

Actor = dict[str, str]
"""Who did something: ``{"kind": "user"|"key", "id": ..., "name": ...}`` (``auth.actor()``)."""


class UnknownField(InputError):
    code = "unknown_field"

    def __init__(self, names: Iterable[str], form_type: str) -> None:
        listed = ", ".join(sorted(names))
        super().__init__(
            f"This document (form type {form_type}) has no field named: {listed}.",
            f"Tài liệu này (loại {form_type}) không có trường: {listed}.")


class BadCorrection(InputError):
    code = "bad_correction"


class FlaggedNotAccepted(SohoaError):
    """Approval while fields are still flagged that the person did not take on."""

    code = "flagged_not_accepted"

    def __init__(self, names: list[str]) -> None:
        self.fields = names
        listed = ", ".join(names)
        super().__init__(
            f"These fields are still flagged: {listed}. Correct them, or name them in "
            "accept_flagged to approve them as they are.",
            f"Các trường sau vẫn bị đánh dấu cần kiểm tra: {listed}. Hãy sửa, hoặc ghi tên "
            "chúng trong accept_flagged để phê duyệt nguyên trạng.")


@dataclass(frozen=True)
class Change:
    """One field a person changed: the values before and after (``{"value": ...}``, as the
    draft exports them) and what OCR had read."""

    field: str
    old: Any
    new: Any
    reading: str


@dataclass(frozen=True)
class Review:
    """A person's approval of a draft, what ``process.make_record`` signs: the fields as
    approved, and ``approval`` (who, when, the flagged fields taken on, the corrections)."""

    extraction: Extraction
    approval: dict[str, Any]


def needs_review(policy: str, extraction: Extraction) -> bool:
    """Whether a document read under ``policy`` must stop for a person before it is signed."""
    if policy not in POLICIES:
        raise ValueError(f"unknown review policy {policy!r}")
    return policy == "always" or (policy == "flagged" and extraction.review)


def flagged_fields(extraction: Extraction) -> list[str]:
    """Names of the fields (and table fields) a person would have to take on, in draft order."""
    names = [name for name, value in extraction.fields.items() if value.review]
    names += [name for name in extraction.tables if extraction.table_review(name)]
    return names


def check_approval(extraction: Extraction, accept_flagged: Iterable[str]) -> list[str]:
    """The flagged fields the person takes on; raises ``FlaggedNotAccepted`` naming the others,
    and ``UnknownField`` for names that are no field of the document."""
    accepted = list(dict.fromkeys(accept_flagged))
    unknown = set(accepted) - set(extraction.fields) - set(extraction.tables)
    if unknown:
        raise UnknownField(unknown, extraction.form_type)
    flagged = flagged_fields(extraction)
    missing = [name for name in flagged if name not in accepted]
    if missing:
        raise FlaggedNotAccepted(missing)
    return [name for name in accepted if name in flagged]


def correct(extraction: Extraction, values: Mapping[str, Any]) -> tuple[Extraction, list[Change]]:
    """The draft with a person's ``values`` (field name → text, or a list of row dicts for a table
    field), checked as extraction checks, and the changes made (a value equal to the old one is a
    confirmation: its OCR doubts go, but it is no change)."""
    if extraction.form_type == "unknown":
        raise UnknownField(values, "unknown")
    spec = spec_for(extraction.form_type)
    unknown = set(values) - set(spec.fields) - set(spec.tables)
    if unknown:
        raise UnknownField(unknown, extraction.form_type)
    fields = {**{name: FieldValue(None) for name in spec.fields}, **extraction.fields}
    tables = dict(extraction.tables)
    changes: list[Change] = []
    for name, value in values.items():
        if name in spec.tables:
            old_rows = tables.get(name, ())
            tables[name] = _rows(spec, name, value, old_rows)
            old = [{k: c.value for k, c in row.items()} for row in old_rows]
            new = [{k: c.value for k, c in row.items()} for row in tables[name]]
            reading = "\n".join(" | ".join(c.raw for c in row.values()) for row in old_rows)
        else:
            before = fields.get(name, FieldValue(None))
            fields[name] = _typed(spec.fields[name].type, name, value, before)
            old, new, reading = before.value, fields[name].value, before.raw
        if old != new:
            changes.append(Change(name, {"value": old}, {"value": new}, reading))
    fields = {name: _without_rechecked(value) for name, value in fields.items()}
    tables = {name: tuple({key: _without_rechecked(cell) for key, cell in row.items()}
                          for row in rows) for name, rows in tables.items()}
    check_fields(spec, fields, tables)
    # Rows a person gave are the table as they read it off the page: its doubts as a whole go.
    table_reasons = {name: reasons for name, reasons in extraction.table_reasons.items()
                     if name not in values}
    return replace(extraction, fields=fields, tables=tables,
                   table_reasons=table_reasons), changes


def approval(by: Actor, at: datetime, accepted_flagged: list[str],
             corrections: list[dict[str, Any]], *, supersedes: str | None = None,
             reason: str | None = None) -> dict[str, Any]:
    """What a record keeps of its review (manifest ``approval`` and the attached extraction):
    who approved and when, the flagged fields they took on, every correction, and for a
    corrected record the record it replaces and why."""
    made = {"approved_by": dict(by), "approved_at": at.isoformat(timespec="seconds"),
            "accepted_flagged": list(accepted_flagged), "corrections": list(corrections)}
    if supersedes is not None:
        made |= {"supersedes": supersedes, "reason": reason}
    return made


def _typed(field_type: Any, name: str, value: Any, before: FieldValue) -> FieldValue:
    """A person's value for one field, normalised and checked like an OCR reading."""
    if value is None or value == "":
        return replace(before, value=None, confidence=1.0, reasons=())
    if not isinstance(value, str):
        raise BadCorrection(f"The value of {name} must be text.",
                            f"Giá trị của trường {name} phải là văn bản.")
    if len(value) > MAX_VALUE_LENGTH:
        raise BadCorrection(
            f"The value of {name} is longer than {MAX_VALUE_LENGTH} characters.",
            f"Giá trị của trường {name} dài quá {MAX_VALUE_LENGTH} ký tự.")
    # Taken as spelled (as a QR code's values are): a name the person typed is never respelled.
    normalised, reasons = normalize(field_type, clean_value(value), machine_read=True)
    return replace(before, value=normalised, confidence=1.0,
                   reasons=tuple(r for r in reasons if not _about_reading(r)))


def _about_reading(reason: ReviewReason) -> bool:
    """A doubt about how a value was read (OCR confidence, a repair, a machine source that
    disagrees), which a person's own value does not have; checks of the value itself
    (``date.impossible``, ``id_number.format``) stay."""
    return reason.code.startswith(("ocr.", "qr.", "mrz.")) or reason.code.endswith(
        (".respelled", ".repaired"))


def _rows(spec: FormSpec, name: str, rows: Any,
          before: tuple[dict[str, FieldValue], ...]) -> tuple[dict[str, FieldValue], ...]:
    columns = spec.tables[name].columns
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise BadCorrection(
            f"{name} takes a list of rows, each an object of its columns "
            f"({', '.join(columns)}).",
            f"Trường {name} nhận một danh sách các dòng, mỗi dòng là một đối tượng gồm các cột "
            f"({', '.join(columns)}).")
    if len(rows) > MAX_TABLE_ROWS:
        raise BadCorrection(f"{name} takes at most {MAX_TABLE_ROWS} rows.",
                            f"Trường {name} có tối đa {MAX_TABLE_ROWS} dòng.")
    unknown = {key for row in rows for key in row} - set(columns)
    if unknown:
        raise UnknownField({f"{name}.{key}" for key in unknown}, spec.form_type)
    made = []
    for index, row in enumerate(rows):
        old = before[index] if index < len(before) else {}
        made.append({key: _typed(column.type, f"{name}.{key}", row.get(key),
                                 old.get(key, FieldValue(None)))
                     for key, column in columns.items()})
    return tuple(made)


def _without_rechecked(value: FieldValue) -> FieldValue:
    kept = tuple(r for r in value.reasons if r.code not in RECHECKED)
    return value if len(kept) == len(value.reasons) else replace(value, reasons=kept)
