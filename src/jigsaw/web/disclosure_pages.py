"""After a decision: its confirmation, choosing exactly what to share, and what follows.

The sharer chooses items and fields (never the whole record by default; whether each
item is fact or opinion always goes with it) and an expiry, checks, and shares; the
choice waits in a sealed draft on the server (``drafts``) until then. The recipient's
"Shared with me" shows only the disclosed fields, each item's newest version, with an
acknowledgement; the sharer's "Shared by us" can revoke.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import AfterValidator, Field, ValidationError, create_model

from jigsaw.agreements.validity import Evaluation
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.guidance import load_version
from jigsaw.identity.dependencies import DB, RecentlyAuthenticatedActor
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.schemas import ItemOut
from jigsaw.sharing import agreement_checks, decisions, disclosures
from jigsaw.sharing.requirements import SHARING
from jigsaw.sharing.schemas import (
    ALWAYS_CARRIED,
    DISCLOSABLE_FIELDS,
    DecisionOut,
    DisclosedItemIn,
    DisclosureIn,
    DisclosureOut,
    RevocationIn,
    carried_fields,
)
from jigsaw.web import drafts, labels
from jigsaw.web.check_answers import held_back_row, skipped_rows
from jigsaw.web.drafts import DisclosureDraft
from jigsaw.web.forms import (
    CsrfChecked,
    DateInput,
    Errors,
    PageForm,
    Posted,
    Says,
    Viewer,
    by_field,
    date_parts,
    flash,
    path_id,
    problems,
    validate_form,
)
from jigsaw.web.names import Names
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 30
CHOSEN_FIELDS = tuple(f for f in DISCLOSABLE_FIELDS if f not in ALWAYS_CARRIED)
"""The parts the sharer ticks; whether an item is fact or opinion goes with it always, so
it is shown as included rather than offered as a box that could be left unticked."""
EXPIRY_LABEL = "the date the recipient's access ends"


def _decision(db: Database, actor: Actor, raw: str) -> DecisionOut:
    return decisions.view_decision(db, actor, path_id(raw, "sharing decision"))


# The decision's confirmation


def _record_rows(db: Database, actor: Actor, decision: DecisionOut) -> list[dict[str, Any]]:
    """What the decision record holds beyond its outcome: every answer given, the
    questions not asked and why, the items held back and when not telling the family
    will be reviewed."""
    edition = load_version(decision.guidance_edition, decision.guidance_version)
    rows: list[dict[str, Any]] = []
    for question in edition.questions:
        answer = decision.answers.get(question.id)
        if answer is not None:
            label = next((o.label for o in question.answers if o.value == answer), answer)
            rows.append({"key": {"text": question.text}, "value": {"text": label}})
    rows.extend(skipped_rows(edition, decision.skipped_questions))
    if decision.withheld_item_ids:
        versions = records.list_items_for_record(
            db, actor, decision.subject_record_id, include_history=True
        )
        rows.append(held_back_row([_described(item) for item in _newest(versions, decision)]))
    if decision.not_told_review_on is not None:
        rows.append(
            {
                "key": {"text": "When not telling the family will be reviewed"},
                "value": {"text": labels.long_date(decision.not_told_review_on)},
            }
        )
    rows.extend(advice_rows(decision))
    return rows


def advice_rows(decision: DecisionOut) -> list[dict[str, Any]]:
    """The advice the decision links, and why it could not wait for advice if it says so:
    where the guidance said to seek advice, the record holds one or the other."""
    rows: list[dict[str, Any]] = []
    if decision.advice_request_ids:
        links = Markup("").join(
            Markup('<li><a class="govuk-link" href="/advice/{}">Advice request {}</a></li>').format(
                i, i
            )
            for i in decision.advice_request_ids
        )
        listed = Markup('<ul class="govuk-list">') + links + Markup("</ul>")
        rows.append({"key": {"text": "Advice linked"}, "value": {"html": listed}})
    if decision.urgent_reason:
        rows.append(
            {
                "key": {"text": "Why the decision could not wait for advice"},
                "value": {"text": decision.urgent_reason},
            }
        )
    return rows


def _newest(versions: list[ItemOut], decision: DecisionOut) -> list[ItemOut]:
    """The newest version of each item chain the decision held back."""
    by_id = {item.id: item for item in versions}

    def chain(item: ItemOut) -> int:
        while item.supersedes_id is not None and item.supersedes_id in by_id:
            item = by_id[item.supersedes_id]
        return item.id

    newest: dict[int, ItemOut] = {}
    for item in versions:
        key = chain(item)
        if key in decision.withheld_item_ids and (
            key not in newest or item.version > newest[key].version
        ):
            newest[key] = item
    return [newest[key] for key in decision.withheld_item_ids if key in newest]


def _described(item: ItemOut) -> str:
    return f"{labels.long_date(item.occurred_on)}: {item.summary}"


@router.get("/decisions/{decision_id}")
def decision_recorded(request: Request, decision_id: str, actor: Viewer, db: DB) -> Response:
    decision = _decision(db, actor, decision_id)
    record = people.view_agency_record(db, actor, decision.subject_record_id)
    names = Names(db)
    context = {
        "title": "Decision recorded",
        "decision": decision,
        "record": record,
        "recipient": names.recipient(
            decision.recipient_agency_id, decision.recipient_practitioner_id
        ),
        "sharing": decision.outcome in SHARING,
        "record_rows": _record_rows(db, actor, decision),
    }
    return render(request, "sharing/decision_recorded.html", context)


# Choosing the items and fields


def _choosable(db: Database, actor: Actor, decision: DecisionOut) -> list[ItemOut]:
    """The child's current items; withdrawn ones are not offered for sharing."""
    items = records.list_items_for_record(db, actor, decision.subject_record_id)
    return [item for item in items if not item.retracted]


def _draft(request: Request, decision: DecisionOut) -> DisclosureDraft:
    found = drafts.load_disclosure(request, decision.id)
    return found if found is not None else DisclosureDraft(decision_id=decision.id)


@router.get("/decisions/{decision_id}/disclose")
def items_form(request: Request, decision_id: str, actor: Viewer, db: DB) -> Response:
    decision = _decision(db, actor, decision_id)
    return _items_page(request, db, actor, decision, _draft(request, decision), {})


def _items_page(
    request: Request,
    db: Database,
    actor: Actor,
    decision: DecisionOut,
    draft: DisclosureDraft,
    errors: Errors,
) -> Response:
    names = Names(db)
    context = {
        "title": "What will you share?",
        "back": f"/decisions/{decision.id}",
        "action": f"/decisions/{decision.id}/disclose",
        "decision": decision,
        "sharing": decision.outcome in SHARING,
        "recipient": names.recipient(
            decision.recipient_agency_id, decision.recipient_practitioner_id
        ),
        "items": _choosable(db, actor, decision),
        "fields": CHOSEN_FIELDS,
        "always": ALWAYS_CARRIED,
        "chosen": draft.fields,
        "reveal": draft.reveal_protected,
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/disclose_items.html", context, errors=errors)


def _items_form(items: list[ItemOut]) -> type[PageForm]:
    """The page's checkboxes, two groups per item named by its id, so the model is made
    for the items shown. A field name that is not offered is left out, not refused."""
    fields: dict[str, Any] = {}
    for item in items:
        fields[f"fields_{item.id}"] = (list[str], Field(default=[], alias=f"fields-{item.id}"))
        fields[f"reveal_{item.id}"] = (str, Field(default="", alias=f"reveal-{item.id}"))
    return create_model("ItemsChosen", __base__=PageForm, **fields)


@router.post("/decisions/{decision_id}/disclose", dependencies=CsrfChecked)
def items_chosen(
    request: Request, decision_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    decision = _decision(db, actor, decision_id)
    draft = _draft(request, decision)
    items = _choosable(db, actor, decision)
    ticked, found = validate_form(form, _items_form(items))
    if ticked is None:
        return _items_page(request, db, actor, decision, draft, by_field(found))
    draft.fields = {
        item.id: chosen
        for item in items
        if (chosen := [f for f in CHOSEN_FIELDS if f in getattr(ticked, f"fields_{item.id}")])
    }
    draft.reveal_protected = [
        item.id
        for item in items
        if item.id in draft.fields and getattr(ticked, f"reveal_{item.id}") == "yes"
    ]
    if not draft.fields:
        first = f"fields-{items[0].id}" if items else "fields"
        errors = {first: "Select the fields to share from at least one item"}
        return _items_page(request, db, actor, decision, draft, errors)
    draft.mark("items")
    drafts.save_disclosure(request, draft)
    return redirect(_next(decision.id, draft))


def _next(decision_id: int, draft: DisclosureDraft) -> str:
    if "items" not in draft.done:
        return f"/decisions/{decision_id}/disclose"
    if draft.expires_on is None:
        return f"/decisions/{decision_id}/disclose/expiry"
    return f"/decisions/{decision_id}/disclose/check"


# How long the recipient may keep it


@router.get("/decisions/{decision_id}/disclose/expiry")
def expiry_form(request: Request, decision_id: str, actor: Viewer, db: DB) -> Response:
    decision = _decision(db, actor, decision_id)
    draft = _draft(request, decision)
    if "items" not in draft.done:
        return redirect(_next(decision.id, draft))
    limit = _agreed_limit(db, actor, decision, draft)
    suggested = draft.expires_on or (utcnow().date() + timedelta(days=DEFAULT_DAYS))
    if limit is not None:
        suggested = min(suggested, limit)
    return _expiry_page(request, decision, date_parts(suggested), {}, limit)


def _check(db: Database, actor: Actor, decision: DecisionOut, draft: DisclosureDraft) -> Evaluation:
    """What the agreements say of sharing the items chosen so far on this decision."""
    return disclosures.check_disclosure(db, actor, decision.id, list(draft.fields))


def _agreed_limit(
    db: Database, actor: Actor, decision: DecisionOut, draft: DisclosureDraft
) -> date | None:
    """The last day the agreement relied on lets the recipient keep what is shared."""
    return disclosures.latest_expiry(_check(db, actor, decision, draft), utcnow())


def _expiry_page(
    request: Request,
    decision: DecisionOut,
    entered: dict[str, str],
    errors: Errors,
    limit: date | None = None,
) -> Response:
    latest = utcnow().date() + disclosures.MAX_DURATION - timedelta(days=1)
    context = {
        "title": "Until when may the recipient see this information?",
        "back": f"/decisions/{decision.id}/disclose",
        "action": f"/decisions/{decision.id}/disclose/expiry",
        "entered": entered,
        "latest": min(latest, limit) if limit is not None else latest,
        "agreed_limit": limit,
    }
    return render(
        request,
        "sharing/disclose_expiry.html",
        context,
        errors=errors,
        anchors={"expires_on": "#expires_on-day"},
    )


def _within_a_year(chosen: date) -> date:
    today = utcnow().date()
    if chosen < today:
        raise ValueError("The date must be today or in the future")
    if chosen >= today + disclosures.MAX_DURATION:
        raise ValueError("The date must be within a year from today")
    return chosen


class Expiry(PageForm):
    expires_on: Annotated[
        date,
        Says(f"Enter {EXPIRY_LABEL}"),
        DateInput(EXPIRY_LABEL),
        AfterValidator(_within_a_year),
    ]


@router.post("/decisions/{decision_id}/disclose/expiry", dependencies=CsrfChecked)
def expiry_chosen(
    request: Request, decision_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    decision = _decision(db, actor, decision_id)
    draft = _draft(request, decision)
    chosen, found = validate_form(form, Expiry)
    limit = _agreed_limit(db, actor, decision, draft)
    entered = {p: form.text(f"expires_on-{p}") for p in ("day", "month", "year")}
    if chosen is None:
        return _expiry_page(request, decision, entered, by_field(found), limit)
    if limit is not None and chosen.expires_on > limit:
        beyond = {
            "expires_on": "The data sharing agreement relied on says shared information is "
            f"deleted by {labels.long_date(limit)}: choose that date or an earlier one"
        }
        return _expiry_page(request, decision, entered, beyond, limit)
    draft.expires_on = chosen.expires_on
    drafts.save_disclosure(request, draft)
    return redirect(_next(decision.id, draft))


# Check and share


@dataclass(frozen=True)
class Chosen:
    item: ItemOut
    fields: list[str]
    reveal: bool


def _chosen_items(
    db: Database, actor: Actor, decision: DecisionOut, draft: DisclosureDraft
) -> list[Chosen]:
    return [
        Chosen(item, carried_fields(draft.fields[item.id]), item.id in draft.reveal_protected)
        for item in _choosable(db, actor, decision)
        if item.id in draft.fields
    ]


def _ready_to_share(
    request: Request, db: Database, actor: Actor, raw: str
) -> tuple[DecisionOut, DisclosureDraft] | Response:
    """The decision and its draft once items and an expiry are chosen; until then the
    check page and sharing both send the person to the step still to do."""
    decision = _decision(db, actor, raw)
    draft = _draft(request, decision)
    if "items" not in draft.done or draft.expires_on is None:
        return redirect(_next(decision.id, draft))
    return decision, draft


@router.get("/decisions/{decision_id}/disclose/check")
def disclosure_check(
    request: Request,
    decision_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
    db: DB,
) -> Response:
    ready = _ready_to_share(request, db, actor, decision_id)
    if isinstance(ready, Response):
        return ready
    decision, draft = ready
    return _check_page(request, db, actor, decision, draft, {})


@dataclass(frozen=True)
class AgreementAnswer:
    """What the practitioner added on the check page for the agreements' verdict."""

    confirmed: bool = False
    reason: str = ""


def _check_page(
    request: Request,
    db: Database,
    actor: Actor,
    decision: DecisionOut,
    draft: DisclosureDraft,
    errors: Errors,
    answer: AgreementAnswer | None = None,
) -> Response:
    names = Names(db)
    check = agreement_checks.evaluation_out(_check(db, actor, decision, draft))
    chosen = _chosen_items(db, actor, decision, draft)
    items_url = f"/decisions/{decision.id}/disclose"
    anchors: dict[str, str] = {}
    for field in errors:
        parts = field.split(".")
        if parts[0] == "items" and len(parts) > 1 and parts[1].isascii() and parts[1].isdigit():
            at = int(parts[1])
            anchors[field] = (
                f"{items_url}#fields-{chosen[at].item.id}" if at < len(chosen) else items_url
            )
        elif field == "expires_on":
            anchors[field] = f"{items_url}/expiry"
        elif field in (agreement_checks.OVERRIDE, agreement_checks.CONFIRMED):
            anchors[field] = f"#{field}"
        else:
            anchors[field] = "#share"
    context = {
        "title": "Check what you are about to share",
        "back": f"{items_url}/expiry",
        "action": f"{items_url}/check",
        "decision": decision,
        "recipient": names.recipient(
            decision.recipient_agency_id, decision.recipient_practitioner_id
        ),
        "chosen": chosen,
        "expires_on": draft.expires_on,
        "items_url": items_url,
        "check": check,
        "answer": answer or AgreementAnswer(),
    }
    return render(request, "sharing/disclose_check.html", context, errors=errors, anchors=anchors)


@router.post("/decisions/{decision_id}/disclose/check", dependencies=CsrfChecked)
def share(
    request: Request,
    decision_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
    db: DB,
    form: Posted,
) -> Response:
    ready = _ready_to_share(request, db, actor, decision_id)
    if isinstance(ready, Response):
        return ready
    decision, draft = ready
    chosen = _chosen_items(db, actor, decision, draft)
    answer = AgreementAnswer(
        confirmed=form.text(agreement_checks.CONFIRMED) == "yes",
        reason=form.text(agreement_checks.OVERRIDE),
    )
    stopped = agreement_checks.problems(
        _check(db, actor, decision, draft), answer.reason, answer.confirmed, confirming=True
    )
    if stopped:
        return _check_page(
            request, db, actor, decision, draft, problems(InvalidInput(*stopped)), answer
        )
    try:
        made = disclosures.disclose(
            db,
            actor,
            DisclosureIn(
                decision_id=decision.id,
                items=[
                    DisclosedItemIn(item_id=c.item.id, fields=c.fields, reveal_protected=c.reveal)
                    for c in chosen
                ],
                expires_on=draft.expires_on,
                agreement_review_confirmed=answer.confirmed,
                agreement_override_reason=answer.reason,
            ),
        )
    except (InvalidInput, ValidationError) as refused:
        return _check_page(request, db, actor, decision, draft, problems(refused), answer)
    drafts.clear(request, DisclosureDraft)
    recipient = Names(db).recipient(made.recipient_agency_id, made.recipient_practitioner_id)
    flash(
        request,
        f"Disclosure {made.id} shared with {recipient}. They have been told, and you will "
        "see here when they acknowledge receipt.",
    )
    return redirect(f"/shared-by-us/{made.id}")


# What the sharing agency has shared, and revoking it


def _made(db: Database, actor: Actor, raw: str) -> DisclosureOut:
    ident = path_id(raw, "disclosure")
    found = next(iter(disclosures.made_by_agency(db, actor, disclosure_id=ident)), None)
    if found is None:
        raise NotFound("disclosure", ident)
    return found


def disclosure_state(disclosure: DisclosureOut, today: date) -> str:
    """The disclosure's state in the sharer's words (the child's page uses them too)."""
    if disclosure.revoked_at is not None:
        return "Revoked"
    if disclosure.expires_at.date() < today:
        return "Expired"
    if disclosure.acknowledged_at is not None:
        return "Received"
    return "Waiting for receipt"


@router.get("/shared-by-us/{disclosure_id}")
def disclosure_made(request: Request, disclosure_id: str, actor: Viewer, db: DB) -> Response:
    disclosure = _made(db, actor, disclosure_id)
    names = Names(db)
    context = {
        "title": f"Disclosure {disclosure.id}",
        "back": "/shared-by-us",
        "disclosure": disclosure,
        "state": disclosure_state(disclosure, utcnow().date()),
        "recipient": names.recipient(
            disclosure.recipient_agency_id, disclosure.recipient_practitioner_id
        ),
        "names": names,
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/disclosure_made.html", context)


@router.get("/shared-by-us")
def shared_by_us(request: Request, actor: Viewer, db: DB) -> Response:
    names = Names(db)
    made = disclosures.made_by_agency(db, actor)
    today = utcnow().date()
    context = {
        "title": "Shared by your agency",
        "nav": "shared",
        "disclosures": made,
        "states": {d.id: disclosure_state(d, today) for d in made},
        "names": names,
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/shared_by_us.html", context)


@router.get("/shared-by-us/{disclosure_id}/revoke")
def revoke_form(
    request: Request,
    disclosure_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
    db: DB,
) -> Response:
    disclosure = _made(db, actor, disclosure_id)
    return _revoke_page(request, db, disclosure, "", {})


def _revoke_page(
    request: Request, db: Database, disclosure: DisclosureOut, reason: str, errors: Errors
) -> Response:
    names = Names(db)
    context = {
        "title": "Revoke this disclosure",
        "back": "/shared-by-us",
        "action": f"/shared-by-us/{disclosure.id}/revoke",
        "disclosure": disclosure,
        "recipient": names.recipient(
            disclosure.recipient_agency_id, disclosure.recipient_practitioner_id
        ),
        "reason": reason,
    }
    return render(request, "sharing/revoke.html", context, errors=errors)


class Revoking(PageForm):
    """How long a reason may be is ``RevocationIn``'s rule, answered by the service."""

    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: Annotated[
        str, Says("Say why you are revoking it; the recipient is told it was revoked")
    ]


@router.post("/shared-by-us/{disclosure_id}/revoke", dependencies=CsrfChecked)
def revoke(
    request: Request,
    disclosure_id: str,
    actor: Viewer,
    _recent: RecentlyAuthenticatedActor,
    db: DB,
    form: Posted,
) -> Response:
    disclosure = _made(db, actor, disclosure_id)
    reason = form.text("reason")
    revoking, found = validate_form(form, Revoking)
    if revoking is None:
        return _revoke_page(request, db, disclosure, reason, by_field(found))
    try:
        disclosures.revoke(db, actor, disclosure.id, RevocationIn(reason=revoking.reason))
    except (InvalidInput, ValidationError) as refused:
        return _revoke_page(request, db, disclosure, reason, problems(refused))
    except Conflict:
        flash(request, f"Disclosure {disclosure.id} had already been revoked.")
    else:
        flash(request, f"Disclosure {disclosure.id} has been revoked. The recipient has been told.")
    return redirect("/shared-by-us")


# What has been shared with the practitioner


@router.get("/shared-with-me")
def shared_with_me(request: Request, actor: Viewer, db: DB) -> Response:
    context: dict[str, Any] = {
        "title": "Shared with you",
        "nav": "inbox",
        "disclosures": disclosures.received(db, actor),
        "names": Names(db),
    }
    return render(request, "sharing/inbox.html", context)


@router.post("/shared-with-me/{disclosure_id}/acknowledge", dependencies=CsrfChecked)
def acknowledge(request: Request, disclosure_id: str, actor: Viewer, db: DB) -> Response:
    ident = path_id(disclosure_id, "disclosure")
    try:
        disclosures.acknowledge(db, actor, ident)
    except Conflict:
        flash(request, "Receipt had already been acknowledged.")
    else:
        flash(request, "You have acknowledged receipt. The sharing agency can see this.")
    return redirect(f"/shared-with-me#disclosure-{ident}")
