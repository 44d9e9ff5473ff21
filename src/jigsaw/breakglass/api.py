"""JSON routes for emergency (break-glass) access. Thin: parse, call the service, answer.

The router declares no token scopes, so API tokens are refused: break-glass is for a
person, who must also have signed in again in the last few minutes to start it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.schemas import BreakGlassIn, BreakGlassOut
from jigsaw.identity.dependencies import (
    DB,
    CurrentActor,
    RecentlyAuthenticatedActor,
    get_settings_for,
)
from jigsaw.schemas import Id

router = APIRouter(prefix="/api", tags=["break-glass"])


@router.post("/people/{person_id}/break-glass", status_code=201, response_model=BreakGlassOut)
def start(
    request: Request,
    person_id: Id,
    data: BreakGlassIn,
    actor: RecentlyAuthenticatedActor,
    db: DB,
) -> BreakGlassOut:
    settings = get_settings_for(request)
    return breakglass.start(
        db,
        actor,
        person_id,
        data,
        settings.break_glass_max_minutes,
        alert_after=settings.break_glass_alert_after,
        alert_hours=settings.break_glass_alert_hours,
    )


@router.post("/break-glass/{session_id}/end", response_model=BreakGlassOut)
def end(session_id: Id, actor: CurrentActor, db: DB) -> BreakGlassOut:
    return breakglass.end(db, actor, session_id)


# ``GET /api/break-glass`` (the actor's own active sessions, and for a DPO the sessions
# they review) is answered in ``oversight.api``, which may read the access log.
