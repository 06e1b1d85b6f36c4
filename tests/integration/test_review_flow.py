"""Review before signing, through HTTP, on real SeaweedFS (S3) and SQLite: a document stops for a
person before anything is signed; corrections, approval, rejection, reprocessing and supersede;
agency scoping and roles on every new route. The workers' own tasks run eagerly inside ``submit``
(``test_api_service.Service``); a worker killed between approval and archive is in
``test_workers.py``."""

from __future__ import annotations

import io
import json
import uuid

import pikepdf
import pytest
from PIL import Image

from ocr_service.config import REPO_ROOT
from ocr_service.errors import ObjectNotFound
from ocr_service.store.index import Record, Role
from tests.integration.test_api_service import (  # noqa: F401 - fixtures
    AGENCY,
    OTHER,
    PAGES,
    Service,
    _error,
    _png,
    pipeline,
    service,
)
from workers.tasks import record_id_for

CARD = (REPO_ROOT / "samples" / "forms" / "cccd-01.pdf").read_bytes()
CARD_FIELDS = json.loads((REPO_ROOT / "samples" / "forms" / "cccd-01.json").read_text())["fields"]
NO_NUMBER = _png("CĂN CƯỚC CÔNG DÂN", "Họ và tên / Full name:", "NGUYỄN VĂN AN",
                 "Ngày sinh / Date of birth: 01/02/1987", "Giới tính / Sex: Nam",
                 "Quốc tịch / Nationality: Việt Nam")
"""An ID card page without its number: classified ``cccd`` with ``id_number`` missing."""
APPLICANT = "001187012345"
CORRECTED_ID = "072196012345"  # Tây Ninh (072), a woman born in 1996, as on the card


def dossier(service: Service, headers: dict[str, str], review: object) -> str:
    answer = service.client.post("/v1/dossiers", headers=headers, json={
        "procedure_code": "1.001193", "applicant_id_number": APPLICANT, "review": review})
    assert answer.status_code == 201, answer.text
    assert service.client.get(f"/v1/dossiers/{answer.json()['id']}",
                              headers=headers).json()["review"] == (
        {True: "always", False: "never"}.get(review, review))  # type: ignore[call-overload]
    return answer.json()["id"]


def upload(service: Service, headers: dict[str, str], dossier_id: str, name: str,
           data: bytes) -> dict:
    answer = service.upload(headers, dossier_id, name, data)
    assert answer.status_code == 202, answer.text
    return doc(service, headers, answer.json()["id"])


def doc(service: Service, headers: dict[str, str], document_id: str) -> dict:
    answer = service.client.get(f"/v1/documents/{document_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_nothing_signed(service: Service, document: dict) -> None:
    assert document["record_id"] is None
    with service.index.session() as session:
        assert session.query(Record).filter(
            Record.document_id == uuid.UUID(document["id"])).count() == 0
    with pytest.raises(ObjectNotFound):
        service.store.get_record_pdf(str(record_id_for(document["id"], document["generation"])))


def attached_extraction(pdf: bytes) -> dict:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return json.loads(opened.attachments["extraction.json"].get_file().read_bytes())


def test_always_stops_for_a_person_who_corrects_and_approves(service: Service) -> None:
    clerk = service.key(AGENCY, Role.CLERK)
    document = upload(service, clerk, dossier(service, clerk, True), "cccd.pdf", CARD)
    assert document["status"] == "needs_review" and document["form_type"] == "cccd"
    assert_nothing_signed(service, document)
    assert document["fields"]["full_name"]["value"] == CARD_FIELDS["full_name"]
    assert [h["status"] for h in document["history"]] == ["queued", "processing",
                                                           "needs_review"]
    # The page images, in the coordinates of the field boxes.
    [page1, page2] = document["pages"][:2]
    image = service.client.get(page1["image_url"], headers=clerk)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (page1["width"], page1["height"])
    small = service.client.get(page2["image_url"], headers=clerk, params={"width": 200})
    assert Image.open(io.BytesIO(small.content)).size[0] == 200
    assert service.client.get(f"/v1/documents/{document['id']}/pages/9",
                              headers=clerk).status_code == 404

    # A correction is checked at once: a number that disagrees with the sex stays flagged.
    path = f"/v1/documents/{document['id']}"
    wrong = service.client.patch(f"{path}/fields", headers=clerk,
                                 json={"fields": {"id_number": "072096012345"}}).json()
    assert "id_number" in wrong["flagged"]
    assert "id_number.sex" in [r["code"] for r in wrong["fields"]["id_number"]["reasons"]]
    fixed = service.client.patch(f"{path}/fields", headers=clerk,
                                 json={"fields": {"id_number": CORRECTED_ID}}).json()
    assert fixed["fields"]["id_number"]["value"] == CORRECTED_ID
    assert "id_number" not in fixed["flagged"]
    assert [(c["field"], c["new_value"]) for c in fixed["corrections"]] == [
        ("id_number", "072096012345"), ("id_number", CORRECTED_ID)]
    reading = fixed["fields"]["id_number"]["raw"]
    assert fixed["corrections"][0]["reading"] == reading
    queue = service.client.get("/v1/documents", headers=clerk).json()["items"]
    assert document["id"] in [d["id"] for d in queue]
    waiting = next(d for d in queue if d["id"] == document["id"])
    assert waiting["status"] == "needs_review" and waiting["dossier_code"]
    other = service.client.get("/v1/documents", headers=service.key(OTHER, Role.CLERK)).json()
    assert document["id"] not in [d["id"] for d in other["items"]]
    unknown = service.client.patch(f"{path}/fields", headers=clerk,
                                   json={"fields": {"shoe_size": "42"}})
    assert "shoe_size" in _error(unknown, 422)["message"]

    approved = service.client.post(f"{path}/approve", headers=clerk,
                                   json={"accept_flagged": fixed["flagged"]})
    assert approved.status_code == 202, approved.text
    done = doc(service, clerk, document["id"])
    assert done["status"] == "archived" and done["record_id"] == str(
        record_id_for(document["id"]))
    manifest = service.client.get(f"/v1/records/{done['record_id']}", headers=clerk).json()
    assert manifest["owner_id_number"] == CORRECTED_ID
    assert manifest["fields"]["id_number"]["value"] == CORRECTED_ID
    assert manifest["fields"]["id_number"]["raw"] == reading
    approval = manifest["approval"]
    assert approval["approved_by"]["kind"] == "key" and approval["approved_at"]
    assert [c["new_value"] for c in approval["corrections"]] == ["072096012345", CORRECTED_ID]
    pdf = service.client.get(f"/v1/records/{done['record_id']}/pdf", headers=clerk).content
    attached = attached_extraction(pdf)
    assert attached["fields"]["id_number"]["value"] == CORRECTED_ID
    assert attached["approval"] == approval
    found = service.client.get("/v1/records", headers=clerk,
                               params={"owner_id": CORRECTED_ID}).json()["items"]
    assert [r["id"] for r in found] == [done["record_id"]]
    # Approved and archived: no more corrections.
    late = service.client.patch(f"{path}/fields", headers=clerk,
                                json={"fields": {"full_name": "AN"}})
    assert _error(late, 409)["code"] == "wrong_status"


def test_flagged_stops_only_what_is_flagged_and_approval_names_the_rest(
        service: Service) -> None:
    clerk = service.key(AGENCY, Role.CLERK)
    dossier_id = dossier(service, clerk, "flagged")
    clean = upload(service, clerk, dossier_id, "giay-khai-sinh.png", PAGES["giay-khai-sinh.png"])
    assert clean["status"] == "archived" and clean["record_id"]
    missing = upload(service, clerk, dossier_id, "cccd.png", NO_NUMBER)
    assert missing["status"] == "needs_review", missing
    assert "field.missing" in [r["code"] for r in missing["fields"]["id_number"]["reasons"]]
    assert_nothing_signed(service, missing)
    refused = service.client.post(f"/v1/documents/{missing['id']}/approve", headers=clerk,
                                  json={})
    error = _error(refused, 409)
    assert error["code"] == "flagged_not_accepted" and "id_number" in error["message"]
    assert doc(service, clerk, missing["id"])["status"] == "needs_review"


def test_reject_then_reprocess_with_a_new_scan_keeps_the_document(service: Service) -> None:
    clerk = service.key(AGENCY, Role.CLERK)
    dossier_id = dossier(service, clerk, "flagged")
    document = upload(service, clerk, dossier_id, "cccd.png", NO_NUMBER)
    path = f"/v1/documents/{document['id']}"
    early = service.client.post(f"{path}/reprocess", headers=clerk)
    assert _error(early, 409)["code"] == "wrong_status"
    rejected = service.client.post(f"{path}/reject", headers=clerk,
                                   json={"reason": "Ảnh thiếu số định danh, cần quét lại"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert_nothing_signed(service, rejected.json())
    again = service.client.post(f"{path}/reprocess", headers=clerk, files={
        "file": ("rescan.png", PAGES["so-ho-khau.png"], "image/png")})
    assert again.status_code == 202, again.text
    done = doc(service, clerk, document["id"])
    assert done["status"] == "archived" and done["generation"] == 1
    assert done["filename"] == "rescan.png" and done["form_type"] == "unknown"
    assert done["record_id"] == str(record_id_for(document["id"], 1))
    history = [(h["status"], h["note"]) for h in done["history"]]
    assert ("rejected", "Ảnh thiếu số định danh, cần quét lại") in history
    assert history[-1][0] == "archived" and ("queued", "reprocess (new scan)") in history


def test_supersede_replaces_a_record_and_verify_names_the_new_one(service: Service) -> None:
    clerk = service.key(AGENCY, Role.CLERK)
    document = upload(service, clerk, dossier(service, clerk, "never"), "cccd.pdf", CARD)
    assert document["status"] == "archived"
    old_id = document["record_id"]
    old_pdf = service.client.get(f"/v1/records/{old_id}/pdf", headers=clerk).content
    answer = service.client.post(f"/v1/records/{old_id}/supersede", headers=clerk, json={
        "fields": {"id_number": CORRECTED_ID}, "reason": "Sai số định danh",
        "accept_flagged": doc(service, clerk, document["id"])["flagged"]})
    assert answer.status_code == 202, answer.text
    assert answer.json()["supersedes"] == old_id
    done = doc(service, clerk, document["id"])
    new_id = done["record_id"]
    assert done["status"] == "archived" and new_id not in (None, old_id)
    old = service.client.get(f"/v1/records/{old_id}/pdf", headers=clerk)
    assert old.headers["x-record-state"] == "superseded"
    assert service.store.lock_state(old_id, "pdf").legal_hold
    found = service.client.get("/v1/records", headers=clerk,
                               params={"owner_id": CORRECTED_ID}).json()["items"]
    assert [r["id"] for r in found] == [new_id]
    verified = service.client.post("/v1/verify", headers=clerk, files={
        "file": ("old.pdf", old_pdf, "application/pdf")}).json()
    assert verified["valid"] is False
    assert verified["archived"]["state"] == "superseded"
    assert verified["archived"]["superseded_by"] == new_id
    manifest = service.client.get(f"/v1/records/{new_id}", headers=clerk).json()
    assert manifest["approval"]["supersedes"] == old_id
    twice = service.client.post(f"/v1/records/{old_id}/supersede", headers=clerk, json={
        "fields": {"id_number": CORRECTED_ID}, "reason": "lần hai"})
    assert _error(twice, 409)["code"] == "wrong_status"


def test_other_agencies_get_404_and_readers_403_on_every_review_route(service: Service) -> None:
    clerk = service.key(AGENCY, Role.CLERK)
    document = upload(service, clerk, dossier(service, clerk, "always"), "cccd.png", NO_NUMBER)
    stranger = service.key(OTHER, Role.CLERK, Role.AUDITOR)
    auditor, system = service.key(AGENCY, Role.AUDITOR), service.key(AGENCY, Role.SYSTEM)
    path = f"/v1/documents/{document['id']}"
    changes = [("patch", f"{path}/fields", {"json": {"fields": {"full_name": "AN"}}}),
               ("post", f"{path}/approve", {"json": {}}),
               ("post", f"{path}/reject", {"json": {"reason": "x"}}),
               ("post", f"{path}/reprocess", {}),
               ("post", f"/v1/records/{uuid.uuid4()}/supersede",
                {"json": {"fields": {"full_name": "AN"}, "reason": "x"}})]
    reads = [("get", path, {}), ("get", f"{path}/pages/1", {})]
    for method, url, extra in [*reads, *changes]:
        answer = getattr(service.client, method)(url, headers=stranger, **extra)
        assert _error(answer, 404)["code"] == "not_found", (method, url)
    for method, url, extra in changes:
        for reader in (auditor, system):
            answer = getattr(service.client, method)(url, headers=reader, **extra)
            assert _error(answer, 403)["code"] == "forbidden", (method, url)
    for method, url, extra in reads:  # 200, not 404: the routes exist and readers may read
        assert getattr(service.client, method)(url, headers=auditor, **extra).status_code == 200
    assert doc(service, clerk, document["id"])["status"] == "needs_review"


def test_a_person_approves_and_the_digitizer_signature_names_them(service: Service) -> None:
    from ocr_service.store import users

    clerk = service.key(AGENCY, Role.CLERK)
    with service.index.session() as session:
        users.create_user(session, AGENCY, "le.thi.hoa", "Lê Thị Hoà", ["clerk"],
                          "mật-khẩu-đủ-dài-2026", min_length=12)
    login = service.client.post("/v1/session", json={"username": "le.thi.hoa",
                                                      "password": "mật-khẩu-đủ-dài-2026"})
    assert login.status_code == 200, login.text
    person = {"X-CSRF-Token": login.json()["csrf_token"]}
    document = upload(service, clerk, dossier(service, clerk, "always"), "giay.png",
                      PAGES["giay-khai-sinh.png"])
    assert document["status"] == "needs_review"
    approved = service.client.post(f"/v1/documents/{document['id']}/approve", headers=person,
                                   json={})
    assert approved.status_code == 202, approved.text
    done = doc(service, clerk, document["id"])
    assert done["status"] == "archived"
    assert done["history"][-2]["by"]["name"] == "Lê Thị Hoà"  # processing, approved by her
    manifest = service.client.get(f"/v1/records/{done['record_id']}", headers=clerk).json()
    assert manifest["approval"]["approved_by"]["kind"] == "user"
    assert manifest["approval"]["approved_by"]["name"] == "Lê Thị Hoà"
    pdf = service.client.get(f"/v1/records/{done['record_id']}/pdf", headers=clerk).content
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        shown = b"".join(
            annot.AP.N.read_bytes() for annot in opened.pages[0].Annots
            if annot.get("/FT") == "/Sig" and "/AP" in annot)
    assert shown  # the visible signatures' appearance streams
    assert "Lê Thị Hoà" in _shown_text(pdf)


def _shown_text(pdf: bytes) -> str:
    """Page 1's text as poppler extracts it (the signature boxes included)."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run(["pdftotext", "-f", "1", "-l", "1", handle.name, "-"],
                              capture_output=True, text=True, check=True).stdout
