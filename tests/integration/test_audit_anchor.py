"""The audit chain head anchored outside the database, on real SeaweedFS (object lock) and
PostgreSQL: someone with write access to the index (past its append-only triggers, as a
superuser) rewrites events and head together, consistently, so the chain alone verifies; the
head anchored before in the records bucket, which they cannot change, shows the rewrite."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio.error import S3Error
from sqlalchemy import select, text, update

from ocr_service.config import Settings
from ocr_service.devstack import SeaweedServer
from sohoa_dev.postgres import PostgresServer
from ocr_service.services import Services, open_services
from ocr_service.store import audit, repo
from ocr_service.store.index import AuditEvent, AuditHead
from ocr_service.sweeper import SweeperThread

EVENTS = AuditEvent.__table__


@pytest.fixture(scope="module")
def services(seaweed: SeaweedServer, postgres_server: PostgresServer,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    prefix = f"a{uuid.uuid4().hex[:12]}"
    env = {**seaweed.settings_env(), "SOHOA_RAW_BUCKET": f"{prefix}-raw",
           "SOHOA_RECORDS_BUCKET": f"{prefix}-records", "SOHOA_RETENTION_DAYS": "1"}
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("anchor")),
        database_url=postgres_server.create_database(f"anchor_{uuid.uuid4().hex[:10]}"),
        **{k.removeprefix("SOHOA_").lower(): v for k, v in env.items()})
    opened = open_services(settings)
    yield opened
    opened.close()


def _agency_with_events(services: Services, events: int) -> uuid.UUID:
    with services.index.session() as session:
        agency = repo.create_agency(session, f"T-ANCHOR-{uuid.uuid4().hex[:6]}")
        for n in range(events):
            audit.append_event(session, agency.id, "test.event", details={"n": n})
        return agency.id


def _rewrite_consistently(services: Services, agency_id: uuid.UUID, seq: int) -> None:
    """Edit event ``seq`` and recompute every hash after it and the head: what the chain alone
    cannot catch."""
    with services.index.session() as session:
        session.execute(text("SET LOCAL session_replication_role = replica"))  # past triggers
        session.execute(update(EVENTS).where(EVENTS.c.agency_id == agency_id,
                                             EVENTS.c.seq == seq).values(details={"n": -1}))
        prev = audit.GENESIS
        for event in session.scalars(select(AuditEvent).where(AuditEvent.agency_id == agency_id)
                                     .order_by(AuditEvent.seq)).all():
            new_hash = audit.event_hash(event, prev)
            session.execute(update(EVENTS).where(EVENTS.c.id == event.id)
                            .values(prev_hash=prev, hash=new_hash))
            prev = new_hash
            session.expunge(event)
        session.execute(update(AuditHead.__table__)
                        .where(AuditHead.__table__.c.agency_id == agency_id)
                        .values(hash=prev))


def test_a_consistent_rewrite_of_the_index_is_caught_by_the_anchored_head(
        services: Services) -> None:
    store = services.store
    agency_id = _agency_with_events(services, 5)
    with services.index.session() as session:
        written = [a for a in audit.anchor_heads(session, store) if a.agency_id == agency_id]
        head = audit.chain_head(session, agency_id)
    assert [(a.seq, a.hash) for a in written] == [head] and head[0] == 6  # agency.created + 5
    with services.index.session() as session:  # nothing moved: nothing written again
        assert agency_id not in {a.agency_id for a in audit.anchor_heads(session, store)}

    # The anchor is a locked object: S3 refuses to delete it.
    key = written[0].key()
    assert key == f"audit-anchors/{agency_id}/000000000006.json"
    assert json.loads(store.latest_anchor(f"audit-anchors/{agency_id}/") or b"") == {
        "agency_id": str(agency_id), "seq": 6, "hash": head[1],
        "written_at": written[0].written_at}
    version = next(iter(store._client.list_objects(
        store.records_bucket, prefix=key, include_version=True))).version_id
    with pytest.raises(S3Error):
        store._client.remove_object(store.records_bucket, key, version_id=version)

    # Two more events, then the rewrite of event 2 with every later hash and the head.
    with services.index.session() as session:
        for n in (5, 6):
            audit.append_event(session, agency_id, "test.event", details={"n": n})
    _rewrite_consistently(services, agency_id, seq=2)
    with services.index.session() as session:
        assert audit.verify_chain(session, agency_id) == []  # the chain alone is fooled
        problems = audit.verify_chain(session, agency_id, anchors=store)
    assert [(p.kind, p.seq) for p in problems] == [("anchor", 6)]
    assert "has another hash" in problems[0].message


def test_a_cut_below_the_anchor_is_caught_and_the_sweeper_thread_anchors(
        services: Services) -> None:
    agency_id = _agency_with_events(services, 3)
    sweeper = SweeperThread(lambda: services.index, lambda _: None,
                            services.settings.model_copy(update={"audit_anchor_interval": 3600}),
                            anchors=lambda: services.store)
    sweeper.anchor_when_due()  # the first sweep anchors at once
    anchored = audit.latest_anchor(services.store, agency_id)
    assert anchored is not None and anchored.seq == 4  # agency.created + 3
    with services.index.session() as session:
        audit.append_event(session, agency_id, "test.event", details={"n": 3})
    sweeper.anchor_when_due()  # not due yet: an hour between anchors
    assert audit.latest_anchor(services.store, agency_id) == anchored

    with services.index.session() as session:  # the tail cut, the head moved back with it
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(EVENTS.delete().where(EVENTS.c.agency_id == agency_id,
                                              EVENTS.c.seq >= 4))
        last = session.scalars(select(AuditEvent.hash).where(
            AuditEvent.agency_id == agency_id, AuditEvent.seq == 3)).one()
        session.execute(update(AuditHead.__table__)
                        .where(AuditHead.__table__.c.agency_id == agency_id)
                        .values(seq=3, hash=last))
    with services.index.session() as session:
        assert audit.verify_chain(session, agency_id) == []
        problems = audit.verify_chain(session, agency_id, anchors=services.store)
    assert [(p.kind, p.seq) for p in problems] == [("anchor", 4)]
    assert "is missing" in problems[0].message


def test_the_verify_route_compares_the_anchored_head(services: Services) -> None:
    from fastapi.testclient import TestClient

    from ocr_service.api.app import create_app
    from ocr_service.store import keys
    from ocr_service.store.index import Agency

    agency_id = _agency_with_events(services, 2)
    with services.index.session() as session:
        code = session.get(Agency, agency_id).code  # type: ignore[union-attr]
        _, key = keys.create_key(session, code, ["auditor"])
        audit.anchor_heads(session, services.store)
    headers = {"Authorization": f"Bearer {key}"}
    client = TestClient(create_app(services, submit=lambda _: None))
    assert client.get("/v1/audit/verify", headers=headers).json()["intact"] is True
    _rewrite_consistently(services, agency_id, seq=2)
    check = client.get("/v1/audit/verify", headers=headers).json()
    assert check["intact"] is False
    assert [(p["kind"], p["seq"]) for p in check["problems"]] == [("anchor", 4)]
