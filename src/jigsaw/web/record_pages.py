"""The decision's record pages: the outcome, the items held back, reasons, lawful basis and
conditions, consent, telling the family (and when not telling them will be reviewed),
accuracy, protected identities and the advice relied on.

Most are one choice or one piece of text, so they are described as data
(``CHOICE_PAGES``, ``TEXT_PAGES``, where the purpose asked at the start fits too) and
share two routes each; the family, review date, items held back and advice pages have
their own. Each page only updates the draft; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field, create_model

from jigsaw.clock import today
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity.dependencies import DB
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.schemas import ItemOut
from jigsaw.schemas import Id, says_something
from jigsaw.sharing import agreement_checks, decisions
from jigsaw.sharing.lawful_basis import DESCRIPTIONS, Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.requirements import NO_WORDS
from jigsaw.sharing.schemas import AgreementCheckOut
from jigsaw.web import labels
from jigsaw.web.decision_journey import Journey
from jigsaw.web.decision_pages import (
    SHARE,
    adviser_names,
    answered_advice,
    journey_page,
    open_step,
    record_number,
    step_saved,
    step_url,
)
from jigsaw.web.drafts import DecisionDraft
from jigsaw.web.forms import (
    CsrfChecked,
    DateInput,
    Errors,
    Offered,
    PageForm,
    Posted,
    Says,
    Viewer,
    by_field,
    date_parts,
    validate_form,
)

router = APIRouter(include_in_schema=False)

NO_CONDITION = "none"


# Record pages with one choice


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    hint: str = ""


@dataclass(frozen=True)
class ChoicePage:
    field: str
    title: str
    hint: str
    blank: str
    choices: Callable[[Journey], list[Choice]]


def _outcomes(journey: Journey) -> list[Choice]:
    return [Choice(o.value, labels.OUTCOMES[o], labels.OUTCOME_HINTS[o]) for o in DecisionOutcome]


def _bases(codes: list[str]) -> list[Choice]:
    return [Choice(c, labels.LAWFUL_BASES[c], DESCRIPTIONS[c]) for c in codes]


def _none_applies(journey: Journey, field: str, question: str) -> bool:
    """Whether "none applies" is offered: not where the practitioner said a condition
    exists, nor where the guidance requires one (where significant harm is suspected it
    asks for the condition that lets the details showing the risk be shared, so leaving
    them out, and sharing only in part, is never put to the practitioner as the way on)."""
    asked = journey.requirements.get(field)
    return journey.answer(question) != "yes" and not (asked is not None and asked.required)


def _art9(journey: Journey) -> list[Choice]:
    found = _bases([c.value for c in Art9Condition])
    if _none_applies(journey, "art9_condition", "art9_condition"):
        found.append(Choice(NO_CONDITION, "None applies: leave special category data out"))
    return found


def _art10(journey: Journey) -> list[Choice]:
    found = _bases([c.value for c in Art10Condition])
    if _none_applies(journey, "art10_condition", "art10_condition"):
        found.append(Choice(NO_CONDITION, "None applies: leave criminal offence data out"))
    return found


CHOICE_PAGES: dict[str, ChoicePage] = {
    "purpose": ChoicePage(
        "purpose",
        "Why would you share?",
        "Choose the purpose the recipient needs the information for.",
        "Choose the purpose of sharing",
        lambda _: [Choice(p.value, labels.PURPOSES[p]) for p in SharingPurpose],
    ),
    "outcome": ChoicePage(
        "outcome",
        "What have you decided?",
        "You can decide differently from the guidance, but you will need to say why.",
        "Choose whether you will share",
        _outcomes,
    ),
    "lawful-basis": ChoicePage(
        "lawful_basis",
        "What is your lawful basis for sharing?",
        "Choose the UK GDPR Article 6 basis. For most public bodies this is public task.",
        "Choose the lawful basis for sharing",
        lambda _: _bases([b.value for b in Art6Basis]),
    ),
    "special-category": ChoicePage(
        "art9_condition",
        "Which condition allows you to share special category data?",
        "Special category data includes health, sexual life, ethnic origin and religion.",
        "Choose the condition for special category data, or that none applies",
        _art9,
    ),
    "criminal-offence": ChoicePage(
        "art10_condition",
        "Which condition allows you to share criminal offence data?",
        "Criminal offence data covers allegations, offences, cautions and convictions.",
        "Choose the condition for criminal offence data, or that none applies",
        _art10,
    ),
    "not-told": ChoicePage(
        "not_told_reason",
        "Why will you not tell the child or family?",
        "Tell them later, when it is safe, unless a reason here still applies.",
        "Select why you will not tell them",
        lambda _: [Choice(r.value, labels.NOT_TOLD_REASONS[r]) for r in NotToldReason],
    ),
    "consent": ChoicePage(
        "consent_position",
        "What is the position on consent?",
        "Agreeing to receive a service is not consent to share.",
        "Choose the position on consent",
        lambda _: [Choice(p.value, labels.CONSENT_POSITIONS[p]) for p in ConsentPosition],
    ),
}


def _chosen(journey: Journey, step: str, page: ChoicePage) -> str | None:
    value = getattr(journey.draft, page.field)
    if value == "" and step in journey.draft.done:
        return NO_CONDITION
    if value is None and step == "outcome":
        recommended = journey.recommendation.outcome.value
        return recommended if recommended in {o.value for o in DecisionOutcome} else None
    return None if value is None else str(value)


def _agreement_check(db: Database, actor: Actor, journey: Journey) -> AgreementCheckOut | None:
    """What the data sharing agreements say of sharing as the draft stands, for the page
    where the practitioner decides whether to share."""
    draft = journey.draft
    if draft.recipient_agency_id is None or draft.purpose is None:
        return None
    evaluation = decisions.check_share(
        db,
        actor,
        draft.subject_record_id,
        draft.recipient_agency_id,
        SharingPurpose(draft.purpose),
        draft.request_id,
    )
    return agreement_checks.evaluation_out(evaluation)


def _choice_page(
    request: Request,
    journey: Journey,
    step: str,
    chosen: str | None,
    errors: Errors,
    check: AgreementCheckOut | None = None,
) -> Response:
    page = CHOICE_PAGES[step]
    context = {
        "check": check,
        "title": page.title,
        "page": page,
        "choices": page.choices(journey),
        "chosen": chosen,
        "recommended": journey.recommendation.outcome.value if step == "outcome" else None,
    }
    return journey_page(request, journey, step, "sharing/choice.html", context, errors)


def _store_choice(draft: DecisionDraft, page: ChoicePage, value: str) -> None:
    setattr(draft, page.field, "" if value == NO_CONDITION else value)


# Record pages with one piece of text


@dataclass(frozen=True)
class TextPage:
    field: str
    title: str
    hint: str
    blank: str
    limit: int = 1000
    optional: bool = False
    in_words: str | None = None
    """What to say when the text has no words in it (a dash, an invisible character):
    for a page whose text the service will refuse unless it says something."""


TEXT_PAGES: dict[str, TextPage] = {
    "departure": TextPage(
        "departure_reason",
        "Why have you decided differently from the guidance?",
        "Say what you know that the guidance's questions did not capture.",
        "Say why you decided differently from the guidance",
    ),
    "reasons": TextPage(
        "reasons",
        "Why have you made this decision?",
        "Give the facts you relied on, as you would explain them to the family or a "
        "reviewer. If this answers a request, the agency that asked will see your reasons.",
        "Give the reasons for your decision",
        limit=1500,
    ),
    "consent-override": TextPage(
        "consent_override_justification",
        "Why are you sharing without consent?",
        "Consent was refused or withdrawn, or you are sharing confidential information "
        "without it in the public interest. Give the facts that justify it: the risk, and "
        "why sharing is necessary and proportionate.",
        "Give the facts that justify sharing without consent",
    ),
    "accuracy": TextPage(
        "accuracy_caveats",
        "What should the recipient know about the accuracy of the information?",
        "Say which parts are not checked, out of date, or opinion rather than fact.",
        "Say which parts are not checked, out of date or opinion",
    ),
    "protected": TextPage(
        "reveal_protected_reason",
        "Must the recipient know who the protected people are?",
        "Their names and details are withheld from what you share. Only if the recipient "
        "must know who they are, say why. Otherwise leave this blank.",
        "",
        optional=True,
    ),
    "could-not-wait": TextPage(
        "urgent_reason",
        "Why could this decision not wait for advice?",
        "The guidance recommends seeking advice before you decide, and you have not linked "
        "any. Say why you could not wait: for example, a child was in immediate danger, "
        "or it was out of hours and no one you could ask was reachable.",
        "Say why this decision could not wait for advice, or link the advice you had",
        in_words=NO_WORDS,
    ),
}


def _choice_form(page: ChoicePage) -> type[PageForm]:
    chosen: Any = Annotated[str, Says(page.blank), Offered]
    return create_model(f"Chose_{page.field}", __base__=PageForm, **{page.field: chosen})


def _text_form(page: TextPage) -> type[PageForm]:
    """Text written over several lines, up to the page's limit."""
    says = Says(page.blank, too_long=f"Use {page.limit} characters or fewer")
    text: Any = Annotated[str, says, Field(max_length=page.limit)]
    field: Any = (text, "") if page.optional else text
    model = create_model(f"Wrote_{page.field}", __base__=PageForm, **{page.field: field})
    model.free_text = frozenset({page.field})
    return model


CHOICE_FORMS = {step: _choice_form(page) for step, page in CHOICE_PAGES.items()}
TEXT_FORMS = {step: _text_form(page) for step, page in TEXT_PAGES.items()}


def _text_page(
    request: Request, journey: Journey, step: str, value: str, errors: Errors
) -> Response:
    page = TEXT_PAGES[step]
    recommended = labels.RECOMMENDATIONS[journey.recommendation.outcome.value]
    context = {
        "title": page.title,
        "page": page,
        "value": value,
        "recommended": recommended,
        "ask_url": step_url(journey.draft.subject_record_id, "ask-advice"),
        "advice_url": step_url(journey.draft.subject_record_id, "advice"),
    }
    return journey_page(request, journey, step, "sharing/text.html", context, errors)


# The family, and advice to link


@router.get(SHARE + "/family")
def family_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "family")
    if isinstance(journey, Response):
        return journey
    told = journey.draft.family_informed
    return _family_page(request, journey, "" if told is None else ("yes" if told else "no"), {})


def _family_page(request: Request, journey: Journey, told: str, errors: Errors) -> Response:
    context = {"title": "Will you tell the child or family about this sharing?", "told": told}
    return journey_page(request, journey, "family", "sharing/family.html", context, errors)


class FamilyTold(PageForm):
    family_informed: Annotated[
        Literal["yes", "no"], Says("Select yes if you will tell the child or family")
    ]


@router.post(SHARE + "/family", dependencies=CsrfChecked)
def family_answered(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "family")
    if isinstance(journey, Response):
        return journey
    answered, found = validate_form(form, FamilyTold)
    if answered is None:
        return _family_page(request, journey, form.text("family_informed"), by_field(found))
    journey.draft.family_informed = answered.family_informed == "yes"
    asked = journey.requirements.get("family_informed")
    if asked is not None and asked.problem:
        # The service would refuse it (telling them after answering that it would
        # increase the risk), so say so here, on the answer, not at the end.
        return _family_page(
            request, journey, answered.family_informed, {"family_informed": asked.problem}
        )
    return step_saved(request, db, actor, journey.draft)


@router.get(SHARE + "/advice")
def advice_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "advice")
    if isinstance(journey, Response):
        return journey
    chosen = [str(i) for i in journey.draft.advice_request_ids]
    return _advice_page(request, db, actor, journey, chosen, {})


def _advice_page(
    request: Request,
    db: Database,
    actor: Actor,
    journey: Journey,
    chosen: list[str],
    errors: Errors,
) -> Response:
    answered = answered_advice(db, actor, journey.draft.subject_record_id)
    context = {
        "title": "Which advice did you have?",
        "answered": answered,
        "chosen": chosen,
        "names": adviser_names(db, answered),
        "needs_advice": journey.needs_advice,
        "ask_url": step_url(journey.draft.subject_record_id, "ask-advice"),
    }
    return journey_page(request, journey, "advice", "sharing/advice_links.html", context, errors)


NO_ADVICE = "Select the advice you had. If you have none yet, ask for advice"


class AdviceLinked(PageForm):
    """The advice relied on; any not offered to this practitioner is left out, not refused.

    Where the guidance said to seek advice, none may be chosen here: the next page then
    asks why the decision could not wait for it.
    """

    advice_request_ids: Annotated[list[Id], Says(NO_ADVICE)] = []


@router.post(SHARE + "/advice", dependencies=CsrfChecked)
def advice_linked(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "advice")
    if isinstance(journey, Response):
        return journey
    offered = {a.id for a in answered_advice(db, actor, ident)}
    linked, found = validate_form(form, AdviceLinked)
    chosen = [i for i in (linked.advice_request_ids if linked else []) if i in offered]
    if linked is None:
        errors = by_field(found) or {"advice_request_ids": NO_ADVICE}
        return _advice_page(request, db, actor, journey, [str(i) for i in chosen], errors)
    journey.draft.advice_request_ids = chosen
    return step_saved(request, db, actor, journey.draft, "advice")


# When not telling the family will be reviewed


REVIEW_LABEL = "the date you will review this"


def _today_or_later(chosen: date) -> date:
    if chosen < today():
        raise ValueError("The review date must be today or in the future")
    return chosen


class ReviewDate(PageForm):
    not_told_review_on: Annotated[
        date,
        Says("Enter the date you will review not telling them"),
        DateInput(REVIEW_LABEL),
        AfterValidator(_today_or_later),
    ]


@router.get(SHARE + "/review")
def review_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "review")
    if isinstance(journey, Response):
        return journey
    return _review_page(request, journey, date_parts(journey.draft.not_told_review_on), {})


def _review_page(
    request: Request, journey: Journey, entered: dict[str, str], errors: Errors
) -> Response:
    context = {
        "title": "When will you review not telling the child or family?",
        "entered": entered,
    }
    return journey_page(request, journey, "review", "sharing/review.html", context, errors)


@router.post(SHARE + "/review", dependencies=CsrfChecked)
def review_chosen(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "review")
    if isinstance(journey, Response):
        return journey
    chosen, found = validate_form(form, ReviewDate)
    if chosen is None:
        entered = {p: form.text(f"not_told_review_on-{p}") for p in ("day", "month", "year")}
        return _review_page(request, journey, entered, by_field(found))
    journey.draft.not_told_review_on = chosen.not_told_review_on
    return step_saved(request, db, actor, journey.draft)


# Which items a decision not to share holds back


def held_back_choices(db: Database, actor: Actor, record_id: int) -> list[ItemOut]:
    """The child's current items; a withdrawn one is no longer there to hold back."""
    return [i for i in records.list_items_for_record(db, actor, record_id) if not i.retracted]


NO_ITEMS = "Select the information you are not sharing"


class ItemsHeldBack(PageForm):
    """The items held back; any not offered on the page is left out, not refused."""

    withheld_item_ids: Annotated[list[Id], Says(NO_ITEMS)] = []


@router.get(SHARE + "/held-back")
def held_back_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "held-back")
    if isinstance(journey, Response):
        return journey
    chosen = [str(i) for i in journey.draft.withheld_item_ids]
    items = held_back_choices(db, actor, ident)
    return _held_back_page(request, journey, items, chosen, {})


def _held_back_page(
    request: Request,
    journey: Journey,
    items: list[ItemOut],
    chosen: list[str],
    errors: Errors,
) -> Response:
    """The items are read once by the route: each read of them is an audited read."""
    context = {
        "title": "Which information are you not sharing?",
        "items": items,
        "chosen": chosen,
    }
    return journey_page(request, journey, "held-back", "sharing/held_back.html", context, errors)


@router.post(SHARE + "/held-back", dependencies=CsrfChecked)
def held_back_chosen(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "held-back")
    if isinstance(journey, Response):
        return journey
    items = held_back_choices(db, actor, ident)
    offered = {i.id for i in items}
    ticked, found = validate_form(form, ItemsHeldBack)
    chosen = [i for i in (ticked.withheld_item_ids if ticked else []) if i in offered]
    if ticked is None or (offered and not chosen):
        errors = by_field(found) or {"withheld_item_ids": NO_ITEMS}
        return _held_back_page(request, journey, items, [str(i) for i in chosen], errors)
    journey.draft.withheld_item_ids = chosen
    return step_saved(request, db, actor, journey.draft, "held-back")


# One GET and one POST route for each one-choice and one-text page


def _shown(step: str) -> Callable[..., Response]:
    def show(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
        ident = record_number(record_id)
        journey = open_step(request, db, actor, ident, step)
        if isinstance(journey, Response):
            return journey
        if step in CHOICE_PAGES:
            chosen = _chosen(journey, step, CHOICE_PAGES[step])
            check = _agreement_check(db, actor, journey) if step == "outcome" else None
            return _choice_page(request, journey, step, chosen, {}, check)
        value = getattr(journey.draft, TEXT_PAGES[step].field)
        return _text_page(request, journey, step, value, {})

    return show


def _answered(step: str) -> Callable[..., Response]:
    def answer(request: Request, record_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
        ident = record_number(record_id)
        journey = open_step(request, db, actor, ident, step)
        if isinstance(journey, Response):
            return journey
        draft = journey.draft
        if step in CHOICE_PAGES:
            page = CHOICE_PAGES[step]
            offered = {page.field: {c.value for c in page.choices(journey)}}
            chosen, found = validate_form(form, CHOICE_FORMS[step], offered)
            if chosen is None:
                check = _agreement_check(db, actor, journey) if step == "outcome" else None
                return _choice_page(request, journey, step, None, by_field(found), check)
            _store_choice(draft, page, getattr(chosen, page.field))
        else:
            text = TEXT_PAGES[step]
            wrote, found = validate_form(form, TEXT_FORMS[step])
            if wrote is None:
                value = form.text(text.field)
                return _text_page(request, journey, step, value, by_field(found))
            written = getattr(wrote, text.field)
            if text.in_words and not says_something(written):
                return _text_page(request, journey, step, written, {text.field: text.in_words})
            setattr(draft, text.field, written)
        return step_saved(request, db, actor, draft, step)

    return answer


for _step in (*CHOICE_PAGES, *TEXT_PAGES):
    router.add_api_route(f"{SHARE}/{_step}", _shown(_step), methods=["GET"])
    router.add_api_route(
        f"{SHARE}/{_step}", _answered(_step), methods=["POST"], dependencies=CsrfChecked
    )
