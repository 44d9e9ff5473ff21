"""JSON routes for requests, advice, decisions and disclosures. Thin: each calls one service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Profile
from jigsaw.identity.dependencies import (
    DB,
    CurrentActor,
    RecentlyAuthenticatedActor,
    require_scopes,
)
from jigsaw.identity.tokens import Scope
from jigsaw.schemas import Id
from jigsaw.sharing import advice, decisions, disclosures, requests, standalone
from jigsaw.sharing.schemas import (
    AdviceAnswerIn,
    AdviceIn,
    AdviceOut,
    DecisionIn,
    DecisionOut,
    DisclosureIn,
    DisclosureOut,
    RefusalOut,
    RequestIn,
    RequestOut,
    RerateIn,
    RevocationIn,
    StandaloneDecisionIn,
    StandaloneDecisionOut,
)

router = APIRouter(
    prefix="/api",
    tags=["sharing"],
    dependencies=[Depends(require_scopes(read=Scope.SHARING_READ, write=Scope.SHARING_WRITE))],
)


def deadline_profile(request: Request) -> Profile:
    return load_profile(request.app.state.settings.deadline_profile)


TimescaleProfile = Annotated[Profile, Depends(deadline_profile)]


@router.post("/requests", response_model=RequestOut, status_code=201)
def make_request(
    body: RequestIn, actor: CurrentActor, db: DB, profile: TimescaleProfile
) -> RequestOut:
    return requests.make_request(db, actor, body, profile)


@router.get("/requests/incoming", response_model=list[RequestOut])
def incoming(actor: CurrentActor, db: DB, overdue: bool = False) -> list[RequestOut]:
    return requests.incoming_requests(db, actor, overdue_only=overdue)


@router.get("/requests/outgoing", response_model=list[RequestOut])
def outgoing(actor: CurrentActor, db: DB) -> list[RequestOut]:
    return requests.outgoing_requests(db, actor)


@router.get("/requests/{request_id}", response_model=RequestOut)
def view_request(request_id: Id, actor: CurrentActor, db: DB) -> RequestOut:
    return requests.view_request(db, actor, request_id)


@router.post("/requests/{request_id}/rating", response_model=RequestOut, status_code=201)
def rerate(
    request_id: Id, body: RerateIn, actor: CurrentActor, db: DB, profile: TimescaleProfile
) -> RequestOut:
    return requests.rerate(db, actor, request_id, body, profile)


@router.get("/requests/{request_id}/decisions", response_model=list[RefusalOut])
def request_decisions(request_id: Id, actor: CurrentActor, db: DB) -> list[RefusalOut]:
    return decisions.decisions_for_request(db, actor, request_id)


@router.post("/advice", response_model=AdviceOut, status_code=201)
def ask_advice(body: AdviceIn, actor: CurrentActor, db: DB) -> AdviceOut:
    return advice.ask(db, actor, body)


@router.get("/advice", response_model=list[AdviceOut])
def advice_inbox(actor: CurrentActor, db: DB) -> list[AdviceOut]:
    return advice.advice_inbox(db, actor)


@router.get("/advice/{advice_id}", response_model=AdviceOut)
def view_advice(advice_id: Id, actor: CurrentActor, db: DB) -> AdviceOut:
    return advice.view_advice(db, actor, advice_id)


@router.post("/advice/{advice_id}/answer", response_model=AdviceOut, status_code=201)
def answer_advice(advice_id: Id, body: AdviceAnswerIn, actor: CurrentActor, db: DB) -> AdviceOut:
    return advice.answer(db, actor, advice_id, body)


@router.post("/decisions", response_model=DecisionOut, status_code=201)
def decide(body: DecisionIn, actor: CurrentActor, db: DB) -> DecisionOut:
    return decisions.decide(db, actor, body)


@router.get("/decisions/{decision_id}", response_model=DecisionOut)
def view_decision(decision_id: Id, actor: CurrentActor, db: DB) -> DecisionOut:
    return decisions.view_decision(db, actor, decision_id)


@router.post("/standalone-decisions", response_model=StandaloneDecisionOut, status_code=201)
def record_standalone(
    body: StandaloneDecisionIn, actor: CurrentActor, db: DB
) -> StandaloneDecisionOut:
    return standalone.record_standalone(db, actor, body)


@router.get("/standalone-decisions", response_model=list[StandaloneDecisionOut])
def agency_standalone(actor: CurrentActor, db: DB) -> list[StandaloneDecisionOut]:
    return standalone.agency_standalone(db, actor)


@router.get("/standalone-decisions/{decision_id}", response_model=StandaloneDecisionOut)
def view_standalone(decision_id: Id, actor: CurrentActor, db: DB) -> StandaloneDecisionOut:
    return standalone.view_standalone(db, actor, decision_id)


@router.post("/disclosures", response_model=DisclosureOut, status_code=201)
def disclose(body: DisclosureIn, actor: RecentlyAuthenticatedActor, db: DB) -> DisclosureOut:
    return disclosures.disclose(db, actor, body)


@router.get("/disclosures/received", response_model=list[DisclosureOut])
def received(actor: CurrentActor, db: DB) -> list[DisclosureOut]:
    return disclosures.received(db, actor)


@router.get("/disclosures/received/{disclosure_id}", response_model=DisclosureOut)
def view_received(disclosure_id: Id, actor: CurrentActor, db: DB) -> DisclosureOut:
    return disclosures.view_received(db, actor, disclosure_id)


@router.get("/disclosures/made", response_model=list[DisclosureOut])
def made(actor: CurrentActor, db: DB, subject_record_id: Id | None = None) -> list[DisclosureOut]:
    return disclosures.made_by_agency(db, actor, subject_record_id)


@router.post(
    "/disclosures/{disclosure_id}/acknowledgement", response_model=DisclosureOut, status_code=201
)
def acknowledge(disclosure_id: Id, actor: CurrentActor, db: DB) -> DisclosureOut:
    return disclosures.acknowledge(db, actor, disclosure_id)


@router.post(
    "/disclosures/{disclosure_id}/revocation", response_model=DisclosureOut, status_code=201
)
def revoke(
    disclosure_id: Id, body: RevocationIn, actor: RecentlyAuthenticatedActor, db: DB
) -> DisclosureOut:
    return disclosures.revoke(db, actor, disclosure_id, body)
