"""The desk's pages without a browser (issue 13): who gets a page, in which language, with which
headers, and the words and labels they are rendered from. The browser flow is tests/e2e."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocr_service.api.app import create_app
from ocr_service.api.routers.desk import field_labels, procedure_choices
from ocr_service.config import Settings
from ocr_service.services import Services
from ocr_service.store import repo, users
from ocr_service.store.index import Index
from ocr_service.web.desk_text import EN, JS_EN, JS_VI, VI
from tests.unit.test_api_auth import MemoryStore

PASSWORD = "mat-khau-thu-nghiem-2026"
PAGES = ["/desk/", "/desk/review", "/desk/records", "/desk/dossiers/5f0c3a1e-0000-4000-8000-000000000003",
         "/desk/review/5f0c3a1e-0000-4000-8000-000000000004"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp: Path = tmp_path_factory.mktemp("desk")
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'index.sqlite3'}")
    index = Index.open(settings.database_url)
    with index.session() as session:
        repo.ensure_agency(session, "000.00.10.H29", "UBND phường Ba Đình")
        users.create_user(session, "000.00.10.H29", "lan", "Nguyễn Thị Lan", ["clerk"], PASSWORD,
                          min_length=12)
    with TestClient(create_app(Services(settings, index, MemoryStore()),
                               submit=lambda _: None)) as client:
        yield client
    index.close()


def test_both_languages_have_every_word_in_nfc() -> None:
    assert VI.keys() == EN.keys() and JS_VI.keys() == JS_EN.keys()
    for text in [*VI.values(), *JS_VI.values()]:
        assert text and unicodedata.is_normalized("NFC", text), text
    assert VI["read_card"] == "Đọc thẻ CCCD" and JS_VI["hint.quality"].startswith("Quét lại bản màu")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_sends_the_clerk_to_log_in_and_back(client: TestClient,
                                                                      path: str) -> None:
    client.cookies.clear()
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/desk/login?next=" + path.replace("/", "%2F")


def test_pages_are_vietnamese_by_default_english_on_request_and_locked_down(
        client: TestClient) -> None:
    client.cookies.clear()
    login = client.get("/desk/login")
    assert login.status_code == 200
    assert '<html lang="vi">' in login.text and '<label for="username">Tên đăng nhập</label>' \
        in login.text
    assert login.headers["content-security-policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert login.headers["cache-control"] == "no-store"
    assert client.post("/v1/session", json={"username": "lan", "password": PASSWORD}
                       ).status_code == 200
    english = client.get("/desk/?lang=en")
    assert '<html lang="en">' in english.text and "New dossier" in english.text
    assert client.get("/desk/").text.count('<html lang="en">') == 1  # kept in a cookie
    intake = client.get("/desk/?lang=vi").text
    assert "Tiếp nhận hồ sơ mới" in intake and "Nguyễn Thị Lan" in intake
    # every input, select and textarea has a label naming it
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', intake)
    assert ids and all(f'for="{i}"' in intake for i in ids), ids
    assert 'capture="environment" multiple' in intake
    assert 'accept="image/*,application/pdf"' in intake
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', intake)
    assert token and token.group(1) == client.get("/v1/session").json()["csrf_token"]
    assert client.get("/static/desk/desk.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))


def test_the_intake_lists_the_catalogue_and_review_labels_come_from_the_form_specs() -> None:
    codes = {p["code"]: p for p in procedure_choices()}
    assert {"1.001193", "1.004222"} <= codes.keys()
    assert any(c["form_type"] == "cccd" for c in codes["1.004222"]["components"])
    vi, en = field_labels("vi"), field_labels("en")
    assert vi["residence_change"]["household_head_name"] == "Họ, chữ đệm và tên chủ hộ"
    assert en["residence_change"]["household_head_name"] == "Household head name"
    assert vi["residence_change"]["members.id_number"] == "Số định danh cá nhân"
    assert vi["cccd"]["id_number"] == "Số định danh cá nhân"
