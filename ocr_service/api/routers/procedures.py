"""``GET /v1/procedures``: the procedure catalogue, for the desk's intake form and other systems.

Any authenticated caller (key or staff session) may read it: it is public administrative data,
but the API keeps its rule that nothing but health answers without a key.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from ...procedures import catalogue
from ..auth import AnyKey

router = APIRouter(tags=["procedures"])


@router.get("/v1/procedures")
def list_procedures(_: AnyKey) -> dict:
    """``{"procedures": [{"code", "name", "field", "processing_days", "components": [{"name",
    "form_type", "required", "copies"}]}]}`` in catalogue order."""
    return {"procedures": [asdict(p) for p in catalogue()]}
