"""Counter work first, on the real stack: a clerk's upload made while a postal batch waits is
archived before the batch documents still queued at that moment start, with one real
``sohoa worker`` (concurrency 1, all queues) on Redis.

Decided from the documents' recorded histories (``document_events``: each change of status with
its time), never from elapsed time: the clerk's document was queued at U and archived at T; every
batch document not yet started at U starts after T, save the one the worker may have had in hand
at U (a single worker holds one message at a time)."""

from __future__ import annotations

import io
import time
import uuid
from datetime import datetime

from PIL import Image
from sqlalchemy import select

from ocr_service.store.index import BatchItem, DocumentEvent, Role
from tests.integration.test_api_service import (  # noqa: F401 - fixtures
    AGENCY,
    PAGES,
    Service,
    pipeline,
    worker_service,
)
from tests.integration.test_batches import HEADER, batch_zip, send
from tests.pages import render_page

BATCH_DOCUMENTS = 6


def _page(n: int) -> bytes:
    image = Image.fromarray(render_page((f"LÔ BƯU ĐIỆN TRANG {n}", "Ủy ban nhân dân xã"),
                                        dpi=100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(100, 100))
    return buffer.getvalue()


def _history(service: Service, document_ids: list[uuid.UUID]
             ) -> dict[uuid.UUID, list[tuple[str, datetime]]]:
    with service.index.session() as session:
        events = session.scalars(select(DocumentEvent).where(
            DocumentEvent.document_id.in_(document_ids)).order_by(DocumentEvent.created_at))
        history: dict[uuid.UUID, list[tuple[str, datetime]]] = {d: [] for d in document_ids}
        for event in events:
            history[event.document_id].append((event.status, event.created_at))
    return history


def _first(history: list[tuple[str, datetime]], status: str) -> datetime | None:
    return next((when for what, when in history if what == status), None)


def test_a_clerk_upload_made_while_a_batch_is_queued_is_archived_first(
        worker_service: Service) -> None:
    service = worker_service
    operator = service.key(AGENCY, Role.OPERATOR)
    files = {f"scans/{n}.png": _page(n) for n in range(BATCH_DOCUMENTS)}
    manifest = HEADER + "".join(f"scans/{n}.png,HS-{n},1.001193,001187012345,\n"
                                for n in range(BATCH_DOCUMENTS))
    sent = send(service, operator, batch_zip(manifest, files))
    assert sent.status_code == 202 and sent.json()["documents"] == BATCH_DOCUMENTS
    batch_id = sent.json()["id"]
    waiting = service.client.get(f"/v1/batches/{batch_id}", headers=operator).json()
    assert waiting["by_status"]["queued"] >= 3, waiting  # the batch is queued behind one

    clerk = service.key(AGENCY, Role.CLERK)
    dossier = service.create_dossier(clerk)
    upload = service.upload(clerk, dossier["id"], "so-ho-khau.png", PAGES["so-ho-khau.png"])
    assert upload.status_code == 202, upload.text
    clerk_document = uuid.UUID(upload.json()["id"])
    service.wait_archived(clerk, dossier["id"], 1, timeout=300)

    with service.index.session() as session:
        batch_documents = list(session.scalars(select(BatchItem.document_id).where(
            BatchItem.batch_id == uuid.UUID(batch_id))))
    history = _history(service, [clerk_document, *batch_documents])
    queued_at = _first(history[clerk_document], "queued")
    archived_at = _first(history[clerk_document], "archived")
    assert queued_at is not None and archived_at is not None, history[clerk_document]
    started = {d: _first(history[d], "processing") for d in batch_documents}
    not_started = [d for d, when in started.items() if when is None or when > queued_at]
    assert len(not_started) >= 2, started  # the batch really was waiting when the clerk came
    overtaken = [d for d in not_started if started[d] is None or started[d] > archived_at]
    in_hand = [d for d in not_started if d not in overtaken]
    assert len(in_hand) <= 1, (queued_at, archived_at, started)
    assert overtaken, (queued_at, archived_at, started)
    # The batch still finishes: every document of it ends archived after the clerk's.
    progress: dict = {}
    for _ in range(600):
        progress = service.client.get(f"/v1/batches/{batch_id}", headers=operator).json()
        if progress["status"] == "done":
            break
        time.sleep(0.5)
    assert progress["by_status"]["archived"] == BATCH_DOCUMENTS, progress
    final = _history(service, batch_documents)
    assert all(_first(h, "processing") for h in final.values()), final  # starts are recorded
    assert max(_first(h, "archived") for h in final.values()) > archived_at
