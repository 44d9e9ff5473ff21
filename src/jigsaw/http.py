"""What every route needs: the database and the signed-in actor, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from jigsaw.access import service as access
from jigsaw.access.actor import Actor
from jigsaw.db import Database
from jigsaw.errors import NotSignedIn

SESSION_KEY = "practitioner_id"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def current_actor(request: Request, db: Annotated[Database, Depends(get_db)]) -> Actor:
    practitioner_id = request.session.get(SESSION_KEY)
    if not isinstance(practitioner_id, int):
        raise NotSignedIn("Sign in to continue")
    return access.load_actor(db, practitioner_id)


DB = Annotated[Database, Depends(get_db)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
