"""Shared dependencies of the routes: settings, the index and object store, the OCR engine and the
hand-over of accepted documents to the workers.

The app holds one ``ServiceHub`` (``app.state.hub``). Tests hand it their own ``Services``; a
server (``sohoa serve``) opens each connection from Settings on first use instead, so that an API
used only for ``POST /v1/extract`` needs no S3 server, and a missing one shows in ``/readyz``
rather than stopping the process. It also holds the child processes that read ``/v1/extract``
documents (``pipeline.isolated``), started on first use too: the API process loads no OCR model.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from ..config import Settings
from ..errors import SohoaError
from ..handover import Submit
from ..pipeline.isolated import ExtractPool
from ..pipeline.ocr import OcrEngine, get_engine
from ..services import Services
from ..store.index import Index, database_url
from ..store.objects import ObjectStore
from ..store import repo
from ..store.repo import NotFound

log = logging.getLogger(__name__)



class ServiceHub:
    """The index and object store of the app, given or opened on first use, and the extract
    pool, started on first use (thread-safe)."""

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.settings = services.settings if services is not None else settings
        self._index = services.index if services is not None else None
        self._store = services.store if services is not None else None
        self._extract_pool: ExtractPool | None = None
        self._opened: list[Index | ObjectStore | ExtractPool] = []
        self._lock = threading.Lock()

    @property
    def index(self) -> Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = Index.open(database_url(self.settings))
                    self._opened.append(self._index)
        return self._index

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    store = ObjectStore.from_settings(self.settings)
                    store.ensure_buckets()
                    self._store = store
                    self._opened.append(store)
        return self._store

    @property
    def extract_pool(self) -> ExtractPool | None:
        """The children reading ``/v1/extract`` documents; None when ``extract_processes`` is 0
        (the route then reads in this process, with ``engine_dep``: in-process tests only)."""
        if self._extract_pool is None and self.settings.extract_processes > 0:
            with self._lock:
                if self._extract_pool is None:
                    self._extract_pool = ExtractPool.from_settings(self.settings)
                    self._opened.append(self._extract_pool)
        return self._extract_pool

    def close(self) -> None:
        """Close what this hub opened; given services belong to whoever gave them."""
        for opened in self._opened:
            opened.close()
        self._opened.clear()


class BrokerUnavailable(SohoaError):
    """The document is stored and recorded, but could not be queued: uploading it again (same
    bytes, same dossier: the same document) queues it."""

    code = "broker_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The document was stored but could not be queued for processing; send the same "
            "upload again later to queue it (it will not be duplicated).",
            "Tài liệu đã được lưu nhưng chưa thể đưa vào hàng đợi xử lý; hãy gửi lại đúng tệp "
            "này sau ít phút để xếp hàng (tài liệu sẽ không bị trùng).")


def hand_over(submit: Submit, index: Index, document_id: str | uuid.UUID) -> None:
    """Hand a stored document to the workers and note when (``handed_over_at``: the sweeper
    queues again only what was never handed over, or was lost). A broker that is down is a 503
    the client may retry; the document stays stored and ``queued``, and the sweeper queues it
    once the broker is back."""
    try:
        submit(str(document_id))
    except Exception as exc:  # noqa: BLE001 - any broker failure
        log.warning("document %s stored but not handed to the workers: %s", document_id,
                    type(exc).__name__)
        raise BrokerUnavailable() from exc
    with index.session() as session:
        repo.mark_handed_over(session, [uuid.UUID(str(document_id))])


def hub_dep(request: Request) -> ServiceHub:
    return request.app.state.hub


def settings_dep(request: Request) -> Settings:
    return request.app.state.hub.settings


def submit_dep(request: Request) -> Submit:
    return request.app.state.submit


def engine_dep() -> OcrEngine:
    """This process's engine, for ``/v1/extract`` with ``extract_processes`` 0 only: models load
    on the first request (or at start-up, see app)."""
    return get_engine()


HubDep = Annotated[ServiceHub, Depends(hub_dep)]
SettingsDep = Annotated[Settings, Depends(settings_dep)]
SubmitDep = Annotated[Submit, Depends(submit_dep)]


def _id_of(what: str, what_vi: str, name: str) -> Callable[[str], uuid.UUID]:
    """A path parameter parsed as a UUID; anything else is an object that does not exist (404,
    like another agency's id), not a malformed request."""

    def parse(value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise NotFound(what, what_vi) from None

    # Set here, not in the signature: these annotations name this function's arguments, which
    # the postponed (string) annotations of this module could not resolve.
    parse.__annotations__ = {
        "value": Annotated[str, Path(alias=name, description=f"The {what}'s id")],
        "return": uuid.UUID}
    return parse


DossierId = Annotated[uuid.UUID, Depends(_id_of("dossier", "hồ sơ", "dossier_id"))]
RecordId = Annotated[uuid.UUID, Depends(_id_of("record", "hồ sơ điện tử", "record_id"))]
DocumentId = Annotated[uuid.UUID, Depends(_id_of("document", "tài liệu", "document_id"))]
