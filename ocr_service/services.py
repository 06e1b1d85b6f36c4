"""The service's connections, opened once per process: the index (SQL) and object storage (S3).

The API and the workers both take a ``Services`` from ``open_services()``; tests build one on
their own servers. Pipeline stages never see it: adapters read inputs through it, call the pure
stages, and write results back through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings, get_settings
from .store.index import Index, database_url
from .store.objects import ObjectStore


@dataclass
class Services:
    settings: Settings
    index: Index
    store: ObjectStore

    def close(self) -> None:
        self.store.close()
        self.index.close()


def open_services(settings: Settings | None = None) -> Services:
    """Migrate and open the index, connect to S3 and make sure its buckets exist."""
    settings = settings or get_settings()
    store = ObjectStore.from_settings(settings)
    store.ensure_buckets()
    return Services(settings, Index.open(database_url(settings)), store)
