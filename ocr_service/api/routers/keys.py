"""An agency's API keys: ``GET /v1/keys`` lists them, ``DELETE /v1/keys/{prefix}`` revokes one.

Admins of the agency only; another agency's key is not found, like a missing one. Keys are
created on the command line (``sohoa keys create``), where the secret is printed once: an HTTP
answer carrying a secret would end up in proxies' and clients' logs. A revoked key is kept (the
audit trail names it) and answers 401 from the next request on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ...store import keys
from ...store.index import ApiKey
from ..auth import AdminKey
from ..deps import HubDep
from ..schemas import error_responses

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class KeyOut(BaseModel):
    prefix: str = Field(description="The key's non-secret part (sohoa_<prefix>_…)",
                        examples=["3f9a1c0b7e42"])
    roles: list[str]
    label: str | None
    created_at: str
    revoked_at: str | None


class KeyList(BaseModel):
    items: list[KeyOut]


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(prefix=key.prefix, roles=sorted(key.roles.split()), label=key.label,
                  created_at=key.created_at.isoformat(),
                  revoked_at=key.revoked_at.isoformat() if key.revoked_at else None)


@router.get("", response_model=KeyList, responses=error_responses(401, 403),
            summary="The agency's API keys, live and revoked (never their secrets)")
def list_keys(principal: AdminKey, hub: HubDep) -> KeyList:
    with hub.index.session() as session:
        return KeyList(items=[key_out(k) for k in keys.list_keys(session, principal.agency_id)])


@router.delete("/{prefix}", response_model=KeyOut, responses=error_responses(401, 403, 404),
               summary="Revoke one of the agency's API keys (kept for the audit trail)")
def revoke_key(principal: AdminKey, hub: HubDep,
               prefix: Annotated[str, Path(max_length=16, description="The key's prefix")]
               ) -> KeyOut:
    """Idempotent: revoking a revoked key answers it again and appends nothing."""
    with hub.index.session() as session:
        key = keys.revoke_prefix(session, prefix, agency_id=principal.agency_id,
                                 actor_key_id=principal.key_id,
                                 actor_user_id=principal.user_id)
        return key_out(key)
