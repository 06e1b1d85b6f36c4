"""API keys and roles on every route, agency scoping, idempotency and the error shape, through
the real app on a SQLite index. Storage is an in-memory stand-in here (the routes that store
and read objects are tested against SeaweedFS in tests/integration/test_api_service.py)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from ocr_service.api.app import create_app
from ocr_service.config import Settings
from ocr_service.errors import InputError
from ocr_service.services import Services
from ocr_service.store import audit, keys, repo
from ocr_service.store.index import AuditEvent, DocumentStatus, Index, Role
from ocr_service.store.objects import RawObject

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the type check reads magic bytes only


class MemoryStore:
    """What the routes call on ``ObjectStore``, kept in a dict."""

    def __init__(self) -> None:
        self.raw: dict[str, bytes] = {}

    def put_raw(self, data: bytes, *, agency: str, dossier_id: str, filename: str,
                media_type: str) -> RawObject:
        digest = hashlib.sha256(data).hexdigest()
        key = f"raw/{agency}/{dossier_id}/{digest}"
        self.raw[key] = data
        return RawObject(key, digest, len(data))

    def put_anchor(self, key: str, data: bytes) -> None:
        self.raw[key] = data

    def latest_anchor(self, prefix: str) -> bytes | None:
        keys = [key for key in self.raw if key.startswith(prefix)]
        return self.raw[max(keys)] if keys else None

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


class Stack:
    def __init__(self, tmp: Path) -> None:
        settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'index.sqlite3'}")
        self.index = Index.open(settings.database_url)
        self.store = MemoryStore()
        self.submitted: list[str] = []
        self.app = create_app(Services(settings, self.index, self.store),
                              submit=self.submitted.append)
        self.client = TestClient(self.app)

    def key(self, *roles: Role, agency: str = "000.00.10.H29") -> dict[str, str]:
        with self.index.session() as session:
            repo.ensure_agency(session, agency, "UBND phường Thử Nghiệm")
            _, plaintext = keys.create_key(session, agency, roles)
        return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("api"))
    with stack.client:
        yield stack
    stack.index.close()


def _dossier(stack: Stack, headers: dict[str, str], **extra: str) -> dict:
    answer = stack.client.post("/v1/dossiers", headers={**headers, **extra}, json={
        "procedure_code": "1.001193", "applicant_id_number": "001187012345"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_vi"] and error["message"] != error["message_vi"]
    return error


UNKNOWN = uuid.UUID("5f0c3a1e-0000-4000-8000-000000000001")
"""An id nobody was given: fixed, so that test ids are the same in every collection
(``pytest -n``'s workers must collect the same tests)."""


@pytest.mark.parametrize("header", [
    None, "Bearer sohoa_0123456789ab_wrongsecret", "Bearer not-a-key", "Basic dXNlcjpwYXNz",
])
@pytest.mark.parametrize("method, path", [
    ("POST", "/v1/dossiers"), ("GET", f"/v1/dossiers/{UNKNOWN}"),
    ("GET", "/v1/records?owner_id=001187012345"), ("GET", f"/v1/records/{UNKNOWN}"),
    ("GET", f"/v1/records/{UNKNOWN}/pdf"), ("POST", "/v1/verify"), ("POST", "/v1/extract"),
    ("GET", "/metrics"), ("POST", f"/v1/dossiers/{UNKNOWN}/documents"),
    ("GET", "/v1/dossiers/not-an-id"), ("GET", "/v1/records/not-an-id/pdf"),
    ("POST", f"/v1/records/{UNKNOWN}/revoke"),
])
def test_every_endpoint_but_health_needs_a_valid_key(stack: Stack, method, path, header) -> None:
    headers = {"Authorization": header} if header else {}
    answer = stack.client.request(method, path, headers=headers)
    error = _error(answer, 401, "unauthorized")
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    assert "khóa API" in error["message_vi"]


def test_health_and_readiness_are_open(stack: Stack) -> None:
    assert stack.client.get("/healthz").json()["status"] == "ok"
    ready = stack.client.get("/readyz")
    assert ready.status_code in (200, 503)
    assert set(ready.json()["checks"]) == {"database", "storage", "broker", "models"}
    assert ready.json()["checks"]["database"] == "ok"


def test_a_revoked_key_is_refused(stack: Stack) -> None:
    headers = stack.key(Role.CLERK)
    assert stack.client.get("/v1/records?owner_id=1", headers=headers).status_code == 200
    with stack.index.session() as session:
        key = keys.authenticate(session, headers["Authorization"].split()[1])
        keys.revoke_key(session, key.agency_id, key.id)
    _error(stack.client.get("/v1/records?owner_id=1", headers=headers), 401, "unauthorized")


ROUTES = {
    "create_dossier": ("POST", "/v1/dossiers"),
    "upload": ("POST", "/v1/dossiers/{dossier}/documents"),
    "read_dossier": ("GET", "/v1/dossiers/{dossier}"),
    "search_records": ("GET", "/v1/records?owner_id=001187012345"),
    "read_record": ("GET", "/v1/records/{record}"),
    "read_pdf": ("GET", "/v1/records/{record}/pdf"),
    "metrics": ("GET", "/metrics"),
    "revoke_record": ("POST", "/v1/records/{record}/revoke"),
}
ALLOWED = {
    Role.CLERK: {"create_dossier", "upload", "read_dossier", "search_records", "read_record",
                 "read_pdf"},
    Role.OPERATOR: {"create_dossier", "upload", "read_dossier"},
    Role.SYSTEM: {"create_dossier", "upload", "read_dossier", "search_records", "read_record",
                  "read_pdf"},
    Role.AUDITOR: {"search_records", "read_record", "read_pdf"},
    Role.ADMIN: set(ROUTES),
}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_roles_allow_their_routes_only(stack: Stack, role: Role) -> None:
    dossier = _dossier(stack, stack.key(Role.CLERK))["id"]
    headers = stack.key(role)
    for name, (method, path) in ROUTES.items():
        url = path.format(dossier=dossier, record=uuid.uuid4())
        kwargs: dict = {"headers": headers}
        if name == "create_dossier":
            kwargs["json"] = {"procedure_code": "1.1", "applicant_id_number": "001187012345"}
        elif name == "upload":
            kwargs["files"] = {"file": ("scan.png", PNG + role.encode(), "image/png")}
        elif name == "revoke_record":
            kwargs["json"] = {"reason": "thử"}
        answer = stack.client.request(method, url, **kwargs)
        if name in ALLOWED[role]:
            assert answer.status_code in (200, 201, 202, 404), (name, answer.text)
        else:
            error = _error(answer, 403, "forbidden")
            assert role.value in error["message"] and "vai trò" in error["message_vi"].lower()


def test_another_agencys_dossier_is_not_found_like_a_missing_one(stack: Stack) -> None:
    mine, theirs = stack.key(Role.CLERK), stack.key(Role.ADMIN, agency="000.00.20.H30")
    dossier = _dossier(stack, mine)["id"]
    assert stack.client.get(f"/v1/dossiers/{dossier}", headers=mine).status_code == 200
    for url in (f"/v1/dossiers/{dossier}", f"/v1/dossiers/{uuid.uuid4()}", "/v1/dossiers/nope"):
        error = _error(stack.client.get(url, headers=theirs), 404, "not_found")
        assert error["message_vi"] == "Không tìm thấy hồ sơ."
    upload = stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=theirs,
                               files={"file": ("a.png", PNG + b"theirs", "image/png")})
    _error(upload, 404, "not_found")
    assert not [k for k in stack.store.raw if k.endswith(hashlib.sha256(
        PNG + b"theirs").hexdigest())], "nothing is stored for a dossier the key cannot see"


def test_the_same_bytes_are_one_document_and_queued_when_stored(stack: Stack) -> None:
    headers = stack.key(Role.SYSTEM)
    dossier = _dossier(stack, headers)["id"]
    url = f"/v1/dossiers/{dossier}/documents"
    first = stack.client.post(url, headers=headers, files={"file": ("a.png", PNG, "image/png")},
                              data={"component": "Căn cước công dân"})
    again = stack.client.post(url, headers=headers, files={"file": ("b.png", PNG, "image/png")})
    assert first.status_code == again.status_code == 202, first.text
    assert first.json() == again.json() == {"id": first.json()["id"], "status": "queued"}
    assert stack.submitted.count(first.json()["id"]) == 2  # still queued: queued again
    status = stack.client.get(f"/v1/dossiers/{dossier}", headers=headers).json()
    [document] = status["documents"]
    assert document["component"] == "Căn cước công dân" and document["filename"] == "a.png"
    assert (document["status"], document["progress"], document["error"]) == ("queued", 0.0, None)


@pytest.mark.parametrize("name, data, status, code", [
    ("notes.txt", "không phải ảnh quét".encode(), 415, "unsupported_type"),
    ("empty.png", b"", 422, "empty_file"),
])
def test_a_bad_upload_is_refused_before_anything_is_stored(stack, name, data, status, code):
    headers = stack.key(Role.CLERK)
    dossier = _dossier(stack, headers)["id"]
    before = (dict(stack.store.raw), list(stack.submitted))
    answer = stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=headers,
                               files={"file": (name, data, "application/octet-stream")})
    _error(answer, status, code)
    assert (stack.store.raw, stack.submitted) == before


def test_idempotency_key_replays_the_answer_and_refuses_another_request(stack: Stack) -> None:
    headers = stack.key(Role.CLERK)
    replay_key = {"Idempotency-Key": str(uuid.uuid4())}
    first = _dossier(stack, headers, **replay_key)
    answer = stack.client.post("/v1/dossiers", headers={**headers, **replay_key}, json={
        "procedure_code": "1.001193", "applicant_id_number": "001187012345"})
    assert answer.status_code == 201 and answer.json() == first
    assert answer.headers["Idempotent-Replayed"] == "true"
    other = stack.client.post("/v1/dossiers", headers={**headers, **replay_key}, json={
        "procedure_code": "1.009999", "applicant_id_number": "001187012345"})
    _error(other, 409, "idempotency_conflict")
    elsewhere = stack.key(Role.CLERK, agency="000.00.30.H31")  # keys are per agency
    assert _dossier(stack, elsewhere, **replay_key)["id"] != first["id"]
    bad = stack.client.post("/v1/dossiers", headers={**headers, "Idempotency-Key": "x" * 256},
                            json={"procedure_code": "1.1", "applicant_id_number": "001187012345"})
    _error(bad, 400, "bad_idempotency_key")


def test_a_bad_request_body_answers_both_languages(stack: Stack) -> None:
    answer = stack.client.post("/v1/dossiers", headers=stack.key(Role.CLERK),
                               json={"procedure_code": "1.1", "applicant_id_number": "12 34"})
    _error(answer, 422, "bad_request")


def test_metrics_count_requests_by_route_template_and_documents_by_status(stack: Stack) -> None:
    headers = stack.key(Role.ADMIN, agency="000.00.40.H32")
    dossier = _dossier(stack, headers)["id"]
    stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=headers,
                      files={"file": ("m.png", PNG + b"metrics", "image/png")})
    stack.client.get(f"/v1/dossiers/{dossier}", headers=headers)
    other = stack.key(Role.ADMIN, agency="000.00.41.H33")
    stack.client.get("/v1/records?owner_id=1", headers=other)
    text = stack.client.get("/metrics", headers=headers).text
    assert 'route="/v1/dossiers/{dossier_id}"' in text and dossier not in text
    assert ('sohoa_http_request_duration_seconds_bucket{agency="000.00.40.H32",'
            'le="0.005",method="GET"') in text
    assert 'sohoa_documents{status="queued"} 1.0' in text
    assert 'sohoa_documents{status="archived"} 0.0' in text
    # Another agency's requests are counted, but shown to that agency's admin only.
    assert "000.00.41.H33" not in text and 'route="/v1/records"' not in text
    theirs = stack.client.get("/metrics", headers=other).text
    assert 'agency="000.00.41.H33",method="GET",route="/v1/records"' in theirs
    assert "000.00.40.H32" not in theirs


def test_every_state_change_is_in_an_intact_audit_chain(stack: Stack) -> None:
    with stack.index.session() as session:
        assert audit.verify_chain(session) == []


def test_a_failed_document_shows_its_reason_in_both_languages(stack: Stack) -> None:
    headers = stack.key(Role.OPERATOR)
    dossier = _dossier(stack, headers)["id"]
    answer = stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=headers,
                               files={"file": ("x.png", PNG + b"broken", "image/png")})
    document = uuid.UUID(answer.json()["id"])
    with stack.index.session() as session:
        agency = keys.authenticate(session, headers["Authorization"].split()[1]).agency_id
        repo.set_document_status(session, agency, document, DocumentStatus.FAILED, stage="intake",
                                 error=InputError("The file is damaged.", "Tệp bị hỏng.",
                                                  code="corrupt_file"))
    [shown] = stack.client.get(f"/v1/dossiers/{dossier}", headers=headers).json()["documents"]
    assert (shown["status"], shown["stage"]) == ("failed", "intake")
    assert shown["error"] == {"code": "corrupt_file", "message": "The file is damaged.",
                              "message_vi": "Tệp bị hỏng."}


def test_a_document_the_broker_refused_is_kept_and_queued_by_the_next_upload(stack: Stack) -> None:
    def broker_down(_: str) -> None:
        raise ConnectionError("redis")

    headers = stack.key(Role.SYSTEM)
    dossier = _dossier(stack, headers)["id"]
    upload = {"file": ("late.png", PNG + b"broker", "image/png")}
    down = create_app(Services(stack.app.state.hub.settings, stack.index, stack.store),
                      submit=broker_down)
    with TestClient(down) as client:
        refused = client.post(f"/v1/dossiers/{dossier}/documents", headers=headers, files=upload)
    _error(refused, 503, "broker_unavailable")
    [kept] = stack.client.get(f"/v1/dossiers/{dossier}", headers=headers).json()["documents"]
    assert kept["status"] == "queued"
    retried = stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=headers, files=upload)
    assert retried.json() == {"id": kept["id"], "status": "queued"}
    assert stack.submitted[-1] == kept["id"]


# --------------------------------------------------------------------------------------------------
# Keys and the audit trail through the API (issue 17)


def _prefix_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1].split("_")[1]


def test_an_admin_lists_and_revokes_the_agencys_keys_and_no_others(stack: Stack) -> None:
    agency, other = "000.00.50.H33", "000.00.51.H34"
    admin, clerk = stack.key(Role.ADMIN, agency=agency), stack.key(Role.CLERK, agency=agency)
    theirs = stack.key(Role.ADMIN, agency=other)
    listed = stack.client.get("/v1/keys", headers=admin).json()["items"]
    assert {k["prefix"] for k in listed} == {_prefix_of(admin), _prefix_of(clerk)}
    assert all(set(k) == {"prefix", "roles", "label", "created_at", "revoked_at"} for k in listed)
    target = f"/v1/keys/{_prefix_of(clerk)}"
    _error(stack.client.delete(target, headers=clerk), 403, "forbidden")
    _error(stack.client.delete(target, headers=theirs), 404, "not_found")
    assert stack.client.get("/v1/records?owner_id=1", headers=clerk).status_code == 200
    revoked = stack.client.delete(target, headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"], revoked.text
    _error(stack.client.get("/v1/records?owner_id=1", headers=clerk), 401, "unauthorized")
    again = stack.client.delete(target, headers=admin)  # idempotent: same answer, no new event
    assert again.json() == revoked.json()
    with stack.index.session() as session:
        key = keys.authenticate(session, admin["Authorization"].split()[1])
        actions = [e.action for e in audit.list_events(session, key.agency_id, limit=500)]
    assert actions.count("key.revoked") == 1


def test_an_auditor_pages_through_the_trail_and_verifies_the_chain(stack: Stack) -> None:
    agency = "000.00.60.H35"
    auditor, admin = stack.key(Role.AUDITOR, agency=agency), stack.key(Role.ADMIN, agency=agency)
    _error(stack.client.get("/v1/audit", headers=stack.key(Role.CLERK, agency=agency)), 403,
           "forbidden")  # the agency and its three keys: four events
    first = stack.client.get("/v1/audit", headers=auditor, params={"limit": 2}).json()
    assert [e["seq"] for e in first["items"]] == [1, 2] and first["next_after"] == 2
    rest = stack.client.get("/v1/audit", headers=auditor, params={"after": 2}).json()
    assert [e["seq"] for e in rest["items"]] == [3, 4] and rest["next_after"] is None
    assert rest["items"][0]["prev_hash"] == first["items"][1]["hash"]
    assert [e["action"] for e in first["items"] + rest["items"]].count("key.created") == 3
    check = stack.client.get("/v1/audit/verify", headers=admin).json()
    assert check == {"intact": True, "events": 4, "head": rest["items"][-1]["hash"],
                     "problems": []}
    # someone with write access to the (SQLite) database edits an event: the check says where
    with stack.index.session() as session:
        agency_id = keys.authenticate(session, auditor["Authorization"].split()[1]).agency_id
        session.execute(update(AuditEvent.__table__).where(
            AuditEvent.agency_id == agency_id, AuditEvent.seq == 2).values(action="key.hidden"))
    broken = stack.client.get("/v1/audit/verify", headers=auditor).json()
    assert broken["intact"] is False
    assert [(p["seq"], p["kind"]) for p in broken["problems"]] == [(2, "edited")]


@pytest.mark.parametrize("manifest", [
    b'{"pdf": "x"}', b'{"pdf": null}', b'{"pdf": {"sha256": 5}}', b"[1, 2]", b"{",
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
])
def test_a_bad_manifest_is_a_422_never_a_500(stack: Stack, manifest: bytes) -> None:
    answer = stack.client.post("/v1/verify", headers=stack.key(Role.CLERK), files={
        "file": ("r.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf"),
        "manifest": ("m.json", manifest, "application/json")})
    error = _error(answer, 422, "bad_manifest")
    assert "bản kê" in error["message_vi"].lower()


def test_two_file_parts_are_refused_not_one_taken_silently(stack: Stack) -> None:
    headers = stack.key(Role.CLERK)
    dossier = _dossier(stack, headers)["id"]
    before = dict(stack.store.raw)
    answer = stack.client.post(f"/v1/dossiers/{dossier}/documents", headers=headers, files=[
        ("file", ("a.png", PNG + b"first", "image/png")),
        ("file", ("b.png", PNG + b"second", "image/png"))])
    error = _error(answer, 422, "repeated_part")
    assert "“file”" in error["message"] and "“file”" in error["message_vi"]
    assert stack.store.raw == before


class SoundSignatures:
    """``verify_pdf``'s report on a file whose signatures all hold."""

    valid = True

    def as_dict(self) -> dict:
        return {"reasons": [], "signatures": []}


def test_a_record_revoked_by_its_agency_is_not_valid_for_another(stack: Stack,
                                                                monkeypatch) -> None:
    from ocr_service.api.routers import verify
    from tests.index_checks import dossier_with_record

    monkeypatch.setattr(verify, "verify_pdf", lambda *_: SoundSignatures())
    monkeypatch.setattr(verify, "trust_roots", lambda _: [])
    pdf = b"%PDF-1.7\n% a signed e-record\n%%EOF\n"
    maker, receiver = stack.key(Role.ADMIN, agency="000.00.80.H37"), stack.key(
        Role.CLERK, agency="000.00.81.H38")
    with stack.index.session() as session:
        agency = keys.authenticate(session, maker["Authorization"].split()[1]).agency_id
    _, _, record_id = dossier_with_record(stack.index, agency)
    with stack.index.session() as session:
        record = repo.get_record(session, agency, record_id)
        record.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        repo.revoke_record(session, agency, record_id, reason="cấp nhầm")
    answer = stack.client.post("/v1/verify", headers={**receiver, "Idempotency-Key": "v-1"},
                               files={"file": ("r.pdf", pdf, "application/pdf")}).json()
    assert answer["valid"] is False
    assert answer["archived"] == {"record_id": str(record_id), "state": "revoked",
                                  "superseded_by": None}  # nothing of the owner or contents
    assert "thu hồi" in answer["reasons"][-1]["message_vi"]
    with stack.index.session() as session:  # the check is in the holding agency's trail
        [event] = [e for e in audit.list_events(session, agency, limit=500)
                   if e.action == "record.verified"]
    assert event.actor_key_id is None and event.details["by_agency"] == "000.00.81.H38"
