"""``GET /v/{record_id}``, the page a record's QR code opens: no key, the record's state, type,
agency, time and hash, no personal data; a file's hash compared with the archived one; 404 for an
unknown id."""

from __future__ import annotations

import uuid

import pytest

from tests.public_records import AGENCY_CODE, AGENCY_NAME, OWNER, archive, public_client

RECORD, SHA = str(uuid.uuid4()), "ab" * 32
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    client, index = public_client(tmp_path_factory.mktemp("public"))
    archive(index, RECORD, SHA)
    with client:
        yield client, index


def test_the_page_says_state_type_agency_time_and_hash_without_a_key(client):
    web, _ = client
    answer = web.get(f"/v/{RECORD}", headers=JSON)
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("record_id", "exists", "state", "valid", "document_type",
                                 "sha256")} == {
        "record_id": RECORD, "exists": True, "state": "valid", "valid": True,
        "document_type": "cccd", "sha256": SHA}
    assert body["agency"] == {"code": AGENCY_CODE, "name": AGENCY_NAME}
    assert body["archived_at"].endswith("+07:00")
    assert OWNER not in answer.text
    page = web.get(f"/v/{RECORD}")
    assert page.status_code == 200 and 'lang="vi"' in page.text
    assert "Còn hiệu lực" in page.text and SHA in page.text and OWNER not in page.text


def test_a_file_hash_is_compared_with_the_archived_one(client):
    web, _ = client
    same = web.get(f"/v/{RECORD}", params={"sha256": SHA.upper()}, headers=JSON).json()
    assert same["compared"] == {"sha256": SHA, "well_formed": True, "matches": True}
    other = web.get(f"/v/{RECORD}", params={"sha256": "cd" * 32}, headers=JSON).json()
    assert other["compared"]["matches"] is False
    assert "KHÁC bản lưu trữ" in web.get(f"/v/{RECORD}", params={"sha256": "cd" * 32}).text


@pytest.mark.parametrize("state, words", [("revoked", "Đã bị thu hồi"),
                                          ("superseded", "Đã được thay thế")])
def test_a_revoked_or_superseded_record_says_so(client, state, words):
    web, index = client
    record = str(uuid.uuid4())
    archive(index, record, "ef" * 32, state=state)
    body = web.get(f"/v/{record}", headers=JSON).json()
    assert (body["state"], body["valid"]) == (state, False)
    assert words in web.get(f"/v/{record}").text


def test_an_unknown_or_malformed_id_is_404(client):
    web, _ = client
    for record in (str(uuid.uuid4()), "not-a-uuid"):
        answer = web.get(f"/v/{record}", headers=JSON)
        assert answer.status_code == 404
        assert answer.json()["error"]["message_vi"] == "Không có hồ sơ điện tử nào mang mã này."
        assert web.get(f"/v/{record}").status_code == 404
