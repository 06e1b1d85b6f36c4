"""Postal batches through HTTP on real SeaweedFS (S3) and SQLite, the workers' own tasks run
eagerly inside ``submit`` (``test_api_service.Service``): a ZIP with a damaged scan, a scan
twice and a bad manifest row gives exactly those counts; the page report bills the pages of
the archived documents, once; the CLI resumes after an interruption without sending again."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from ocr_service import cli_batch
from ocr_service.store.index import Batch, Role
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
from tests.pages import render_page

OWNER = "001187012345"
HEADER = "file,dossier_ref,procedure_code,applicant_id_number,component\n"


def _tiff(pages: int) -> bytes:
    images = [Image.fromarray(render_page((f"TRANG {n + 1}", "Ủy ban nhân dân xã"), dpi=100))
              for n in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "TIFF", save_all=True, append_images=images[1:], dpi=(100, 100))
    return buffer.getvalue()


TWO_PAGES = _tiff(2)
DAMAGED = PAGES["so-ho-khau.png"][:300]
"""A PNG cut short: accepted by its signature, failed by the worker with its reason."""
FILES = {"scans/khai-sinh.png": PAGES["giay-khai-sinh.png"],
         "scans/cu-tru.png": PAGES["so-ho-khau.png"], "scans/hai-trang.tif": TWO_PAGES,
         "scans/hong.png": DAMAGED}
MANIFEST = HEADER + (
    "scans/khai-sinh.png,HS-001,1.001193,001187012345,Giấy khai sinh\n"       # line 2
    "scans/cu-tru.png,HS-001,1.001193,001187012345,Xác nhận cư trú\n"         # line 3
    "scans/hai-trang.tif,HS-002,1.000894,001090000123,\n"                     # line 4
    "scans/hong.png,HS-002,1.000894,001090000123,\n"                          # line 5
    "scans/khai-sinh.png,HS-001,1.001193,001187012345,Giấy khai sinh\n"       # line 6: again
    "scans/cu-tru.png,HS-003,1.001193,12-AB,\n")                              # line 7: bad ID


def batch_zip(manifest: str = MANIFEST, files: dict[str, bytes] = FILES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest)
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def send(service: Service, headers: dict[str, str], data: bytes, contract: str = "HD-2026-01",
         **extra: str):
    return service.client.post("/v1/batches", headers={**headers, **extra},
                               data={"contract_code": contract, "review": "never"},
                               files={"file": ("batch.zip", data, "application/zip")})


def report(service: Service, headers: dict[str, str], group_by: str) -> list[dict[str, str]]:
    answer = service.client.get("/v1/reports/pages", headers=headers,
                                params={"group_by": group_by, "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as laid out, in single spaces."""
    return " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, check=True,
                                   capture_output=True).stdout.decode().split())


def test_a_batch_counts_documents_duplicates_and_bad_rows_and_bills_archived_pages(
        service: Service) -> None:
    operator = service.key(AGENCY, Role.OPERATOR)
    answer = send(service, operator, batch_zip())
    assert answer.status_code == 202, answer.text
    sent = answer.json()
    assert (sent["documents"], sent["pages"], sent["duplicates"]) == (4, 5, 1)
    [bad] = sent["errors"]
    assert bad["line"] == 7 and bad["file"] == "scans/cu-tru.png"
    assert bad["error"]["code"] == "bad_value" and bad["error"]["message_vi"]

    progress = service.client.get(f"/v1/batches/{sent['id']}", headers=operator).json()
    assert progress["status"] == "done" and progress["eta_seconds"] == 0.0
    assert (progress["rows"], progress["documents"], progress["duplicates"],
            progress["errors"]) == (6, 4, 1, 1)
    assert {k: v for k, v in progress["by_status"].items() if v} == {"archived": 3, "failed": 1}
    assert (progress["pages_total"], progress["pages_done"]) == (5, 5)
    assert progress["pages_per_second"] > 0
    failures = {f["line"]: f for f in progress["failures"]}
    assert sorted(failures) == [5, 7]
    assert failures[5]["document_id"] and failures[5]["error"]["code"] == "corrupt_file"
    assert failures[5]["error"]["message"] and failures[5]["error"]["message_vi"]

    # The same file twice is one document; dossiers follow dossier_ref within the agency.
    with service.index.session() as session:
        batch = session.get(Batch, __import__("uuid").UUID(sent["id"]))
        assert batch.contract_code == "HD-2026-01" and batch.operator.startswith("key:")
    events = service.client.get(f"/v1/batches/{sent['id']}/events", headers=operator)
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.startswith("event: done\ndata: ")
    assert json.loads(events.text.split("data: ", 1)[1])["pages_done"] == 5

    # Billable pages are the pages of the archived documents, each traceable to its record.
    detail = report(service, operator, "document")
    archived = [row for row in detail if row["outcome"] == "billable"]
    assert len(archived) == 3 and all(row["record_id"] for row in archived)
    record_pages = 0
    for row in archived:
        manifest = service.client.get(f"/v1/records/{row['record_id']}", headers=service.key(
            AGENCY, Role.AUDITOR)).json()
        record_pages += manifest["source"]["pages"]
    assert record_pages == 4
    [by_contract] = report(service, operator, "contract")
    assert by_contract == {"contract": "HD-2026-01", "billable": "4", "rejected": "1",
                           "duplicate": "1", "pending": "0", "documents": "5"}
    by_procedure = {r["procedure"]: r["billable"] for r in report(service, operator,
                                                                   "procedure")}
    assert by_procedure == {"1.000894": "2", "1.001193": "2"}

    # The same batch again: a new batch whose every document is a duplicate; nothing new billed.
    again = send(service, operator, batch_zip()).json()
    assert (again["documents"], again["pages"], again["duplicates"]) == (0, 0, 5)
    [by_contract] = report(service, operator, "contract")
    assert (by_contract["billable"], by_contract["duplicate"]) == ("4", str(1 + 6))

    # Another agency sees neither the batch nor its pages; a clerk may not send batches.
    other = service.key(OTHER, Role.OPERATOR)
    assert _error(service.client.get(f"/v1/batches/{sent['id']}", headers=other),
                  404)["code"] == "not_found"
    assert report(service, other, "contract") == []
    assert _error(send(service, service.key(AGENCY, Role.CLERK), batch_zip()),
                  403)["code"] == "forbidden"


def test_unreadable_or_unsafe_zips_are_refused_whole(service: Service) -> None:
    operator = service.key(AGENCY, Role.OPERATOR)
    assert _error(send(service, operator, b"PK\x03\x04 not really"), 422)["code"] == "bad_zip"
    traversal = batch_zip(HEADER + "../x.png,HS-9,1.001193,001187012345,\n",
                          {"../x.png": PAGES["so-ho-khau.png"]})
    assert _error(send(service, operator, traversal), 422)["code"] == "zip_unsafe_path"
    with service.index.session() as session:
        assert session.query(Batch).count() == 0  # nothing of them was kept


def test_the_cli_resumes_after_an_interruption_without_sending_twice(
        service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "lo-01"
    for name, data in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    service.client.headers.update(service.key(AGENCY, Role.OPERATOR))

    class Interrupted(Exception):
        pass

    def stop(_batch_id: str) -> None:
        raise Interrupted  # Ctrl-C right after the server answered the upload

    with pytest.raises(Interrupted):
        cli_batch.submit(service.client, folder, "HD-2026-02", show=False, after_upload=stop)
    state = json.loads(cli_batch.state_path(folder).read_text())
    assert state["batch_id"] and len(state["sha256"]) == 64
    posted: list[str] = []
    service.client.event_hooks["request"].append(
        lambda request: posted.append(request.method) if request.method == "POST" else None)
    done = cli_batch.submit(service.client, folder, "HD-2026-02", show=False, poll=0.01)
    assert posted == []  # followed, not sent again
    assert done["id"] == state["batch_id"] and done["status"] == "done"
    assert (done["documents"], done["pages_done"], done["errors"]) == (4, 5, 1)
    with service.index.session() as session:
        assert session.query(Batch).count() == 1


def test_an_agency_whose_batches_fill_the_queue_is_told_to_retry_and_clerks_are_not(
        service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    operator = service.key(AGENCY, Role.OPERATOR)
    monkeypatch.setattr(service.settings, "max_batch_queued_pages", 5)
    service.archiving = False  # the workers are busy: the batch's documents stay queued
    first = send(service, operator, batch_zip())
    assert first.status_code == 202 and first.json()["pages"] == 5
    progress = service.client.get(f"/v1/batches/{first.json()['id']}", headers=operator).json()
    assert progress["status"] == "processing" and progress["pages_done"] == 0
    assert progress["eta_seconds"] is None and progress["by_status"]["queued"] == 4
    full = send(service, operator, batch_zip(files={**FILES, "scans/hong.png": b"\x89PNG"}))
    assert _error(full, 429)["code"] == "batch_queue_full"
    assert full.headers["Retry-After"] == "60"
    # Another agency's batches, and this agency's counter uploads, are not held back.
    assert send(service, service.key(OTHER, Role.OPERATOR), batch_zip()).status_code == 202
    clerk = service.key(AGENCY, Role.CLERK)
    dossier = service.create_dossier(clerk)
    assert service.upload(clerk, dossier["id"], "scan.png",
                          PAGES["so-ho-khau.png"]).status_code == 202


def test_a_dossier_ref_names_one_dossier_of_one_applicant_across_batches(
        service: Service) -> None:
    operator = service.key(AGENCY, Role.OPERATOR)
    service.archiving = False
    first = send(service, operator, batch_zip(
        HEADER + "scans/khai-sinh.png,HS-7,1.001193,001187012345,\n",
        {"scans/khai-sinh.png": PAGES["giay-khai-sinh.png"]})).json()
    later = send(service, operator, batch_zip(
        HEADER + "scans/cu-tru.png,HS-7,1.001193,001187012345,\n"
                 "scans/hai-trang.tif,HS-7,1.001193,079300000001,\n",
        {"scans/cu-tru.png": PAGES["so-ho-khau.png"], "scans/hai-trang.tif": TWO_PAGES}))
    [conflict] = later.json()["errors"]
    assert conflict["line"] == 3 and conflict["error"]["code"] == "dossier_ref_conflict"
    with service.index.session() as session:
        from ocr_service.store.index import BatchItem, Document

        dossiers = {session.get(Document, item.document_id).dossier_id
                    for item in session.query(BatchItem).filter(
                        BatchItem.document_id.is_not(None))}
    assert len(dossiers) == 1 and first["documents"] == later.json()["documents"] == 1


def test_the_xlsx_report_and_the_signed_monthly_statement_bill_what_the_csv_bills(
        service: Service) -> None:
    from openpyxl import load_workbook

    from ocr_service.pipeline.verify import verify_pdf
    from ocr_service.signers import trust_roots

    operator = service.key(AGENCY, Role.OPERATOR)
    assert send(service, operator, batch_zip()).status_code == 202
    [day] = {row["day"] for row in report(service, operator, "document")}
    month = day[:7]
    [by_contract] = report(service, operator, "contract")
    assert by_contract["billable"] == "4"

    sheet = service.client.get("/v1/reports/pages", headers=operator, params={
        "group_by": "contract", "format": "xlsx"})
    assert sheet.status_code == 200 and sheet.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0] == tuple(by_contract)  # the CSV's columns, in its order
    assert dict(zip(rows[0], rows[1], strict=True))["billable"] == int(by_contract["billable"])

    auditor = service.key(AGENCY, Role.AUDITOR)
    answer = service.client.get("/v1/reports/statement.pdf", headers=auditor,
                                params={"contract": "HD-2026-01", "month": month})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert verify_pdf(answer.content, trust_roots(service.settings)).valid
    text = pdf_text(answer.content)
    assert (f"Tổng số trang được nghiệm thu, thanh toán: {by_contract['billable']} trang"
            in text)
    assert f"Số trang bị loại (lỗi chất lượng hoặc bị từ chối khi duyệt): " \
           f"{by_contract['rejected']} trang" in text
    assert "Hợp đồng số: HD-2026-01" in text

    # Another contract's month bills nothing; a bad month is refused in both languages; a
    # clerk may not have it.
    other = service.client.get("/v1/reports/statement.pdf", headers=auditor,
                               params={"contract": "HD-KHAC", "month": month})
    assert "thanh toán: 0 trang" in pdf_text(other.content)
    bad = _error(service.client.get("/v1/reports/statement.pdf", headers=auditor,
                                    params={"contract": "HD-2026-01", "month": "2026-13"}), 422)
    assert bad["code"] == "bad_month" and bad["message_vi"]
    assert _error(service.client.get("/v1/reports/statement.pdf", headers=service.key(
        AGENCY, Role.CLERK), params={"contract": "HD-2026-01", "month": month}),
        403)["code"] == "forbidden"
