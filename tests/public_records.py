"""An API app over a throw-away SQLite index, and archived record rows in it: enough for the
public verification page (``GET /v/{record_id}``), which reads the index only."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from ocr_service.api.app import create_app
from ocr_service.config import get_settings
from ocr_service.services import Services
from ocr_service.store import repo
from ocr_service.store.index import Index

AGENCY_CODE, AGENCY_NAME = "000.00.10.H29", "UBND phường Thử Nghiệm"
OWNER = "001187012345"


class NoStore:
    """The page never touches S3."""

    def close(self) -> None:
        pass


def public_client(folder: Path) -> tuple[TestClient, Index]:
    url = f"sqlite:///{folder / 'index.sqlite3'}"
    index = Index.open(url)
    settings = get_settings().model_copy(update={"database_url": url, "data_dir": folder})
    return TestClient(create_app(Services(settings, index, NoStore()))), index  # type: ignore[arg-type]


def archive(index: Index, record_id: str, pdf_sha256: str, *, doc_type: str = "cccd",
            state: str = "valid") -> None:
    """A record row as the archive stage writes it, for a document of a new dossier."""
    with index.session() as session:
        agency = repo.ensure_agency(session, AGENCY_CODE, AGENCY_NAME)
        dossier = repo.create_dossier(session, agency.id, "1.001193", OWNER)
        document, _ = repo.add_document(session, agency.id, dossier.id, sha256=uuid.uuid4().hex * 2,
                                        filename="scan.pdf", media_type="application/pdf",
                                        size=1, raw_key="raw/x")
        record = repo.create_record(session, agency.id, document.id, owner_id_number=OWNER,
                                    doc_type=doc_type, pdf_key="r.pdf", manifest_key="r.json",
                                    manifest_sha256="0" * 64, record_id=uuid.UUID(record_id),
                                    pdf_sha256=pdf_sha256)
        record.state = state
