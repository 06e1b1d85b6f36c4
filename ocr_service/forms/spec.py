"""Form specs: what a form type looks like and where its fields are, as data (``specs/*.yaml``).

A spec is the only place that knows a form's wording. The extractor is generic: it finds the
spec's labels in the recognised lines and reads the value beside or below each one, so a new form
type (or a new edition of a form) is a YAML file, not code.

- ``classify``: ``titles`` are printed headings (a line that reads as one of them is strong
  evidence); ``anchors`` are phrases found only on this form. Both are matched without diacritics,
  so a tone mark misread by OCR does not hide a form.
- ``sections``: ordered ranges of lines, each starting at the first line holding one of its
  anchors. A field is looked for only in its section; that is how "Nơi cư trú" of the requester
  is told apart from that of the mother.
- ``fields``: label spellings (with and without diacritics, old and new editions), the value
  type (which decides normalisation and checks), where the value is (``right`` of the label, or
  ``below`` it when nothing is to the right), and whether it may wrap onto the next line.
- ``stops``: printed phrases that end a value but are not fields ("ghi bằng chữ", "Số lượng").
- ``tables``: a ruled table located by an anchor, its columns found by their header labels.
- ``checks``: cross-field rules (an ID number against a date of birth and sex), and ``card``
  checks for ID cards (``mrz`` and ``qr``).
- ``labels_printed``: whether a label that is not found means a row that was not read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

SPEC_DIR = Path(__file__).with_name("specs")

FieldType = Literal[
    "text", "place", "name", "date", "year", "sex", "nationality", "ethnicity", "relationship",
    "id_number", "phone", "email", "address", "origin", "expiry", "agency",
]
"""``agency``: an office named with its commune and province (a form's recipient), whose units
must exist; ``origin``: a place in the units of its time (a card's place of origin), kept as read;
``expiry``: a date or "Không thời hạn" (valid for life)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classify(_Strict):
    titles: tuple[str, ...]
    anchors: tuple[str, ...] = ()


class FieldSpec(_Strict):
    labels: tuple[str, ...]
    type: FieldType = "text"
    section: str | None = None
    """Section to search; None: the whole document."""
    value: Literal["right", "below", "right_or_below"] = "right_or_below"
    wrap: bool = False
    """The value may continue on the next line (long addresses, requests)."""
    required: bool = False


class ColumnSpec(_Strict):
    labels: tuple[str, ...]
    type: FieldType = "text"


class TableSpec(_Strict):
    after: tuple[str, ...]
    """Phrases of the line just above the table (its caption)."""
    columns: dict[str, ColumnSpec]
    other_columns: tuple[str, ...] = ()
    """Header labels of columns we do not extract; they still bound their neighbours."""


class CrossCheck(_Strict):
    """``field`` (an ID number) must agree with the person's date of birth and sex."""

    field: str
    date_of_birth: str | None = None
    sex: str | None = None


class FormSpec(_Strict):
    form_type: str
    name: str
    """The form's Vietnamese name, for people."""
    classify: Classify
    sections: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Section name -> anchors, in document order; the first section may have no anchor."""
    fields: dict[str, FieldSpec]
    stops: tuple[str, ...] = ()
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    id_checks: tuple[CrossCheck, ...] = ()
    card: tuple[Literal["mrz", "qr"], ...] = ()
    labels_printed: bool = False
    """Every field's label is printed on every edition of the form (an A4 declaration; not an ID
    card, whose editions print different fields). A label not found then means its row was not
    read, and the empty field goes to review instead of passing for a blank left blank."""

    def all_labels(self) -> dict[str, tuple[str, ...]]:
        """Every label that may start a value, by the field it belongs to (``stop`` for stops)."""
        labels = {name: field.labels for name, field in self.fields.items()}
        labels["stop"] = self.stops
        return labels


def load_spec(path: Path) -> FormSpec:
    with path.open(encoding="utf-8") as handle:
        spec = FormSpec.model_validate(yaml.safe_load(handle))
    unknown = {f.section for f in spec.fields.values() if f.section} - set(spec.sections)
    if unknown:
        raise ValueError(f"{path.name}: fields name unknown sections {sorted(unknown)}")
    return spec


@lru_cache
def form_specs() -> tuple[FormSpec, ...]:
    """The form types we extract, from ``specs/*.yaml``, in file-name order."""
    return tuple(load_spec(path) for path in sorted(SPEC_DIR.glob("*.yaml")))


def spec_for(form_type: str) -> FormSpec:
    for spec in form_specs():
        if spec.form_type == form_type:
            return spec
    raise KeyError(form_type)
