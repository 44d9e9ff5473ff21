"""Notifications: what the practitioner must know about (something shared with them,
corrected, withdrawn or revoked; an Operation Encompass notice with the time to act by),
each leading to the thing it is about and marked read on request.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jigsaw.encompass import service as encompass
from jigsaw.identity.dependencies import DB
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import NotificationOut
from jigsaw.web.forms import CsrfChecked, Viewer, path_id
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


def notification_link(notice: NotificationOut) -> str:
    """Where a notification leads: the thing it is about, as the practitioner sees it."""
    if notice.kind is NotificationKind.OPERATION_ENCOMPASS:
        return f"/encompass/{notice.id}"
    if notice.object_type == "disclosure":
        return f"/shared-with-me#disclosure-{notice.object_id}"
    if notice.object_type == "information_request":
        return f"/requests/{notice.object_id}"
    if notice.object_type == "advice_request":
        return f"/advice/{notice.object_id}"
    if notice.object_type == "agency_record":
        return f"/children/{notice.object_id}"
    if notice.object_type in (
        "break_glass_session",
        "practitioner",
        "api_token",
        "request_agreement_override",
        "disclosure_agreement_override",
        "encompass_agreement_override",
    ):
        return "/access-log/alerts"
    return "/"


@router.get("/notifications")
def notifications_page(request: Request, actor: Viewer, db: DB) -> Response:
    found = notifications.inbox(db, actor)
    context = {
        "title": "Notifications",
        "nav": "notifications",
        "notifications": found,
        "links": {n.id: f"/notifications/{n.id}/open" for n in found},
        "when": {n.id: datetime.fromisoformat(n.created_at) for n in found},
        "due": {n.id: datetime.fromisoformat(n.due_at) for n in found if n.due_at},
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/notifications.html", context)


@router.post("/notifications/{notification_id}/read", dependencies=CsrfChecked)
def mark_read(request: Request, notification_id: str, actor: Viewer, db: DB) -> Response:
    notifications.mark_read(db, actor, path_id(notification_id, "notification"))
    return redirect("/notifications")


@router.post("/notifications/{notification_id}/open", dependencies=CsrfChecked)
def open_notification(request: Request, notification_id: str, actor: Viewer, db: DB) -> Response:
    """Go to what the notice is about, marking it read.

    A POST with the form token, drawn as a link: marking read is a change, so a link
    or a page on another site cannot make it. An Operation Encompass notice is marked
    read only by its page, once it has opened for the DSL it is addressed to.
    Everything the notice leads to asks its own questions of the policy.
    """
    notice = notifications.open_notice(db, actor, path_id(notification_id, "notification"))
    return redirect(notification_link(notice))


@router.get("/encompass/{notification_id}")
def encompass_notice(request: Request, notification_id: str, actor: Viewer, db: DB) -> Response:
    """An Operation Encompass notice: the incident's date and whom in the police to contact."""
    found = encompass.notice(db, actor, path_id(notification_id, "notification"))
    # Opening it marked it read: the navigation's count, taken before, says so too.
    request.state.unread = notifications.unread_count(db, actor)
    context = {
        "title": "Operation Encompass notice",
        "nav": "notifications",
        "notice": found,
    }
    return render(request, "sharing/encompass_notice.html", context)
