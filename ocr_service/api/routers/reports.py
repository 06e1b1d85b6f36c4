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
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from ...errors import InputError
from ...store import batches as stored_batches
from ...store.batches import BILLABLE, DUPLICATE, PENDING, REJECTED, CountedPages
from ...store.index import Role
from ..auth import ApiKeyPrincipal, require
from ..deps import HubDep
from ..schemas import error_responses

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
