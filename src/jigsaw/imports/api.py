"""``POST /api/imports/{kind}``: another system of an agency pushing its feed.

The body is JSON Lines (``application/x-ndjson``, one row per line, the fields a file
of that kind has) or a JSON batch (``application/json``: an array of rows, or
``{"rows": [...]}``). The whole request is one import, its rows written in one
transaction; the answer gives its counts and each refused row's line, field and reason.
New records are linked afterwards by the worker (``imports.waiting``), or before the
answer with ``?link=true``. A body over the limits
(``JIGSAW_MAX_FEED_BYTES``, 16 MiB, or ``MAX_FEED_ROWS`` rows) is answered 413 and none
of it is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from jigsaw.identity.dependencies import DB, CurrentActor, require_scope
from jigsaw.identity.tokens import Scope
from jigsaw.imports import service
from jigsaw.imports.kinds import ImportKind
from jigsaw.schemas import MAX_ID

router = APIRouter(
    prefix="/api/imports",
    tags=["imports"],
    dependencies=[Depends(require_scope(Scope.RECORDS_WRITE))],
)

TOO_LARGE = 413


class ProblemOut(BaseModel):
    line: int
    local_id: str
    field: str
    message: str


class FeedImportOut(BaseModel):
    import_id: int
    kind: ImportKind
    agency_id: int
    sha256: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    linked: int
    problems: list[ProblemOut]


async def _body(request: Request) -> bytes:
    """The body, whose size ``hardening.BodyLimit`` has already held to ``max_feed_bytes``."""
    return await request.body()


@router.post("/{kind}", response_model=FeedImportOut)
def import_feed(
    kind: ImportKind,
    request: Request,
    actor: CurrentActor,
    db: DB,
    body: Annotated[bytes, Depends(_body)],
    agency: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    link: bool = False,
) -> FeedImportOut:
    """Import the rows of one kind (records, relationships, involvements or items) for the
    token's own agency; ``agency`` may name it, and any other is refused (403)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        report = service.import_feed(
            db,
            actor,
            kind,
            body,
            agency_id=agency,
            json_batch=content_type == "application/json",
            link=link,
        )
    except service.FeedTooLarge as error:
        raise HTTPException(TOO_LARGE, error.problems[0].message) from None
    return FeedImportOut(
        import_id=report.import_id,
        kind=report.kind,
        agency_id=report.agency_id,
        sha256=report.sha256,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        linked=report.linked,
        problems=[
            ProblemOut(line=p.line, local_id=p.local_id, field=p.field, message=p.message)
            for p in report.problems
        ],
    )
