"""Checks of the SQL index that must hold on every database: the SQLite unit tests and the
PostgreSQL integration tests call the same functions, each on an ``Index`` already migrated.

Every check makes its own agencies (random codes), so the checks neither depend on each other nor
on an empty database.
"""

from __future__ import annotations

import hashlib
import threading
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from ocr_service.errors import SohoaError
from ocr_service.store import audit, keys, repo
from ocr_service.store.index import (
    Agency,
    AuditEvent,
    Base,
    Document,
    DocumentStatus,
    Index,
    JobState,
    RecordState,
    Role,
)

EVENTS = AuditEvent.__table__  # Core statements: what someone editing the database would run


def new_agency(index: Index, name: str = "UBND xã Thử Nghiệm") -> uuid.UUID:
    with index.session() as session:
        return repo.create_agency(session, f"T{uuid.uuid4().hex[:10].upper()}", name).id


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def schema_matches_models(index: Index) -> None:
    with index.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def dossier_with_record(index: Index, agency_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    """A dossier, one archived document of it and the document's record."""
    with index.session() as session:
        dossier = repo.create_dossier(session, agency_id, "1.001234", "001187012345")
        document, created = repo.add_document(
            session, agency_id, dossier.id, sha256=sha("cccd"), filename="cccd.jpg",
            media_type="image/jpeg", size=1234, raw_key=f"raw/{dossier.id}/{sha('cccd')}")
        assert created and document.status == DocumentStatus.QUEUED
        record = repo.create_record(
            session, agency_id, document.id, owner_id_number="001187012345", doc_type="cccd",
            pdf_key="records/r.pdf", manifest_key="records/r.manifest.json",
            manifest_sha256=sha("manifest"))
        repo.set_document_status(session, agency_id, document.id, DocumentStatus.ARCHIVED,
                                 stage="archive", progress=1.0, form_type="cccd")
        return dossier.id, document.id, record.id


def agencies_see_only_their_own(index: Index) -> None:
    mine, theirs = new_agency(index), new_agency(index)
    dossier_id, document_id, record_id = dossier_with_record(index, mine)
    with index.session() as session:
        assert repo.get_dossier(session, mine, dossier_id) is not None
        assert repo.get_document(session, mine, document_id).record_id == record_id
        found = repo.find_records(session, mine, "001187012345", "cccd")
        assert [r.id for r in found] == [record_id]
        assert repo.get_dossier(session, theirs, dossier_id) is None
        assert repo.get_document(session, theirs, document_id) is None
        assert repo.list_documents(session, theirs, dossier_id) == []
        assert repo.get_record(session, theirs, record_id) is None
        assert repo.find_records(session, theirs, "001187012345") == []
        assert repo.get_jobs(session, theirs, document_id) == []
        for write in (
            lambda: repo.add_document(session, theirs, dossier_id, sha256=sha("x"), filename="x",
                                      media_type="image/png", size=1, raw_key="raw/x"),
            lambda: repo.set_document_status(session, theirs, document_id, DocumentStatus.FAILED),
            lambda: repo.revoke_record(session, theirs, record_id),
            lambda: repo.start_job(session, theirs, document_id, "ocr"),
        ):
            with pytest.raises(repo.NotFound):
                write()
    with index.session() as session:  # and nothing of theirs changed mine
        assert repo.get_document(session, mine, document_id).status == DocumentStatus.ARCHIVED
        assert repo.get_record(session, mine, record_id).state == RecordState.VALID


def records_reuse_and_revocation(index: Index) -> None:
    agency = new_agency(index)
    _, document_id, record_id = dossier_with_record(index, agency)
    with index.session() as session:
        again = repo.create_record(session, agency, document_id, owner_id_number="001187012345",
                                   doc_type="cccd", pdf_key="other", manifest_key="other",
                                   manifest_sha256=sha("other"), record_id=record_id)
        assert again.id == record_id  # a retried archive task gets the same record
        assert again.pdf_key == "records/r.pdf"
        assert repo.find_records(session, agency, "001187012345", "birth_certificate") == []
        repo.revoke_record(session, agency, record_id, reason="cấp nhầm")
    with index.session() as session:
        assert repo.find_records(session, agency, "001187012345", "cccd") == []  # valid ones only
        assert repo.get_record(session, agency, record_id).state == RecordState.REVOKED


def same_bytes_are_one_document_per_dossier(index: Index) -> None:
    agency = new_agency(index)
    upload = dict(sha256=sha("page"), filename="a.pdf", media_type="application/pdf", size=9,
                  raw_key="raw/a")
    with index.session() as session:
        first = repo.create_dossier(session, agency, "1.001234", "001187012345")
        second = repo.create_dossier(session, agency, "1.001234", "001187012345")
        one, created = repo.add_document(session, agency, first.id, **upload)
        again, created_again = repo.add_document(session, agency, first.id, **upload)
        other, created_other = repo.add_document(session, agency, second.id, **upload)
        assert created and not created_again and again.id == one.id
        assert created_other and other.id != one.id  # another dossier may hold the same bytes
        assert [d.id for d in repo.list_documents(session, agency, first.id)] == [one.id]
        first_id = first.id
    with pytest.raises(IntegrityError), index.session() as session:  # the database says so too
        session.add(Document(dossier_id=first_id, status=DocumentStatus.QUEUED, progress=0.0,
                             **upload))


def dossier_codes_count_per_agency_and_day(index: Index) -> None:
    a, b = new_agency(index), new_agency(index)
    with index.session() as session:
        codes = [repo.create_dossier(session, a, "1.1", "001187012345").dossier_code
                 for _ in range(3)]
        other = repo.create_dossier(session, b, "1.1", "001187012345").dossier_code
        code_a = session.get(Agency, a).code
    day = codes[0].split("-")[-2]
    assert codes == [f"{code_a}-{day}-{n:04d}" for n in (1, 2, 3)]
    assert other.endswith(f"-{day}-0001")


def jobs_count_attempts(index: Index) -> None:
    agency = new_agency(index)
    _, document_id, _ = dossier_with_record(index, agency)
    with index.session() as session:
        job = repo.start_job(session, agency, document_id, "ocr")
        repo.finish_job(session, job, JobState.FAILED, "redis went away")
    with index.session() as session:
        job = repo.start_job(session, agency, document_id, "ocr")  # redelivered
        repo.finish_job(session, job, JobState.SUCCEEDED)
    with index.session() as session:
        [job] = repo.get_jobs(session, agency, document_id)
        assert (job.attempts, job.state, job.last_error) == (2, "succeeded", "redis went away")


def keys_authenticate_until_revoked(index: Index) -> None:
    agency, other = new_agency(index), new_agency(index)
    with index.session() as session:
        code = session.get(Agency, agency).code
        key_id, plaintext = keys.create_key(session, code, ["clerk", "auditor", "clerk"])
    assert plaintext.startswith("sohoa_") and len(plaintext) > 50
    with index.session() as session:
        key = keys.authenticate(session, plaintext)
        assert key is not None and key.id == key_id and key.agency.code == code
        assert key.role_set == {Role.CLERK, Role.AUDITOR} and not key.has_role(Role.ADMIN)
        stored = session.get(Agency, agency)
        assert plaintext.split("_", 2)[2] not in repr(vars(key)) + repr(vars(stored))
        for wrong in (plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"), "sohoa_x_y", "",
                      plaintext.replace("sohoa_", "other_"), "Bearer " + plaintext):
            assert keys.authenticate(session, wrong) is None
        with pytest.raises(repo.NotFound):
            keys.revoke_key(session, other, key_id)  # another agency's admin cannot
    with index.session() as session:
        keys.revoke_key(session, agency, key_id)
    with index.session() as session:
        assert keys.authenticate(session, plaintext) is None
    with pytest.raises(SohoaError), index.session() as session:
        keys.create_key(session, code, ["superuser"])


def _chain(index: Index, events: int = 5) -> uuid.UUID:
    """A new agency whose chain holds its creation event and ``events`` more."""
    agency = new_agency(index)
    with index.session() as session:
        for n in range(events):
            audit.append_event(session, agency, "record.read", subject_type="record",
                               subject_id=uuid.uuid4(), details={"n": n, "lý do": "tra cứu"})
        assert audit.verify_chain(session, agency) == []
    return agency


def _problems(index: Index, agency: uuid.UUID) -> set[tuple[str, int | None]]:
    with index.session() as session:
        return {(p.kind, p.seq) for p in audit.verify_chain(session, agency)}


def audit_chain_detects_tampering(index: Index) -> None:
    edited, deleted, reordered, cut = (_chain(index) for _ in range(4))
    with index.session() as session:
        if session.bind.dialect.name == "postgresql":  # a superuser gets past the triggers
            session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(update(EVENTS).where(EVENTS.c.agency_id == edited, EVENTS.c.seq == 3)
                        .values(details={"n": 99, "lý do": "tra cứu"}))
        session.execute(delete(EVENTS).where(EVENTS.c.agency_id == deleted, EVENTS.c.seq == 3))
        for seq, new in ((2, -2), (3, 2), (-2, 3)):  # swap events 2 and 3
            session.execute(update(EVENTS).where(EVENTS.c.agency_id == reordered,
                                                 EVENTS.c.seq == seq).values(seq=new))
        session.execute(delete(EVENTS).where(EVENTS.c.agency_id == cut, EVENTS.c.seq == 6))
    assert _problems(index, edited) == {("edited", 3)}
    assert _problems(index, deleted) == {("missing", 3)}
    assert {kind for kind, _ in _problems(index, reordered)} == {"broken_link", "edited"}
    assert _problems(index, cut) == {("head", 5)}
    with index.session() as session:  # each chain's problems stay its own
        problems = audit.verify_chain(session)
    assert {edited, deleted, reordered, cut} <= {p.agency_id for p in problems}
    with pytest.raises(RuntimeError, match="append-only"), index.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.agency_id == edited)).first()
        event.action = "x"
        session.flush()  # the ORM refuses to edit or delete an event


def concurrent_appends_keep_one_chain(index: Index, threads: int = 4, each: int = 10) -> None:
    agency = new_agency(index)
    errors: list[BaseException] = []

    def append() -> None:
        try:
            for n in range(each):
                with index.session() as session:
                    audit.append_event(session, agency, "document.status", details={"n": n})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=append) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with index.session() as session:
        assert audit.verify_chain(session, agency) == []
        seqs = session.scalars(select(AuditEvent.seq).where(AuditEvent.agency_id == agency)).all()
    assert sorted(seqs) == list(range(1, threads * each + 2))


ALL = (
    agencies_see_only_their_own,
    records_reuse_and_revocation,
    same_bytes_are_one_document_per_dossier,
    dossier_codes_count_per_agency_and_day,
    jobs_count_attempts,
    keys_authenticate_until_revoked,
    audit_chain_detects_tampering,
    concurrent_appends_keep_one_chain,
)
"""Every check but ``schema_matches_models`` (which both test modules call by name)."""
