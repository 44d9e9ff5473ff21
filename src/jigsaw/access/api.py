from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from jigsaw.access import service
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import PractitionerOut
from jigsaw.http import DB, SESSION_KEY, CurrentActor

router = APIRouter(prefix="/api", tags=["sessions"])


class SignIn(BaseModel):
    email: str
    password: str


@router.post("/session", response_model=PractitionerOut)
def sign_in(body: SignIn, request: Request, db: DB) -> PractitionerOut:
    actor = service.sign_in(db, body.email, body.password)
    assert actor.practitioner_id is not None
    request.session.clear()
    request.session[SESSION_KEY] = actor.practitioner_id
    return agencies.get_practitioner(db, actor.practitioner_id)


@router.delete("/session", status_code=204)
def sign_out(request: Request) -> None:
    request.session.clear()


@router.get("/me", response_model=PractitionerOut)
def me(actor: CurrentActor, db: DB) -> PractitionerOut:
    assert actor.practitioner_id is not None
    return agencies.get_practitioner(db, actor.practitioner_id)
