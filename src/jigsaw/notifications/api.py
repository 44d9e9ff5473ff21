from __future__ import annotations

from fastapi import APIRouter

from jigsaw.identity.dependencies import DB, CurrentActor
from jigsaw.notifications import service
from jigsaw.notifications.service import NotificationOut
from jigsaw.schemas import Id

router = APIRouter(prefix="/api", tags=["notifications"])


@router.get("/notifications", response_model=list[NotificationOut])
def inbox(actor: CurrentActor, db: DB, unread: bool = False) -> list[NotificationOut]:
    return service.inbox(db, actor, unread_only=unread)


@router.post("/notifications/{notification_id}/read", status_code=204)
def mark_read(notification_id: Id, actor: CurrentActor, db: DB) -> None:
    service.mark_read(db, actor, notification_id)
