"""``GET /v1/dossiers/{id}/receipt.pdf``: the signed receipt slip (Mẫu số 01) of a dossier.

The desk prints it in one click when the papers are handed in; printing again later gives the
same content (the components received so far, a fresh signing time). The agency's signer is the
one its records use (``signers.record_signing``), built once per app: loading a key file or
opening a token for every slip would cost more than the slip. Each slip issued is an audit event.

Counter staff, postal operators, other systems and admins of the dossier's agency may fetch it;
another agency's dossier is 404, as everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from threading import Lock
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...pipeline.sign import RecordSigning
from ...procedures import find_procedure
from ...receipts import ReceiptData, received_components, receipt_pdf, status_url
from ...signers import record_signing
from ...store import repo
from ...store.audit import append_event
from ...store.index import Agency, DocumentStatus
from ..auth import DossierKey
from ..deps import DossierId, HubDep
from ..schemas import error_responses

router = APIRouter(prefix="/v1/dossiers", tags=["dossiers"])

_signing_lock = Lock()


def agency_signing(request: Request, hub: HubDep) -> RecordSigning:
    """The app's signer, built on first use (the test PKI in development)."""
    with _signing_lock:
        signing = getattr(request.app.state, "receipt_signing", None)
        if signing is None:
            signing = request.app.state.receipt_signing = record_signing(hub.settings)
        return signing


@router.get("/{dossier_id}/receipt.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The signed receipt slip (A4, one page)"},
                       **error_responses(401, 403, 404)},
            summary="The signed receipt slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả)")
def receipt(principal: DossierKey, dossier_id: DossierId, hub: HubDep,
            request: Request) -> Response:
    """Mẫu số 01 with the components received (documents by ``component``; rejected ones and
    ones replaced by a reprocessed copy are not counted), the due date, and a QR code of the
    public status page ``SOHOA_PUBLIC_URL/tra-cuu/{dossier_code}?k={lookup_code}``."""
    with hub.index.session() as session:
        dossier = repo.get_dossier(session, principal.agency_id, dossier_id)
        if dossier is None:
            raise repo.NotFound("dossier", "hồ sơ")
        agency = session.get(Agency, principal.agency_id)
        documents = repo.list_documents(session, principal.agency_id, dossier_id)
        replaced = {d.supersedes_id for d in documents if d.supersedes_id is not None}
        kept = [d.component for d in documents
                if d.status != DocumentStatus.REJECTED and d.id not in replaced]
        procedure = find_procedure(dossier.procedure_code)
        data = ReceiptData(
            agency_name=agency.name, dossier_code=dossier.dossier_code,
            procedure_code=dossier.procedure_code,
            procedure_name=procedure.name if procedure else None,
            processing_days=procedure.processing_days if procedure else None,
            applicant_name=dossier.applicant_name,
            components=received_components(procedure, kept),
            received_at=dossier.created_at, due_date=dossier.due_date,
            collect_at=f"Bộ phận Tiếp nhận và Trả kết quả, {agency.name}",
            lookup_code=dossier.lookup_code,
            status_url=status_url(hub.settings.public_url, dossier.dossier_code,
                                  dossier.lookup_code),
            issued_at=datetime.now(UTC), clerk_name=principal.name)
    pdf = receipt_pdf(data, agency_signing(request, hub))  # outside the transaction: signing is slow
    with hub.index.session() as session:
        append_event(session, principal.agency_id, "dossier.receipt_issued",
                     actor_key_id=principal.key_id, actor_user_id=principal.user_id,
                     subject_type="dossier", subject_id=dossier_id,
                     details={"dossier_code": data.dossier_code})
    filename = f"giay-tiep-nhan-{data.dossier_code}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename, safe='')}",
        "Cache-Control": "no-store"})
