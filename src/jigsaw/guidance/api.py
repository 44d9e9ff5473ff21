"""The guidance over HTTP: read an edition's questions, and ask for a recommendation.

Asking for a recommendation writes nothing and names no one: it takes answers only,
so a practitioner can think a case through (or a trainer can show one) before any
decision is recorded.
"""

from __future__ import annotations

from fastapi import APIRouter

from jigsaw.guidance.edition import Edition, Recommendation
from jigsaw.guidance.engine import list_editions, load_edition, settle
from jigsaw.identity.dependencies import CurrentActor
from jigsaw.schemas import Input

router = APIRouter(prefix="/api/guidance", tags=["guidance"])


class RecommendationRequest(Input):
    edition: str | None = None
    answers: dict[str, str]


@router.get("/editions", response_model=list[str])
def editions(_actor: CurrentActor) -> tuple[str, ...]:
    return list_editions()


@router.get("/editions/{edition_id}", response_model=Edition, response_model_by_alias=True)
def edition(edition_id: str, _actor: CurrentActor) -> Edition:
    return load_edition(edition_id)


@router.post("/recommendation", response_model=Recommendation)
def recommendation(body: RecommendationRequest, _actor: CurrentActor) -> Recommendation:
    """The recommendation a decision on these answers would record, as ``settle`` gives
    it: finished early, with the questions skipped, once nothing open could change it."""
    return settle(load_edition(body.edition), body.answers)
