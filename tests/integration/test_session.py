"""Staff sessions through HTTP on the real stack (SeaweedFS; SQLite, and PostgreSQL): the login
cookie's attributes, CSRF on state-changing requests, logout, lock-out, agency scoping and
disabled accounts. Uploaded documents are not processed here (``submit`` only records them):
these tests are about who may call, not about the pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocr_service.api.app import create_app
from ocr_service.services import Services
from ocr_service.store import keys, repo, users
from ocr_service.store.index import Index, Role, StaffSession
from ocr_service.store.objects import ObjectStore
from tests.unit.test_api_auth import _error  # the error shape, both messages

PASSWORD = "mật khẩu của chị Lan 2026"
DOSSIER = {"procedure_code": "1.001193", "applicant_id_number": "001187012345"}


class Desk:
    """The app on a real index and object store, with helpers to make agencies and people."""

    def __init__(self, settings, index: Index, store: ObjectStore) -> None:
        self.settings, self.index, self.submitted = settings, index, []
        self.app = create_app(Services(settings, index, store), submit=self.submitted.append)
        self.client = TestClient(self.app)

    def agency(self) -> str:
        code = f"T{uuid.uuid4().hex[:8].upper()}"
        with self.index.session() as session:
            repo.create_agency(session, code, "UBND phường Thử Nghiệm")
        return code

    def person(self, agency: str, *roles: Role) -> str:
        username = f"lan.{uuid.uuid4().hex[:8]}"
        with self.index.session() as session:
            users.create_user(session, agency, username, "Nguyễn Thị Lan", roles or (Role.CLERK,),
                              PASSWORD, min_length=12)
        return username

    def key(self, agency: str, *roles: Role) -> dict[str, str]:
        with self.index.session() as session:
            _, plaintext = keys.create_key(session, agency, roles or (Role.CLERK,))
        return {"Authorization": f"Bearer {plaintext}"}

    def login(self, username: str, client: TestClient | None = None):
        """The login answer (its cookie is kept by ``client``)."""
        answer = (client or self.client).post("/v1/session",
                                              json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return answer


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path, s3_settings) -> Iterator[Desk]:
    url = (request.getfixturevalue("postgres_url") if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'index.sqlite3'}")
    settings = s3_settings(data_dir=tmp_path, database_url=url, login_max_failures=3,
                           login_lockout_minutes=15)
    index, store = Index.open(url), ObjectStore.from_settings(settings)
    store.ensure_buckets()
    desk = Desk(settings, index, store)
    with desk.client:
        yield desk
    store.close()
    index.close()


def _set_cookie(answer) -> SimpleCookie:
    headers = answer.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    cookie = SimpleCookie()
    cookie.load(headers[0])
    return cookie


def test_login_sets_an_httponly_strict_cookie_and_answers_who_and_the_csrf_token(desk: Desk):
    agency = desk.agency()
    username = desk.person(agency, Role.CLERK, Role.AUDITOR)
    answer = desk.client.post("/v1/session", json={"username": username.upper(),
                                                    "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"user", "roles", "agency", "csrf_token", "expires_at",
                         "idle_expires_at"}
    assert body["user"]["username"] == username and body["user"]["name"] == "Nguyễn Thị Lan"
    assert body["roles"] == ["auditor", "clerk"]
    assert body["agency"] == {"code": agency, "name": "UBND phường Thử Nghiệm"}
    assert len(body["csrf_token"]) >= 40 and body["expires_at"] > body["idle_expires_at"]

    morsel = _set_cookie(answer)["sohoa_session"]
    assert morsel["httponly"] is True and morsel["samesite"] == "strict"
    assert morsel["path"] == "/" and not morsel["secure"]  # plain HTTP, SOHOA_COOKIE_SECURE unset
    assert not morsel["max-age"] and not morsel["expires"]  # ends with the browser too
    token = morsel.value
    assert len(token) >= 43 and token != body["csrf_token"]
    with desk.index.session() as session:  # the database holds only the token's hash
        stored = session.query(StaffSession.token_hash).all()
        assert all(token not in row.token_hash for row in stored)
        assert users._token_hash(token) in {row.token_hash for row in stored}

    again = desk.client.get("/v1/session")  # the cookie the client kept
    assert again.status_code == 200 and again.json()["csrf_token"] == body["csrf_token"]
    assert again.json()["user"] == body["user"]

    over_https = TestClient(desk.app, base_url="https://desk.example")
    assert _set_cookie(desk.login(username, over_https))["sohoa_session"]["secure"] is True
    configured = TestClient(create_app(Services(
        desk.settings.model_copy(update={"cookie_secure": True}), desk.index,
        desk.app.state.hub.store), submit=desk.submitted.append))
    assert _set_cookie(configured.post("/v1/session", json={
        "username": username, "password": PASSWORD}))["sohoa_session"]["secure"] is True


def test_with_a_cookie_changes_need_the_csrf_token(desk: Desk):
    agency = desk.agency()
    csrf = desk.login(desk.person(agency)).json()["csrf_token"]
    _error(desk.client.post("/v1/dossiers", json=DOSSIER), 403, "csrf_failed")
    _error(desk.client.post("/v1/dossiers", json=DOSSIER,
                            headers={"X-CSRF-Token": csrf[:-2] + "xx"}), 403, "csrf_failed")
    created = desk.client.post("/v1/dossiers", json=DOSSIER, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    dossier = created.json()
    assert dossier["dossier_code"].startswith(f"{agency}-")
    read = desk.client.get(f"/v1/dossiers/{dossier['id']}")  # reading needs no token
    assert read.status_code == 200 and read.json()["dossier_code"] == dossier["dossier_code"]
    upload = desk.client.post(f"/v1/dossiers/{dossier['id']}/documents",
                              headers={"X-CSRF-Token": csrf},
                              files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)})
    assert upload.status_code == 202 and desk.submitted == [upload.json()["id"]], upload.text
    _error(desk.client.post(f"/v1/dossiers/{dossier['id']}/documents",
                            files={"file": ("a.png", b"\x89PNG")}), 403, "csrf_failed")
    key = desk.key(agency)  # a bearer key never needs the token, cookie or not
    by_key = desk.client.post("/v1/dossiers", json=DOSSIER, headers=key)
    assert by_key.status_code == 201, by_key.text


def test_roles_of_the_person_apply(desk: Desk):
    agency = desk.agency()
    csrf = desk.login(desk.person(agency, Role.AUDITOR)).json()["csrf_token"]
    _error(desk.client.post("/v1/dossiers", json=DOSSIER, headers={"X-CSRF-Token": csrf}),
           403, "forbidden")


def test_logout_ends_the_session_at_once(desk: Desk):
    agency = desk.agency()
    csrf = desk.login(desk.person(agency)).json()["csrf_token"]
    token = desk.client.cookies["sohoa_session"]
    _error(desk.client.delete("/v1/session"), 403, "csrf_failed")
    assert desk.client.get("/v1/session").status_code == 200  # still logged in
    answer = desk.client.delete("/v1/session", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    cleared = _set_cookie(answer)["sohoa_session"]
    assert cleared.value == "" or cleared["max-age"] == "0"
    kept = TestClient(desk.app, cookies={"sohoa_session": token})  # a copy of the old cookie
    _error(kept.get("/v1/session"), 401, "unauthorized")
    _error(kept.post("/v1/dossiers", json=DOSSIER, headers={"X-CSRF-Token": csrf}),
           401, "unauthorized")
    assert kept.delete("/v1/session").status_code == 204  # logging out twice is no error


def test_repeated_wrong_passwords_lock_the_account(desk: Desk):
    agency = desk.agency()
    username = desk.person(agency)
    wrong = {"username": username, "password": "không phải mật khẩu"}
    for _ in range(2):
        _error(desk.client.post("/v1/session", json=wrong), 401, "login_failed")
    locked = desk.client.post("/v1/session", json=wrong)
    error = _error(locked, 423, "account_locked")
    assert locked.headers["retry-after"] == "900"
    assert "15" in error["message"] and "15 phút" in error["message_vi"]
    right = desk.client.post("/v1/session", json={"username": username, "password": PASSWORD})
    _error(right, 423, "account_locked")
    assert "set-cookie" not in right.headers
    unknown = desk.client.post("/v1/session", json={"username": "khong.co.ai",
                                                    "password": PASSWORD})
    assert _error(unknown, 401, "login_failed") == _error(
        desk.client.post("/v1/session", json={"username": desk.person(agency),
                                              "password": "sai"}), 401, "login_failed")


def test_another_agencys_person_gets_404_and_a_disabled_one_is_refused(desk: Desk):
    mine, theirs = desk.agency(), desk.agency()
    dossier = desk.client.post("/v1/dossiers", json=DOSSIER, headers=desk.key(mine)).json()["id"]
    other = TestClient(desk.app)
    desk.login(desk.person(theirs, Role.CLERK, Role.ADMIN), other)
    for path in (f"/v1/dossiers/{dossier}", f"/v1/dossiers/{uuid.uuid4()}"):
        _error(other.get(path), 404, "not_found")

    username = desk.person(mine)
    csrf = desk.login(username).json()["csrf_token"]
    assert desk.client.get(f"/v1/dossiers/{dossier}").status_code == 200
    with desk.index.session() as session:
        users.disable_user(session, username)
    _error(desk.client.get(f"/v1/dossiers/{dossier}"), 401, "unauthorized")
    _error(desk.client.post("/v1/dossiers", json=DOSSIER, headers={"X-CSRF-Token": csrf}),
           401, "unauthorized")
    _error(desk.client.post("/v1/session", json={"username": username, "password": PASSWORD}),
           401, "login_failed")


def test_a_key_asking_who_it_is_gets_no_person(desk: Desk):
    agency = desk.agency()
    answer = desk.client.get("/v1/session", headers=desk.key(agency, Role.SYSTEM))
    assert answer.status_code == 200
    assert answer.json() == {"user": None, "roles": ["system"],
                             "agency": {"code": agency, "name": "UBND phường Thử Nghiệm"},
                             "csrf_token": None, "expires_at": None, "idle_expires_at": None}
    _error(TestClient(desk.app).get("/v1/session"), 401, "unauthorized")
