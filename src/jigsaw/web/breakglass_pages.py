"""Emergency (break-glass) access pages: the offer on a refusal, the reason form, and ending it.

When the single view refuses someone the policy would let use break-glass on that
child, the refusal page offers "Emergency access" instead of a dead end. The form asks
for a reason, warns that the Data Protection Officers will be told, and needs a fresh
sign-in; the chronology then shows a banner with the time it ends and a button to end
it sooner. Whether any of this is allowed is for ``access.breakglass`` and the policy.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from jigsaw.access import breakglass
from jigsaw.access.breakglass import EmergencyAccessOffered, OneSessionAtATime
from jigsaw.access.breakglass_schemas import BreakGlassIn
from jigsaw.access.models import EMERGENCY_GROUNDS, EmergencyGround
from jigsaw.access.policy import Permission, refusal
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.http import DB, RecentlyAuthenticatedActor, get_settings_for
from jigsaw.web.forms import CsrfChecked, Posted, Viewer, path_id, problems, redirect, render
from jigsaw.web.templating import templates

router = APIRouter(include_in_schema=False)


def _minutes(request: Request) -> int:
    return min(breakglass.DEFAULT_MINUTES, get_settings_for(request).break_glass_max_minutes)


def _form(
    request: Request,
    person_id: int,
    reason: str,
    category: str = "",
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    context = {
        "title": "Use emergency access",
        "person_id": person_id,
        "reason": reason,
        "category": category,
        "grounds": [
            {"value": ground.value, "text": text} for ground, text in EMERGENCY_GROUNDS.items()
        ],
        "minutes": _minutes(request),
        "back": f"/people/{person_id}/chronology",
    }
    anchors = {
        "category": f"#category-{EmergencyGround.SIGNIFICANT_HARM.value}",
        "active": "#reason",
    }
    return render(
        request,
        "breakglass/start.html",
        context,
        errors=errors,
        anchors=anchors,
        status_code=status_code,
    )


@router.get("/people/{person_id}/emergency-access")
def emergency_access(
    request: Request,
    person_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
) -> Response:
    ident = path_id(person_id, "person")
    if not breakglass.may_start(actor, ident):
        raise NotPermitted(refusal(Permission.START_BREAK_GLASS))
    return _form(request, ident, "")


@router.post("/people/{person_id}/emergency-access", dependencies=CsrfChecked)
def start(
    request: Request,
    person_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
    db: DB,
    form: Posted,
) -> Response:
    ident = path_id(person_id, "person")
    reason = form.text("reason")
    category = form.text("category")
    if category not in {g.value for g in EmergencyGround}:
        errors = {"category": "Choose why the child's information cannot wait"}
        problem = breakglass.reason_problem(reason)
        if problem:
            errors["reason"] = problem
        return _form(request, ident, reason, "", errors)
    settings = get_settings_for(request)
    try:
        breakglass.start(
            db,
            actor,
            ident,
            BreakGlassIn(
                category=EmergencyGround(category), reason=reason, minutes=_minutes(request)
            ),
            settings.break_glass_max_minutes,
            alert_after=settings.break_glass_alert_after,
            alert_hours=settings.break_glass_alert_hours,
        )
    except (InvalidInput, ValidationError) as error:
        return _form(request, ident, reason, category, problems(error))
    except OneSessionAtATime as clash:
        return _form(request, ident, reason, category, {"active": str(clash)}, 409)
    except Conflict:
        pass
    return redirect(f"/people/{ident}/chronology")


@router.post("/break-glass/{session_id}/end", dependencies=CsrfChecked)
def end(session_id: str, actor: Viewer, db: DB) -> Response:
    try:
        ended = breakglass.end(db, actor, path_id(session_id, "break-glass session"))
    except Conflict:
        return redirect("/")
    return redirect(f"/people/{ended.person_id}/chronology")


async def _offered(request: Request, exc: Exception) -> Response:
    """A refused single view: pages offer emergency access; the API refuses as usual."""
    assert isinstance(exc, EmergencyAccessOffered)
    if request.url.path.startswith("/api"):
        return JSONResponse({"errors": [{"field": "", "message": exc.reason}]}, status_code=403)
    context = {"title": "You cannot see this", "message": exc.reason, "person_id": exc.person_id}
    return templates.TemplateResponse(request, "breakglass/refused.html", context, status_code=403)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(EmergencyAccessOffered, _offered)
