"""Notifications: what the practitioner must know about (something shared with them,
corrected, withdrawn or revoked; an Operation Encompass notice with the time to act by),
each leading to the thing it is about and marked read on request.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jigsaw.identity.dependencies import DB
from jigsaw.notifications import service as notifications
from jigsaw.notifications.service import NotificationOut
from jigsaw.web.forms import CsrfChecked, Viewer, path_id
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


def notification_link(notice: NotificationOut) -> str:
    """Where a notification leads: the thing it is about, as the practitioner sees it."""
    if notice.object_type == "disclosure":
        return f"/shared-with-me#disclosure-{notice.object_id}"
    if notice.object_type == "information_request":
        return f"/requests/{notice.object_id}"
    if notice.object_type == "advice_request":
        return f"/advice/{notice.object_id}"
    if notice.object_type == "agency_record":
        return f"/children/{notice.object_id}"
    if notice.object_type in ("break_glass_session", "practitioner", "api_token"):
        return "/access-log/alerts"
    return "/"


@router.get("/notifications")
def notifications_page(request: Request, actor: Viewer, db: DB) -> Response:
    found = notifications.inbox(db, actor)
    context = {
        "title": "Notifications",
        "nav": "notifications",
        "notifications": found,
        "links": {n.id: notification_link(n) for n in found},
        "when": {n.id: datetime.fromisoformat(n.created_at) for n in found},
        "due": {n.id: datetime.fromisoformat(n.due_at) for n in found if n.due_at},
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/notifications.html", context)


@router.post("/notifications/{notification_id}/read", dependencies=CsrfChecked)
def mark_read(request: Request, notification_id: str, actor: Viewer, db: DB) -> Response:
    notifications.mark_read(db, actor, path_id(notification_id, "notification"))
    return redirect("/notifications")
