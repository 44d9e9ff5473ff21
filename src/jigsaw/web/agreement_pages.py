"""Pages for the data sharing agreements register: list, view, register, approve, supersede.

A Data Protection Officer registers an agreement by pasting its JSON or uploading the
file; every problem with it is shown on the page, field by field, and nothing is kept
until it is right. The services decide who may do what (policy rules G1 and G2); these
routes read the form and show what the services return.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from jigsaw.agencies import service as agencies
from jigsaw.agreements import service
from jigsaw.agreements.models import TIER_LABELS, AgreementStatus, Tier
from jigsaw.agreements.schemas import AgreementDetail, AgreementOut
from jigsaw.agreements.terms import MAX_DOCUMENT_BYTES, AgreementInvalid, parse_document, read_terms
from jigsaw.db import Database
from jigsaw.identity.dependencies import DB
from jigsaw.records.models import Category
from jigsaw.records.types import shipped_types
from jigsaw.web import labels
from jigsaw.web.forms import CsrfChecked, Errors, Form, Posted, Viewer, flash, path_id
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

NOTHING_SENT = "Paste the agreement's JSON, or choose its file"
STATUS_LABELS: dict[AgreementStatus, str] = {
    AgreementStatus.DRAFT: "Draft",
    AgreementStatus.IN_FORCE: "In force",
    AgreementStatus.SUPERSEDED: "Superseded",
    AgreementStatus.ENDED: "Ended",
}
STATUS_TAGS: dict[AgreementStatus, str] = {
    AgreementStatus.DRAFT: "govuk-tag--grey",
    AgreementStatus.IN_FORCE: "govuk-tag--green",
    AgreementStatus.SUPERSEDED: "govuk-tag--blue",
    AgreementStatus.ENDED: "govuk-tag--red",
}
PROHIBITION_LABELS: dict[str, str] = {
    "onward_transfer": "Passing the information on to anyone else",
    "use_for_purpose": "Use for",
    "commercial_use": "Commercial use",
    "automated_decision_making": "Decisions made by a computer alone",
    "re_identification": "Trying to identify anyone anonymised",
    "publication": "Publishing it",
}


def _document_sent(form: Form) -> tuple[str, str | None]:
    """The text pasted, or the file uploaded (the file wins); and why neither will do."""
    upload = form.data.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = upload.file.read(MAX_DOCUMENT_BYTES + 1)
        if len(raw) > MAX_DOCUMENT_BYTES:
            return (
                "",
                f"The file is too large: an agreement may be at most {MAX_DOCUMENT_BYTES:,} bytes",
            )
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError:
            return "", "The file is not text: choose the agreement's .json file"
    pasted = form.text("document")
    return pasted, None if pasted else NOTHING_SENT


def _problems(error: AgreementInvalid) -> Errors:
    """Each problem keyed by its field, all pointing at the box the JSON is in."""
    return {p.field: f"{p.field}: {p.message}" for p in error.problems}


def _form_page(
    request: Request,
    *,
    title: str,
    action: str,
    entered: str,
    errors: Errors | None = None,
    current: AgreementOut | None = None,
) -> Response:
    context = {
        "title": title,
        "nav": "agreements",
        "action": action,
        "entered": entered,
        "current": current,
        "max_bytes": MAX_DOCUMENT_BYTES,
        "back": f"/agreements/{current.id}" if current else "/agreements",
    }
    anchors = dict.fromkeys(errors or {}, "#document")
    return render(request, "agreements/form.html", context, errors=errors, anchors=anchors)


def _agency_names(db: Database) -> dict[int, str]:
    return {a.id: a.name for a in agencies.list_agencies(db)}


@router.get("/agreements")
def agreements_page(request: Request, actor: Viewer, db: DB) -> Response:
    found = service.list_agreements(db, actor)
    context = {
        "title": "Data sharing agreements",
        "nav": "agreements",
        "agreements": found,
        "may_register": service.may_manage(actor),
        "tiers": TIER_LABELS,
        "statuses": STATUS_LABELS,
        "tags": STATUS_TAGS,
        "column": "govuk-grid-column-full",
    }
    return render(request, "agreements/list.html", context)


@router.get("/agreements/new")
def new_agreement_page(request: Request, actor: Viewer) -> Response:
    service.require_manage(actor)
    return _form_page(
        request, title="Register a data sharing agreement", action="/agreements/new", entered=""
    )


@router.post("/agreements/new", dependencies=CsrfChecked)
def register_agreement(request: Request, actor: Viewer, db: DB, form: Posted) -> Response:
    service.require_manage(actor)
    text, unsent = _document_sent(form)

    def again(errors: Errors) -> Response:
        title = "Register a data sharing agreement"
        return _form_page(
            request, title=title, action="/agreements/new", entered=text, errors=errors
        )

    if unsent:
        return again({"document": unsent})
    try:
        made = service.create(db, actor, parse_document(text))
    except AgreementInvalid as error:
        return again(_problems(error))
    flash(request, f"{made.title} is registered as a draft. Check it, then approve it.")
    return redirect(f"/agreements/{made.id}")


def _parties(parties: list[dict[str, Any]], names: dict[int, str]) -> list[str]:
    out = []
    for party in parties:
        if "agency_id" in party:
            out.append(names.get(party["agency_id"], f"Agency {party['agency_id']}"))
        else:
            kind = labels.AGENCY_KINDS.get(party["agency_kind"], party["agency_kind"])
            out.append(f"Any {labels.in_sentence(kind)} agency")
    return out


def _category(code: str) -> str:
    if code in {c.value for c in Category}:
        return f"{labels.category(Category(code))} (every type)"
    return shipped_types().label(code)


def _prohibition(item: dict[str, Any]) -> str:
    action = str(item["action"])
    words = PROHIBITION_LABELS.get(action, action)
    if item.get("purposes"):
        words += " " + ", ".join(labels.purpose(p).lower() for p in item["purposes"])
    if item.get("note"):
        words += f" ({item['note']})"
    return words


def _view(found: AgreementDetail, names: dict[int, str]) -> dict[str, Any]:
    """The document in words, for the page."""
    document = found.document
    terms = read_terms(document)
    duties = document["duties"]
    return {
        "provider": _parties(document["provider"], names),
        "recipient": _parties(document["recipient"], names),
        "categories": [_category(c) for c in terms.data_categories],
        "purposes": [f"{labels.purpose(p['purpose'])} ({p['dpv']})" for p in document["purposes"]],
        "permitted_uses": list(terms.permitted_uses),
        "prohibitions": [_prohibition(p) for p in document["prohibitions"]],
        "delete_after_days": terms.delete_after_days,
        "breach_hours": terms.notify_breach_within_hours,
        "breach_contact": terms.breach_contact,
        "review_every_months": duties.get("review_every_months"),
        "summary": terms.summary,
        "json": json.dumps(document, indent=2, ensure_ascii=False),
    }


@router.get("/agreements/{agreement_id}")
def agreement_page(request: Request, actor: Viewer, db: DB, agreement_id: str) -> Response:
    found = service.view_agreement(db, actor, path_id(agreement_id, "agreement"))
    names = _agency_names(db)
    manages = service.may_manage(actor, found.keeper_agency_id)
    context = {
        "title": found.title,
        "nav": "agreements",
        "agreement": found,
        "shown": _view(found, names),
        "keeper": names.get(found.keeper_agency_id, ""),
        "tier": TIER_LABELS[Tier(found.tier)],
        "statuses": STATUS_LABELS,
        "tags": STATUS_TAGS,
        "may_approve": manages and found.status is AgreementStatus.DRAFT,
        "may_supersede": manages and found.status is AgreementStatus.IN_FORCE,
        "back": "/agreements",
        "column": "govuk-grid-column-full",
    }
    return render(request, "agreements/view.html", context)


@router.post("/agreements/{agreement_id}/approve", dependencies=CsrfChecked)
def approve_agreement(request: Request, actor: Viewer, db: DB, agreement_id: str) -> Response:
    approved = service.approve(db, actor, path_id(agreement_id, "agreement"))
    flash(request, f"{approved.title} (version {approved.version}) is approved and in force.")
    return redirect(f"/agreements/{approved.id}")


def _next_version_text(found: AgreementDetail) -> str:
    document = {k: v for k, v in found.document.items() if k != "version"}
    return json.dumps(document, indent=2, ensure_ascii=False)


@router.get("/agreements/{agreement_id}/supersede")
def supersede_page(request: Request, actor: Viewer, db: DB, agreement_id: str) -> Response:
    found = service.view_agreement(db, actor, path_id(agreement_id, "agreement"))
    service.require_manage(actor, found.keeper_agency_id)
    return _form_page(
        request,
        title=f"Supersede {found.title}",
        action=f"/agreements/{found.id}/supersede",
        entered=_next_version_text(found),
        current=found,
    )


@router.post("/agreements/{agreement_id}/supersede", dependencies=CsrfChecked)
def supersede_agreement(
    request: Request, actor: Viewer, db: DB, agreement_id: str, form: Posted
) -> Response:
    found = service.view_agreement(db, actor, path_id(agreement_id, "agreement"))
    text, unsent = _document_sent(form)

    def again(errors: Errors) -> Response:
        return _form_page(
            request,
            title=f"Supersede {found.title}",
            action=f"/agreements/{found.id}/supersede",
            entered=text,
            errors=errors,
            current=found,
        )

    if unsent:
        return again({"document": unsent})
    try:
        made = service.supersede(db, actor, found.id, parse_document(text))
    except AgreementInvalid as error:
        return again(_problems(error))
    flash(
        request,
        f"Version {made.version} is in force from {labels.long_date(made.starts_on)}; "
        f"version {found.version} applies up to the day before.",
    )
    return redirect(f"/agreements/{made.id}")
