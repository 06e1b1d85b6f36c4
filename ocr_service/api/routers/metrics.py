"""``GET /metrics``: Prometheus text. Needs a key (docs/architecture.md §5: only health is open); point the
scraper's ``authorization`` setting at an admin key of the agency whose documents it should count.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from ...store import repo
from ..auth import AdminKey
from ..deps import HubDep
from ..schemas import error_responses

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={
    200: {"description": "Prometheus text format", "content": {CONTENT_TYPE_LATEST: {}}},
    **error_responses(401, 403)}, summary="The key's agency's request counts and latency by "
    "route, and its documents by status")
def metrics(request: Request, principal: AdminKey, hub: HubDep) -> Response:
    with hub.index.session() as session:
        documents = repo.count_documents(session, principal.agency_id)
    return Response(request.app.state.metrics.exposition(principal.agency_code, documents),
                    media_type=CONTENT_TYPE_LATEST)
