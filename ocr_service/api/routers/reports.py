"""Page metering for per-page digitization contracts: ``GET /v1/reports/pages``.

Every page of every batch document is counted once, with its outcome: ``billable`` (the document
was archived), ``rejected`` (it failed, e.g. a damaged or unreadable scan, or a person rejected
it in review), ``duplicate`` (a scan already counted by an earlier row: never billed), or
``pending`` (not finished yet: counted on the day it ends). Counts are derived from the index
when asked (``store.batches.counted_pages``), so a report can always be traced back: the
``document`` grouping lists each manifest line with its batch, document and record.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from ...errors import InputError
from ...procedures import find_procedure
from ...statements import ProcedurePages, StatementData, statement_pdf
from ...store import batches as stored_batches
from ...store.batches import BILLABLE, DUPLICATE, PENDING, REJECTED, CountedPages
from ...store.audit import append_event
from ...store.index import Agency, Role
from ..auth import ApiKeyPrincipal, require
from ..deps import HubDep
from ..schemas import error_responses
from .receipts import agency_signing  # one signer per app, shared with receipts

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportKey = Annotated[ApiKeyPrincipal, Depends(require(Role.OPERATOR, Role.AUDITOR))]
"""The operators who bill, the agency's auditors who accept the bill (and admins)."""
OUTCOMES = (BILLABLE, REJECTED, DUPLICATE, PENDING)
GROUPS = {"operator": "operator", "contract": "contract", "procedure": "procedure", "day": "day"}
DETAIL = ("batch_id", "line", "document_id", "record_id", "outcome", "pages", "day", "operator",
          "contract", "procedure")


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} must be a date as YYYY-MM-DD.",
                         f"{name} phải là ngày dạng YYYY-MM-DD.", code="bad_date") from None


def summarise(counted: list[CountedPages], group_by: str) -> list[dict[str, Any]]:
    """Pages by outcome per value of ``group_by`` (sorted), with the documents counted."""
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {**{outcome: 0 for outcome in OUTCOMES}, "documents": 0})
    for item in counted:
        row = rows[getattr(item, GROUPS[group_by])]
        row[item.outcome] += item.pages
        row["documents"] += 1
    return [{group_by: key, **rows[key]} for key in sorted(rows)]


def _csv(header: list[str], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _xlsx(header: list[str], rows: list[dict[str, Any]]) -> bytes:
    """The CSV's table as one sheet: same columns, same rows, page counts as numbers (so that
    an accountant's SUM works) and the header row frozen."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("pages")
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append([row[column] for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILES = {"csv": (_csv, "text/csv; charset=utf-8"),
         "xlsx": (_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
"""The downloadable formats: how the table is written, and its media type."""


@router.get("/pages", responses=error_responses(400, 401, 403, 422),
            summary="Pages counted per operator, contract, procedure or day, with outcomes")
def pages_report(
    principal: ReportKey, hub: HubDep,
    start: Annotated[str | None, Query(alias="from", description="First day, YYYY-MM-DD "
                                                                 "(Vietnamese calendar)")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day, YYYY-MM-DD")] = None,
    group_by: Annotated[Literal["operator", "contract", "procedure", "day", "document"],
                        Query(description="document: one line per manifest row (traceable)")
                        ] = "contract",
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",  # noqa: A002 - the API's word
) -> Response:
    """``billable`` pages are those of archived documents; ``rejected`` failed or were rejected
    in review; ``duplicate`` were sent again and are never billed; ``pending`` are not done."""
    first, last = _day(start, "from"), _day(end, "to")
    with hub.index.session() as session:
        counted = stored_batches.counted_pages(session, principal.agency_id, first, last)
    if group_by == "document":
        header, rows = list(DETAIL), [{k: getattr(c, k) for k in DETAIL} for c in counted]
    else:
        header = [group_by, *OUTCOMES, "documents"]
        rows = summarise(counted, group_by)
    totals = {outcome: sum(c.pages for c in counted if c.outcome == outcome)
              for outcome in OUTCOMES}
    if format in FILES:
        write, media_type = FILES[format]
        name = f"pages-{group_by}-{start or 'all'}-{end or 'all'}.{format}"
        return Response(write(header, rows), media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return JSONResponse({"from": start, "to": end, "group_by": group_by, "columns": header,
                         "rows": rows, "totals": totals})


def _month(value: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    try:
        first = date.fromisoformat(f"{value}-01") if len(value) == 7 else None
    except ValueError:
        first = None
    if first is None:
        raise InputError("month must be a month as YYYY-MM.",
                         "month phải là tháng dạng YYYY-MM.", code="bad_month")
    following = (first + timedelta(days=31)).replace(day=1)
    return first, following - timedelta(days=1)


@router.get("/statement.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The signed acceptance statement (A4, one page)"},
                       **error_responses(400, 401, 403, 422)},
            summary="The monthly acceptance statement of a contract, signed by the agency")
def statement(
    principal: ReportKey, hub: HubDep, request: Request,
    contract: Annotated[str, Query(min_length=1, max_length=200,
                                   description="The contract code the batches were sent under")],
    month: Annotated[str, Query(description="YYYY-MM (Vietnamese calendar)")],
) -> Response:
    """Pages of the contract whose outcome fell in ``month``, by procedure: billable, rejected,
    duplicate, with totals and the pages still pending; the same figures as ``/pages`` for the
    month's days (``group_by=document`` traces each one)."""
    first, last = _month(month)
    with hub.index.session() as session:
        counted = [c for c in stored_batches.counted_pages(session, principal.agency_id, first,
                                                           last) if c.contract == contract]
        agency_name = session.get(Agency, principal.agency_id).name
    by_procedure = summarise(counted, "procedure")
    data = StatementData(
        agency_name=agency_name, contract_code=contract, month=month,
        procedures=tuple(ProcedurePages(
            row["procedure"], getattr(find_procedure(row["procedure"]), "name", None),
            billable=row[BILLABLE], rejected=row[REJECTED], duplicate=row[DUPLICATE],
            documents=row["documents"]) for row in by_procedure),
        pending=sum(row[PENDING] for row in by_procedure), generated_at=datetime.now(UTC),
        signer_name=principal.name)
    pdf = statement_pdf(data, agency_signing(request, hub))  # outside the transaction: slow
    with hub.index.session() as session:
        append_event(session, principal.agency_id, "report.statement_issued",
                     actor_key_id=principal.key_id, actor_user_id=principal.user_id,
                     subject_type="contract", subject_id=None,
                     details={"contract_code": contract, "month": month,
                              "billable": data.billable})
    filename = f"bien-ban-nghiem-thu-{contract}-{month}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename, safe='')}",
        "Cache-Control": "no-store"})
