"""The procedure catalogue and due dates in Vietnamese working days (holidays from `holidays`)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from ocr_service.domain import VIETNAM_TIME
from ocr_service.errors import SohoaError
from ocr_service.procedures import (
    Component, Procedure, UnknownProcedure, catalogue, due_date, due_date_for, is_working_day,
    load_catalogue, procedure)


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VIETNAM_TIME)


def test_birth_registration_is_listed_with_its_components() -> None:
    birth = procedure("1.001193")
    assert birth == Procedure(
        code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch", processing_days=1,
        components=(
            Component("Tờ khai đăng ký khai sinh", "birth_registration", True),
            Component("Giấy chứng sinh", None, True),
            Component("Căn cước công dân của người đi đăng ký", "cccd", True),
        ))


def test_residence_change_uses_the_ct01_form_and_the_id_card() -> None:
    residence = procedure("1.004222")
    assert residence.name == "Đăng ký thường trú"
    assert {c.form_type for c in residence.components} >= {"residence_change", "cccd"}


def test_catalogue_codes_are_unique_and_form_types_exist() -> None:
    codes = [p.code for p in catalogue()]
    assert len(codes) == len(set(codes)) >= 5
    assert catalogue() is catalogue()  # cached


def test_unknown_code_is_a_bilingual_error() -> None:
    with pytest.raises(UnknownProcedure) as caught:
        procedure("9.999999")
    assert isinstance(caught.value, SohoaError)
    assert caught.value.code == "unknown_procedure"
    assert "9.999999" in caught.value.message and "danh mục thủ tục" in caught.value.message_vi
    assert due_date_for("9.999999", vn(2027, 3, 1, 9)) is None


def test_unknown_keys_and_unknown_form_types_are_refused(tmp_path: Path) -> None:
    good = ("procedures:\n  - {code: '1.000001', name: A, field: B, processing_days: 1,\n"
            "     components: [{name: C, form_type: cccd, required: true}]}\n")
    (tmp_path / "ok.yaml").write_text(good, encoding="utf-8")
    assert load_catalogue(tmp_path / "ok.yaml")[0].components[0].form_type == "cccd"
    (tmp_path / "typo.yaml").write_text(good.replace("form_type", "form_tpye"), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_catalogue(tmp_path / "typo.yaml")
    (tmp_path / "form.yaml").write_text(good.replace("cccd", "passport"), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_catalogue(tmp_path / "form.yaml")


@pytest.mark.parametrize(("received", "days", "due"), [
    # an ordinary week: Monday 10:00 + 3 working days = Thursday; after 17:00 it counts from Tuesday
    (vn(2027, 3, 1, 10), 3, date(2027, 3, 4)),
    (vn(2027, 3, 1, 17, 0), 3, date(2027, 3, 5)),
    (vn(2027, 3, 5, 9), 1, date(2027, 3, 8)),  # Friday + 1 = Monday
    (vn(2027, 3, 6, 9), 0, date(2027, 3, 8)),  # received on a Saturday: Monday, same-day work
    # Tết Đinh Mùi 2027: 4-10 February off (Thu-Wed)
    (vn(2027, 2, 3, 10), 3, date(2027, 2, 15)),
    (vn(2027, 2, 3, 10), 1, date(2027, 2, 11)),
    (vn(2027, 2, 5, 8), 0, date(2027, 2, 11)),  # received during Tết
    (vn(2027, 2, 3, 17, 30), 7, date(2027, 2, 22)),
    # 30/4 (Friday) and 1/5 (Saturday, observed Monday 3/5)
    (vn(2027, 4, 29, 10), 1, date(2027, 5, 4)),
    (vn(2027, 4, 28, 10), 3, date(2027, 5, 5)),
    # Quốc khánh 2027: 2 and 3 September (Thu, Fri)
    (vn(2027, 9, 1, 9), 2, date(2027, 9, 7)),
    # a naive datetime is UTC: 10:30 UTC is 17:30 in Vietnam
    (datetime(2027, 3, 1, 10, 30), 1, date(2027, 3, 3)),
    (datetime(2027, 3, 1, 9, 59, tzinfo=timezone.utc), 1, date(2027, 3, 2)),
])
def test_due_date_in_vietnamese_working_days(received: datetime, days: int, due: date) -> None:
    assert due_date(received, days) == due


def test_holidays_come_from_the_library() -> None:
    assert not is_working_day(date(2027, 2, 8))  # Monday, third day of Tết
    assert not is_working_day(date(2027, 9, 3))
    assert is_working_day(date(2027, 2, 11))
    assert due_date_for("1.004222", vn(2027, 2, 3, 10)) == date(2027, 2, 19)
    with pytest.raises(ValueError):
        due_date(vn(2027, 3, 1, 10), -1)
