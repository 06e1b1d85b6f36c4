"""The one bilingual message shape: every reason, issue and error says the same JSON as before."""

from __future__ import annotations

import json
from dataclasses import asdict

from ocr_service.domain import Message, Notice, QualityIssue, ReviewReason
from ocr_service.errors import InputError, SohoaError
from ocr_service.pipeline.verify import Reason

VI = "Ảnh trang bị mờ"


def test_coded_messages_keep_their_json_literally() -> None:
    expected = '{"code": "blur", "message": "Blurred.", "message_vi": "Ảnh trang bị mờ"}'
    for kind in (ReviewReason, QualityIssue, Notice):
        item = kind("blur", "Blurred.", VI)
        assert json.dumps(item.export(), ensure_ascii=False) == expected
        assert json.dumps(asdict(item), ensure_ascii=False) == expected  # API routes use asdict
        again = kind.from_export(item.export())
        assert again == item and type(again) is kind
    # the kinds stay distinct: a quality issue is not a review reason
    assert ReviewReason("blur", "Blurred.", VI) != QualityIssue("blur", "Blurred.", VI)


def test_errors_and_verify_reasons_keep_their_json() -> None:
    error = InputError("Blurred.", VI)
    assert json.dumps(error.as_dict(), ensure_ascii=False) == (
        '{"code": "bad_input", "message": "Blurred.", "message_vi": "Ảnh trang bị mờ"}')
    assert error.notice == Notice("bad_input", "Blurred.", VI)
    assert SohoaError("a", "b", code="x").as_dict()["code"] == "x"
    reason = Reason("Blurred.", VI)
    assert isinstance(reason, Message)
    assert json.dumps(asdict(reason), ensure_ascii=False) == (
        '{"message": "Blurred.", "message_vi": "Ảnh trang bị mờ"}')
