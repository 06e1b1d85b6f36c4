"""The procedure catalogue (``catalogue.yaml``) and the due date of a dossier in working days.

The counter needs, for each administrative procedure (thủ tục hành chính, by its national code,
mã TTHC), its name, the components the clerk checks off and how many working days the agency has
to answer: the receipt slip (Mẫu số 01) prints the due date, and the public status page shows it.
The catalogue is data so that a province adds its procedures without code; it is validated when
first loaded (unknown keys are refused: a misspelt ``form_tpye`` must not silently become None).

Holidays come from the ``holidays`` library (Vietnam, including the lunar Tết, which moves every
year), not from a hand-written list that would go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from unicodedata import normalize
from functools import lru_cache
from pathlib import Path

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..domain import VIETNAM_TIME
from ..errors import SohoaError
from ..forms.spec import SPEC_DIR

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")

CLOSING_TIME = time(17, 0)
"""A dossier received at or after this time (Vietnam time) counts from the next working day."""


@dataclass(frozen=True)
class Component:
    """One paper of a dossier (thành phần hồ sơ), as the clerk checks it off."""

    name: str
    form_type: str | None
    """The form spec sohoa reads it with (``forms/specs/<form_type>.yaml``); None: archived only."""
    required: bool
    copies: int = 1


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure (thủ tục hành chính)."""

    code: str
    """The national code (mã TTHC), e.g. ``1.001193``."""
    name: str
    field: str
    """Lĩnh vực, e.g. "Hộ tịch"."""
    processing_days: int
    """Working days the agency has (0: the same working day)."""
    components: tuple[Component, ...]


class UnknownProcedure(SohoaError):
    """The code is not in the catalogue (other systems may still send it: see ``due_date_for``)."""

    code = "unknown_procedure"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _ComponentModel(_Strict):
    name: str = Field(min_length=1)
    form_type: str | None
    required: bool
    copies: int = Field(default=1, ge=1)

    @field_validator("form_type")
    @classmethod
    def _known_form(cls, value: str | None) -> str | None:
        if value is not None and not (SPEC_DIR / f"{value}.yaml").is_file():
            raise ValueError(f"no form spec named {value!r} in {SPEC_DIR}")
        return value


class _ProcedureModel(_Strict):
    code: str = Field(pattern=r"^\d\.\d{6}$")
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    processing_days: int = Field(ge=0, le=365)
    components: tuple[_ComponentModel, ...] = Field(min_length=1)


class _CatalogueModel(_Strict):
    procedures: tuple[_ProcedureModel, ...] = Field(min_length=1)


def load_catalogue(path: Path) -> tuple[Procedure, ...]:
    """Read and validate a catalogue file; duplicate codes are refused."""
    raw = yaml.safe_load(normalize("NFC", path.read_text(encoding="utf-8")))
    model = _CatalogueModel.model_validate(raw)
    codes = [p.code for p in model.procedures]
    if len(codes) != len(set(codes)):
        raise ValueError(f"{path}: a procedure code appears twice")
    return tuple(
        Procedure(
            code=p.code, name=p.name, field=p.field, processing_days=p.processing_days,
            components=tuple(Component(c.name, c.form_type, c.required, c.copies)
                             for c in p.components),
        )
        for p in model.procedures
    )


@lru_cache(maxsize=1)
def catalogue() -> tuple[Procedure, ...]:
    """Every procedure of the shipped catalogue, in file order (loaded once)."""
    return load_catalogue(CATALOGUE_PATH)


def find_procedure(code: str) -> Procedure | None:
    """The procedure with this code, or None (for callers that accept codes we do not list)."""
    return next((p for p in catalogue() if p.code == code), None)


def procedure(code: str) -> Procedure:
    """The procedure with this code; ``UnknownProcedure`` (``unknown_procedure``) otherwise."""
    found = find_procedure(code)
    if found is None:
        raise UnknownProcedure(
            f"Procedure code {code!r} is not in the catalogue.",
            f"Mã thủ tục {code!r} không có trong danh mục thủ tục.",
        )
    return found


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Vietnamese public holiday (observed days included).

    A Saturday the government swaps into a working day (làm bù) is still counted as a day off:
    the bound stays on the citizen's side (the result is never promised earlier than due).
    """
    return day.weekday() < 5 and day not in _holidays(day.year)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(received: datetime, working_days: int) -> date:
    """The day the result is due for a dossier received at ``received``.

    Rule: take ``received`` in Vietnam time (a naive datetime is UTC, as the index stores it).
    The count starts on the day of receipt when that is a working day and the dossier came in
    before 17:00; otherwise on the next working day. The result is due ``working_days`` working
    days after that start day (0: on the start day itself). E.g. received Monday 10:00 with 3
    working days: due Thursday; received Monday 17:30: due Friday.
    """
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    if received.tzinfo is None:
        received = received.replace(tzinfo=timezone.utc)
    local = received.astimezone(VIETNAM_TIME)
    day = local.date()
    if not is_working_day(day) or local.time() >= CLOSING_TIME:
        day = _next_working_day(day)
    for _ in range(working_days):
        day = _next_working_day(day)
    return day


def due_date_for(code: str, received: datetime) -> date | None:
    """The due date when ``code`` is in the catalogue; None for codes we do not list."""
    found = find_procedure(code)
    return None if found is None else due_date(received, found.processing_days)
