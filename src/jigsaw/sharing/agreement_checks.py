"""Checking a request or a disclosure against the data sharing agreements in force.

The agreements say whether a share is valid under what the agencies signed (PERMIT,
DENY or REVIEW, ``agreements.validity``); they never judge the risk to the child, which
stays the practitioner's. The guidance is plain that sharing to protect a child does not
need an agreement, so neither verdict stops it outright: a REVIEW goes ahead once the
practitioner says they have considered it (on the pages; an API client says so in
``agreement_review_confirmed``, which is recorded), and a DENY only with a written reason
why sharing is still lawful without an agreement, which alerts their agency's DPO in the
same transaction. What the agreements said, the agreement and version relied on, and any
reason are kept on the row and in the action's audit entry, so a later reviewer sees the
share as it was judged then, whatever the agreements say now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.agreements.validity import Evaluation, Reason, Verdict
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.errors import FieldProblem
from jigsaw.notifications.contacts import oversight_contacts
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.policy.actor import Actor
from jigsaw.records.models import InformationItem
from jigsaw.sharing.schemas import AgreementCheckOut, AgreementReasonOut

AGREEMENTS_ONLY = (
    "What the data sharing agreements say of two agencies, a purpose and kinds of "
    "information: nothing about the child, whose record is only checked to be the actor's own"
)
"""Why checking before acting is not a read of a person (``audit.reads``)."""

OVERRIDE = "agreement_override_reason"
CONFIRMED = "agreement_review_confirmed"

NO_OVERRIDE_REASON = (
    "No data sharing agreement allows this: say why sharing is still lawful without one"
)
NOT_CONFIRMED = (
    "Confirm that you have considered what the data sharing agreements say, "
    "or ask your Data Protection Officer first"
)


class Checked(Protocol):
    """A row that keeps what the agreements said of it (a request, a disclosure)."""

    agreement_verdict: str | None
    agreement_reasons: list[dict[str, str]] | None
    agreement_id: int | None
    agreement_version: int | None
    agreement_review_confirmed: bool | None
    agreement_override_reason: str | None


def item_categories(session: Session, item_ids: Collection[int]) -> list[str]:
    """The kinds of information the items are, as the agreements name them."""
    if not item_ids:
        return []
    found = session.scalars(
        select(InformationItem.category).where(InformationItem.id.in_(sorted(set(item_ids))))
    )
    return sorted({c.value for c in found})


def problems(
    evaluation: Evaluation, override_reason: str, review_confirmed: bool, *, confirming: bool
) -> list[FieldProblem]:
    """What stops the action going ahead: a DENY with no reason why it is still lawful,
    and (where ``confirming``, as on the pages) a REVIEW not confirmed as considered."""
    if evaluation.verdict is Verdict.DENY and not override_reason.strip():
        return [FieldProblem(OVERRIDE, NO_OVERRIDE_REASON)]
    if confirming and evaluation.verdict is Verdict.REVIEW and not review_confirmed:
        return [FieldProblem(CONFIRMED, NOT_CONFIRMED)]
    return []


def keep(
    row: Checked, evaluation: Evaluation, override_reason: str, review_confirmed: bool
) -> None:
    """Write what the agreements said onto the row; the reason only for a DENY, the
    confirmation only for a REVIEW, where each means something."""
    row.agreement_verdict = evaluation.verdict.value
    row.agreement_reasons = [{"code": r.code, "text": r.text} for r in evaluation.reasons]
    row.agreement_id = evaluation.agreement_id
    row.agreement_version = evaluation.agreement_version
    row.agreement_review_confirmed = (
        review_confirmed if evaluation.verdict is Verdict.REVIEW else None
    )
    row.agreement_override_reason = (
        " ".join(override_reason.split()) if evaluation.verdict is Verdict.DENY else None
    )


def audit_refs(evaluation: Evaluation) -> Mapping[str, audit.RefValue]:
    """The evaluation as the audit entry of the action carries it (its codes and ids,
    never free text)."""
    return cast(Mapping[str, audit.RefValue], evaluation.to_audit())


def alert_if_overridden(
    session: Session,
    actor: Actor,
    evaluation: Evaluation,
    object_type: str,
    object_id: int,
    refs: Mapping[str, audit.RefValue],
    *,
    agency_id: int | None = None,
) -> None:
    """A DENY gone ahead is on the DPO's alert list and in their notifications at once:
    the reason given is theirs to review, as with emergency access.

    The DPO told is of ``agency_id`` if given, else of the actor's agency: an Operation
    Encompass notice goes out under the police agency's protocol whoever recorded the
    incident, the system included."""
    if evaluation.verdict is not Verdict.DENY:
        return
    audit.append(
        session,
        actor,
        AuditAction.SHARED_AGAINST_AGREEMENTS,
        object_type,
        object_id,
        refs={**refs, **audit_refs(evaluation)},
    )
    agency = agency_id if agency_id is not None else actor.agency_id
    assert agency is not None
    notify(
        session,
        NotificationKind.SHARED_AGAINST_AGREEMENTS,
        f"{object_type}-{object_id}",
        f"{NOTICE_TYPES[object_type]}",
        object_id,
        oversight_contacts(session, [agency], excluding=actor.practitioner_id),
    )


NOTICE_TYPES = {
    "information_request": "request_agreement_override",
    "disclosure": "disclosure_agreement_override",
    "encompass_disclosure": "encompass_agreement_override",
}
"""What a DPO's notice is about, so it leads to their alert list, not to the request or
disclosure (which they may not be allowed to open)."""


def checked_out(row: Checked) -> AgreementCheckOut | None:
    """What the agreements said of the row; None for one made before they were asked."""
    if row.agreement_verdict is None:
        return None
    return AgreementCheckOut(
        verdict=row.agreement_verdict,
        reasons=[AgreementReasonOut(**r) for r in row.agreement_reasons or []],
        agreement_id=row.agreement_id,
        agreement_version=row.agreement_version,
        review_confirmed=row.agreement_review_confirmed,
        override_reason=row.agreement_override_reason,
    )


def evaluation_out(evaluation: Evaluation) -> AgreementCheckOut:
    """An evaluation not yet kept anywhere, as the pages show it before the action."""
    return AgreementCheckOut(
        verdict=evaluation.verdict.value,
        reasons=[_reason(r) for r in evaluation.reasons],
        agreement_id=evaluation.agreement_id,
        agreement_version=evaluation.agreement_version,
        agreement_reference=evaluation.agreement_reference,
        delete_after_days=evaluation.delete_after_days,
    )


def _reason(reason: Reason) -> AgreementReasonOut:
    return AgreementReasonOut(code=reason.code, text=reason.text)
