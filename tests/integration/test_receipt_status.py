"""The receipt slip and the public status page through HTTP, on real SeaweedFS (S3) and SQLite:
the slip downloads for its agency only, is signed and carries the status URL; the status page
opens with the lookup code, answers a wrong code exactly like a missing dossier, shows no
personal data but the masked name, and is rate-limited per client address."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime

import pypdfium2 as pdfium
import zxingcpp

from ocr_service.api.routers.status_page import BURST
from ocr_service.pipeline.verify import verify_pdf
from ocr_service.procedures import due_date
from ocr_service.signers import trust_roots
from ocr_service.store.index import Role
from tests.integration.test_api_service import (  # noqa: F401 - fixtures
    AGENCY,
    OTHER,
    OWNER,
    PAGES,
    Service,
    _error,
    pipeline,
    service,
)

NAME = "Nguyễn Thị Hồng Nhung"


def open_dossier(service: Service, headers: dict[str, str], **extra: object) -> dict:
    answer = service.client.post("/v1/dossiers", headers=headers, json={
        "procedure_code": "1.001193", "applicant_id_number": OWNER, "applicant_name": NAME,
        **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_receipt_is_signed_names_the_components_and_links_the_status_page(service: Service):
    clerk = service.key(AGENCY, Role.CLERK)
    before = datetime.now(UTC)
    created = open_dossier(service, clerk)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", created["lookup_code"])
    assert created["due_date"] == due_date(before, 1).isoformat()
    shown = service.client.get(f"/v1/dossiers/{created['id']}", headers=clerk).json()
    assert (shown["lookup_code"], shown["due_date"], shown["applicant_name"]) == (
        created["lookup_code"], created["due_date"], NAME)

    service.archiving = False  # the slip counts what was received, processed or not
    for name, data, component in (
            ("a.png", PAGES["giay-khai-sinh.png"], "Tờ khai đăng ký khai sinh"),
            ("b.png", PAGES["so-ho-khau.png"], "Giấy chứng sinh"),
            ("c.png", PAGES["so-ho-khau.png"] + b"\0", "Giấy chứng sinh")):
        answer = service.client.post(f"/v1/dossiers/{created['id']}/documents", headers=clerk,
                                     files={"file": (name, data, "image/png")},
                                     data={"component": component})
        assert answer.status_code == 202, answer.text

    answer = service.client.get(f"/v1/dossiers/{created['id']}/receipt.pdf", headers=clerk)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    pdf = answer.content
    text = " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, check=True,
                                   capture_output=True).stdout.decode().split())
    url = (f"{service.settings.public_url.rstrip('/')}/tra-cuu/{created['dossier_code']}"
           f"?k={created['lookup_code']}")
    for expected in (f"Mã hồ sơ: {created['dossier_code']}", f"Ông/Bà {NAME}",
                     "Đăng ký khai sinh", "1 Tờ khai đăng ký khai sinh 01",
                     "2 Giấy chứng sinh 02", f"Mã tra cứu: {created['lookup_code']}"):
        assert expected in text, expected
    assert OWNER not in text  # the ID number is not printed
    assert verify_pdf(pdf, trust_roots(service.settings)).valid
    image = pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil().convert("L")
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [url]

    other = service.key(OTHER, Role.CLERK)
    _error(service.client.get(f"/v1/dossiers/{created['id']}/receipt.pdf", headers=other), 404)
    auditor = service.key(AGENCY, Role.AUDITOR)
    _error(service.client.get(f"/v1/dossiers/{created['id']}/receipt.pdf", headers=auditor), 403)
    _error(service.client.get(f"/v1/dossiers/{created['id']}/receipt.pdf"), 401)


def test_unknown_procedure_codes_are_kept_without_a_due_date(service: Service):
    clerk = service.key(AGENCY, Role.SYSTEM)
    created = open_dossier(service, clerk, procedure_code="2.999999")
    assert created["due_date"] is None
    answer = service.client.get(f"/v1/dossiers/{created['id']}/receipt.pdf", headers=clerk)
    assert answer.status_code == 200


def test_procedures_need_a_key_and_list_the_catalogue(service: Service):
    _error(service.client.get("/v1/procedures"), 401)
    listed = service.client.get("/v1/procedures", headers=service.key(AGENCY, Role.AUDITOR))
    codes = {p["code"]: p for p in listed.json()["procedures"]}
    assert codes["1.001193"]["components"][0] == {
        "name": "Tờ khai đăng ký khai sinh", "form_type": "birth_registration", "required": True,
        "copies": 1}


def test_status_page_shows_the_status_and_nothing_personal(service: Service):
    clerk = service.key(AGENCY, Role.CLERK)
    created = open_dossier(service, clerk)
    page = service.client.get(f"/tra-cuu/{created['dossier_code']}",
                              params={"k": created["lookup_code"].lower()})  # typed in lower case
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="vi">' in html and 'name="viewport"' in html
    assert "Đã tiếp nhận" in html and "Đăng ký khai sinh" in html
    assert "N*** T** H*** N" in html
    assert datetime.fromisoformat(created["due_date"]).strftime("%d/%m/%Y") in html
    for personal in (NAME, "Nguyễn", "Nhung", OWNER, created["lookup_code"]):
        assert personal not in html, personal
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in page.headers["content-security-policy"]

    service.archiving = True  # one paper digitized and archived: the dossier is done digitizing
    answer = service.upload(clerk, created["id"], "khai-sinh.png", PAGES["giay-khai-sinh.png"])
    assert answer.status_code == 202
    page = service.client.get(f"/tra-cuu/{created['dossier_code']}",
                              params={"k": created["lookup_code"]})
    assert "Đã số hóa xong" in page.text and "1/1" in page.text


def test_a_wrong_code_answers_exactly_like_a_missing_dossier(service: Service):
    created = open_dossier(service, service.key(AGENCY, Role.CLERK))
    wrong = created["lookup_code"][::-1] if created["lookup_code"][::-1] != created[
        "lookup_code"] else "22222222"
    answers = [
        service.client.get(f"/tra-cuu/{created['dossier_code']}", params={"k": wrong}),
        service.client.get(f"/tra-cuu/{created['dossier_code']}"),
        service.client.get(f"/tra-cuu/{AGENCY}-991231-9999", params={"k": wrong}),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[0].content == answers[1].content == answers[2].content
    assert "Không tìm thấy hồ sơ" in answers[0].text
    assert created["dossier_code"] not in answers[0].text


def test_status_page_is_rate_limited_per_client(service: Service):
    created = open_dossier(service, service.key(AGENCY, Role.CLERK))
    url = f"/tra-cuu/{created['dossier_code']}"
    codes = [service.client.get(url, params={"k": created["lookup_code"]}).status_code
             for _ in range(BURST)]
    assert codes == [200] * BURST
    limited = service.client.get(url, params={"k": created["lookup_code"]})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    assert service.client.get(url, params={"k": "WRONG"}).status_code == 429  # guesses too
