"""Emergency (break-glass) access pages: the offer on a refusal, the reason form, and ending it.

When the single view refuses someone the policy would let use break-glass on that
child, the refusal page offers "Emergency access" instead of a dead end. The form asks
for a reason, warns that the Data Protection Officers will be told, and needs a fresh
sign-in; the chronology then shows a banner with the time it ends and a button to end
it sooner. Whether any of this is allowed is for ``breakglass.service`` and the policy.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError

from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import EMERGENCY_GROUNDS, EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn
from jigsaw.breakglass.service import EmergencyAccessOffered, OneSessionAtATime
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.identity.dependencies import DB, RecentlyAuthenticatedActor, get_settings_for
from jigsaw.policy.authorize import Permission, refusal
from jigsaw.web.errors import is_api, json_errors
from jigsaw.web.forms import (
    CsrfChecked,
    PageForm,
    Posted,
    Says,
    Viewer,
    by_field,
    path_id,
    problems,
    validate_form,
)
from jigsaw.web.templating import redirect, render

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


class Emergency(PageForm):
    """Whether the reason is enough is ``breakglass.service``'s rule, not the form's."""

    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    category: Annotated[EmergencyGround, Says("Choose why the child's information cannot wait")]
    reason: str = ""


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
    asked, found = validate_form(form, Emergency)
    if asked is None:
        errors = by_field(found)
        problem = "reason" not in errors and breakglass.reason_problem(reason)
        if problem:
            errors["reason"] = problem
        return _form(request, ident, reason, "", errors)
    category = asked.category.value
    settings = get_settings_for(request)
    try:
        breakglass.start(
            db,
            actor,
            ident,
            BreakGlassIn(category=asked.category, reason=asked.reason, minutes=_minutes(request)),
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
    if is_api(request):
        return json_errors([{"field": "", "message": exc.reason}], 403)
    context = {"title": "You cannot see this", "message": exc.reason, "person_id": exc.person_id}
    return render(request, "breakglass/refused.html", context, status_code=403)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(EmergencyAccessOffered, _offered)
