"""Is this sharing valid under a data sharing agreement? PERMIT, DENY or REVIEW.

This is the MAIS policy decision point: it judges a proposed share against the
agreements between the two agencies, never the risk to the child (that stays a
practitioner's judgement). It only reads, so the sharing journey can ask it at any
point and record the answer with its own change (``Evaluation.to_audit``).

How the answer is reached, in order:

1. Every version of every agreement whose provider side covers the provider agency and
   whose recipient side covers the recipient agency (by id, or by the agency's kind) is
   a candidate. None at all: DENY, ``no_agreement``.
2. Each candidate is judged on the day of ``at`` (UK date): each thing that falls short
   is a *reason*, and ``RULES`` below says what verdict each reason leads to. A candidate
   with no shortfall has the single reason ``covered`` (PERMIT). Its verdict is its most
   serious reason's: DENY over REVIEW over PERMIT.
3. A prohibition binds whichever agreement would otherwise decide: if any candidate in
   force that day prohibits this share (``RULES`` marks those reasons ``binding``), the
   answer is DENY, from that candidate. A protocol that says nothing about court
   proceedings does not open what a sector agreement closes.
4. Otherwise the answer is the best candidate: PERMIT over REVIEW over DENY; among
   equals, one in force that day, then the more specific tier (bespoke, sector,
   protocol), then the newer version. Its reasons are all the shortfalls found in it.

So a superseded version still decides a request made while it was in force, and its
successor decides requests from the supersession date on. A tier-1 protocol alone is
never enough to PERMIT: it sets out how organisations share, not that these two share
this information for this purpose.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.agreements.lifecycle import OnTheDay, Standing, standing_of
from jigsaw.agreements.models import AgreementEvent, SharingAgreement, Tier
from jigsaw.agreements.terms import Terms, read_terms
from jigsaw.clock import UK_TIME
from jigsaw.consent.models import SharingPurpose
from jigsaw.identity.models import Agency


class Verdict(StrEnum):
    PERMIT = "permit"
    DENY = "deny"
    REVIEW = "review"


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Rule:
    verdict: Verdict
    text: str
    """What the reason says; ``{title}``, ``{version}``, ``{category}``, ``{purpose}``
    and ``{day}`` are filled in."""
    binding: bool = False
    """Found in an agreement in force, it decides even if another agreement would permit."""


# The rule set: every reason the check can give, and the verdict it leads to.
RULES: Mapping[str, Rule] = {
    "covered": Rule(
        Verdict.PERMIT,
        "{title} (version {version}) is in force on {day} and covers these agencies, "
        "this purpose and every category of information asked for.",
    ),
    "no_agreement": Rule(
        Verdict.DENY, "No data sharing agreement covers sharing between these agencies."
    ),
    "expired": Rule(Verdict.DENY, "{title} (version {version}) had expired by {day}."),
    "ended": Rule(Verdict.DENY, "{title} (version {version}) had been ended by {day}."),
    "superseded": Rule(
        Verdict.DENY,
        "{title} (version {version}) had been superseded by {day}, and no later version "
        "covers this.",
    ),
    "not_yet_in_force": Rule(
        Verdict.DENY, "{title} (version {version}) was not yet in force on {day}."
    ),
    "onward_transfer_prohibited": Rule(
        Verdict.DENY,
        "{title} (version {version}) prohibits passing information received under it to "
        "anyone else.",
        binding=True,
    ),
    "purpose_prohibited": Rule(
        Verdict.DENY, "{title} (version {version}) prohibits use for {purpose}.", binding=True
    ),
    "draft_only": Rule(
        Verdict.REVIEW,
        "Only a draft, {title} (version {version}), covers these agencies: it was not "
        "approved by {day}.",
    ),
    "protocol_only": Rule(
        Verdict.REVIEW,
        "Only the overarching protocol, {title}, covers these agencies: it sets out how "
        "to share, not that this sharing is agreed.",
    ),
    "purpose_not_covered": Rule(
        Verdict.REVIEW, "{title} (version {version}) does not name the purpose {purpose}."
    ),
    "category_not_covered": Rule(
        Verdict.REVIEW,
        "{title} (version {version}) does not name the information {category}.",
    ),
    "provider_kind_only": Rule(
        Verdict.REVIEW,
        "{title} (version {version}) is a bespoke agreement that names the sharing agency "
        "only by its kind, not by name.",
    ),
    "recipient_kind_only": Rule(
        Verdict.REVIEW,
        "{title} (version {version}) is a bespoke agreement that names the receiving "
        "agency only by its kind, not by name.",
    ),
}

_SEVERITY = {Verdict.PERMIT: 0, Verdict.REVIEW: 1, Verdict.DENY: 2}

_STATE_REASONS: Mapping[OnTheDay, str] = {
    OnTheDay.DRAFT: "draft_only",
    OnTheDay.NOT_YET: "not_yet_in_force",
    OnTheDay.EXPIRED: "expired",
    OnTheDay.SUPERSEDED: "superseded",
    OnTheDay.ENDED: "ended",
}


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    agreement_id: int | None
    agreement_reference: str | None
    agreement_version: int | None
    delete_after_days: int | None

    def to_audit(self) -> dict[str, object]:
        """Codes and ids only: what the audit log may hold (no names, no free text)."""
        out: dict[str, object] = {
            "agreement_verdict": self.verdict.value,
            "agreement_reasons": ",".join(r.code for r in self.reasons),
        }
        if self.agreement_id is not None:
            out["agreement"] = self.agreement_id
            out["agreement_reference"] = self.agreement_reference
            out["agreement_version"] = self.agreement_version
        if self.delete_after_days is not None:
            out["delete_after_days"] = self.delete_after_days
        return out


def _reason(code: str, **facts: object) -> Reason:
    return Reason(code, RULES[code].text.format(**facts))


def _verdict_of(reasons: Collection[Reason]) -> Verdict:
    return max((RULES[r.code].verdict for r in reasons), key=_SEVERITY.__getitem__)


@dataclass(frozen=True)
class _Candidate:
    row: SharingAgreement
    terms: Terms
    state: OnTheDay
    reasons: tuple[Reason, ...]
    verdict: Verdict

    def rank(self) -> tuple[int, int, int, int]:
        return (
            -_SEVERITY[self.verdict],
            self.state is OnTheDay.IN_FORCE,
            self.row.tier,
            self.row.version,
        )


def _judge(
    row: SharingAgreement,
    terms: Terms,
    standing: Standing,
    *,
    provider: Agency,
    recipient: Agency,
    purpose: SharingPurpose,
    categories: Collection[str],
    at: datetime,
    onward: bool,
) -> _Candidate:
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    day = at.astimezone(UK_TIME).date()
    facts = {
        "title": terms.title,
        "version": row.version,
        "day": day.isoformat(),
        "purpose": purpose.value,
    }
    state = standing.on(terms, day, at)
    found: list[Reason] = []
    if state is not OnTheDay.IN_FORCE:
        found.append(_reason(_STATE_REASONS[state], **facts))
    if onward and terms.onward_transfer_prohibited:
        found.append(_reason("onward_transfer_prohibited", **facts))
    if terms.purpose_prohibited(purpose):
        found.append(_reason("purpose_prohibited", **facts))
    if row.tier == Tier.PROTOCOL:
        found.append(_reason("protocol_only", **facts))
    if row.tier == Tier.BESPOKE:
        if not any(p.names(provider.id) for p in terms.providers):
            found.append(_reason("provider_kind_only", **facts))
        if not any(p.names(recipient.id) for p in terms.recipients):
            found.append(_reason("recipient_kind_only", **facts))
    if purpose not in terms.purposes:
        found.append(_reason("purpose_not_covered", **facts))
    for category in sorted(set(categories)):
        if not terms.covers_category(category):
            found.append(_reason("category_not_covered", **facts, category=category))
    if not found:
        found.append(_reason("covered", **facts))
    found.sort(key=lambda r: -_SEVERITY[RULES[r.code].verdict])
    return _Candidate(row, terms, state, tuple(found), _verdict_of(found))


def evaluate(
    session: Session,
    *,
    provider_agency_id: int,
    recipient_agency_id: int,
    purpose: SharingPurpose,
    categories: Collection[str],
    at: datetime,
    onward: bool = False,
) -> Evaluation:
    """Judge sharing ``categories`` from one agency to another for ``purpose`` at ``at``.

    A pure read of the agreements register: nothing is written, and the caller records
    ``to_audit()`` with whatever it decides. A naive ``at`` is read as UTC.
    """
    provider = session.get(Agency, provider_agency_id)
    recipient = session.get(Agency, recipient_agency_id)
    candidates: list[_Candidate] = []
    if provider is not None and recipient is not None:
        # Every version is read: a partnership holds tens of agreements, not thousands,
        # and who they cover is inside each document.
        rows = session.scalars(select(SharingAgreement).order_by(SharingAgreement.id)).all()
        events: dict[int, list[AgreementEvent]] = {}
        for event in session.scalars(select(AgreementEvent)):
            events.setdefault(event.agreement_id, []).append(event)
        for row in rows:
            terms = read_terms(row.document)
            if not any(p.covers(provider.id, provider.kind) for p in terms.providers):
                continue
            if not any(p.covers(recipient.id, recipient.kind) for p in terms.recipients):
                continue
            candidates.append(
                _judge(
                    row,
                    terms,
                    standing_of(events.get(row.id, ())),
                    provider=provider,
                    recipient=recipient,
                    purpose=purpose,
                    categories=categories,
                    at=at,
                    onward=onward,
                )
            )
    if not candidates:
        return Evaluation(Verdict.DENY, (_reason("no_agreement"),), None, None, None, None)
    binding = [
        c
        for c in candidates
        if c.state is OnTheDay.IN_FORCE and any(RULES[r.code].binding for r in c.reasons)
    ]
    best = max(binding or candidates, key=_Candidate.rank)
    return Evaluation(
        verdict=best.verdict,
        reasons=best.reasons,
        agreement_id=best.row.id,
        agreement_reference=best.row.reference,
        agreement_version=best.row.version,
        delete_after_days=best.terms.delete_after_days,
    )
