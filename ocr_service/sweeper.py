"""Documents that nobody is working on get queued again.

Two ways a document can be left behind although nothing was lost: the broker was down when the
API queued it (the client got a 503 and may never send it again), or its task vanished (a broker
that lost its queue, a message dropped by hand). Every stage is idempotent and drops work on a
document that is already done, so queueing a document once more is always safe; the sweeper does
that for documents ``queued`` for longer than ``SOHOA_SWEEP_QUEUED_AFTER`` seconds and
``processing`` with no change for longer than ``SOHOA_SWEEP_PROCESSING_AFTER`` (well past the
visibility timeout, after which the broker itself would have handed a dead worker's task on).

Webhooks too: a document's final status and its owed webhook (a ``webhook`` job, ``queued``) are
written in one transaction, and the broker may fail right after; a webhook still ``queued`` after
``SOHOA_SWEEP_QUEUED_AFTER`` seconds was never picked up by a worker, and is queued again.

The same thread anchors the audit chain heads outside the database every
``SOHOA_AUDIT_ANCHOR_INTERVAL`` seconds (``store.audit.anchor_heads``).

``sohoa serve`` runs it every ``SOHOA_SWEEP_INTERVAL`` seconds in a thread; ``sohoa sweep``
runs it once (for a timer, or by hand after an outage).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from . import handover
from .config import Settings
from .handover import Notify, Submit
from .store import audit, repo
from .store.index import Index, utcnow

log = logging.getLogger(__name__)


def sweep_webhooks(index: Index, notify: Notify, settings: Settings, *,
                   now: datetime | None = None) -> list[str]:
    """Queue again the webhooks owed and never picked up (document ids returned)."""
    now = now or utcnow()
    with index.session() as session:
        owed = repo.webhooks_never_picked_up(
            session, now - timedelta(seconds=settings.sweep_queued_after))
    for document_id, status in owed:
        notify(str(document_id), status)
        with index.session() as session:
            repo.webhook_queued_again(session, document_id, now=now)
    if owed:
        log.warning("sweeper queued %d webhook(s) again", len(owed))
    return [str(d) for d, _ in owed]


def sweep(index: Index, submit: Submit, settings: Settings, *,
          submit_batch: Submit | None = None, now: datetime | None = None,
          notify: Notify = handover.notify) -> list[str]:
    """Queue again the documents left behind (ids returned), then the webhooks never sent; a
    broker still down raises, and the next sweep tries again.

    Left behind: ``queued`` and never handed to the broker (it was down), ``queued`` and handed
    over so long ago that the broker must have lost it, ``processing`` with no change past the
    visibility timeout. A document of a postal batch goes back on the batch queue
    (``submit_batch``; default ``submit``), behind counter work: a batch waiting its turn is
    not left behind, and must not be moved ahead of the counter."""
    now = now or utcnow()
    with index.session() as session:
        stale = repo.stale_documents(
            session,
            never_handed_over=now - timedelta(seconds=settings.sweep_queued_after),
            handed_over=now - timedelta(seconds=settings.sweep_handed_over_after),
            processing=now - timedelta(seconds=settings.sweep_processing_after))
    for found in stale:
        ((submit_batch or submit) if found.in_batch else submit)(str(found.document_id))
        with index.session() as session:
            repo.mark_handed_over(session, [found.document_id], now=now)
    if stale:
        log.warning("sweeper queued %d document(s) again", len(stale))
    sweep_webhooks(index, notify, settings, now=now)
    return [str(found.document_id) for found in stale]


def _store_of(settings: Settings) -> audit.AnchorStore:
    from .store.objects import ObjectStore

    return ObjectStore.from_settings(settings)


class SweeperThread(threading.Thread):
    """``sweep`` every ``interval`` seconds until ``stop()``, and anchor the audit chain heads
    every ``audit_anchor_interval``; failures are logged, not fatal."""

    def __init__(self, index: Callable[[], Index], submit: Submit, settings: Settings,
                 anchors: Callable[[], audit.AnchorStore] | None = None, *,
                 submit_batch: Submit | None = None) -> None:
        super().__init__(name="sohoa-sweeper", daemon=True)
        self._index, self._submit, self._settings = index, submit, settings
        self._submit_batch = submit_batch
        self._anchors = anchors or (lambda: _store_of(settings))
        self._anchored_at: float | None = None
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._settings.sweep_interval):
            try:
                sweep(self._index(), self._submit, self._settings,
                      submit_batch=self._submit_batch)
            except Exception as exc:  # noqa: BLE001 - the broker or index is down: next time
                log.warning("sweep failed (%s); trying again later", type(exc).__name__)
            self.anchor_when_due()

    def anchor_when_due(self) -> None:
        """Anchor the heads when the last anchor is ``audit_anchor_interval`` old (or none was
        written yet by this process); S3 down is logged and tried again at the next sweep."""
        interval = self._settings.audit_anchor_interval
        now = time.monotonic()
        if interval <= 0 or (self._anchored_at is not None and
                             now - self._anchored_at < interval):
            return
        try:
            with self._index().session() as session:
                written = audit.anchor_heads(session, self._anchors())
        except Exception as exc:  # noqa: BLE001 - S3 or the index is down: next sweep
            log.warning("audit anchor failed (%s); trying again later", type(exc).__name__)
            return
        self._anchored_at = now
        if written:
            log.info("anchored the audit chain heads of %d agencies", len(written))

    def stop(self) -> None:
        self._stopped.set()
