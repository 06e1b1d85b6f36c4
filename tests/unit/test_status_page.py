"""The public status page's pure parts: the masked name, the citizen's status, the rate limit."""

from __future__ import annotations

import pytest

from ocr_service.api.routers.status_page import (
    TokenBucket,
    mask_public_name,
    public_status,
)
from ocr_service.store.lookup import ALPHABET, LENGTH, new_lookup_code, normalize_lookup_code


@pytest.mark.parametrize(("name", "masked"), [
    ("Nguyễn Văn An", "N*** V** A"),
    ("Nguyễn Thị Hồng Nhung", "N*** T** H*** N"),
    ("Lê Ý", "L* Ý"),
    ("  ", ""),
    ("Nguyê\u0300n Văn An", "N*** V** A"),  # decomposed input
])
def test_names_keep_initials_only(name: str, masked: str) -> None:
    assert mask_public_name(name) == masked


@pytest.mark.parametrize(("statuses", "key", "text"), [
    ([], "received", "Đã tiếp nhận"),
    (["queued", "queued"], "received", "Đã tiếp nhận"),
    (["archived", "processing"], "processing", "Đang xử lý"),
    (["needs_review"], "processing", "Đang xử lý"),
    (["failed", "archived"], "processing", "Đang xử lý"),
    (["rejected", "archived"], "waiting", "Chờ bổ sung"),
    (["archived", "archived"], "done", "Đã số hóa xong, đang giải quyết"),
])
def test_citizen_status_from_document_statuses(statuses: list[str], key: str, text: str) -> None:
    status = public_status(statuses)
    assert (status.key, status.text_vi) == (key, text)


def test_token_bucket_allows_a_burst_then_one_per_refill() -> None:
    now = [100.0]
    bucket = TokenBucket(burst=3, refill_seconds=6.0, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(6.0)
    assert bucket.take("b") == 0.0  # per address
    now[0] += 3.0
    assert bucket.take("a") == pytest.approx(3.0)
    now[0] += 3.0
    assert bucket.take("a") == 0.0
    assert bucket.take("a") > 0


def test_lookup_codes_are_random_unambiguous_and_forgiving_to_type() -> None:
    codes = {new_lookup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == LENGTH >= 6 and set(c) <= set(ALPHABET) for c in codes)
    assert not set(ALPHABET) & set("01OIL")
    assert normalize_lookup_code(" 7kq4-mzp2 ") == "7KQ4MZP2"
