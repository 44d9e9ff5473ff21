"""What a sharing decision must carry, worked out in one place from what is answered so far.

The service refuses a decision that lacks something listed here, the decision pages
ask for the same things in the same order and go to the first one not yet answered,
and the check answers page shows the same list. Kept as one function so that the
pages can never finish a decision the service would refuse for a missing answer, nor
ask for something the service does not need.

Pure: it reads nothing but the draft and the guidance edition the draft names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import cached_property
from typing import Any

from jigsaw.consent.models import SharingPurpose
from jigsaw.guidance.edition import Edition, Outcome, Recommendation, RecordField
from jigsaw.guidance.engine import load_edition, settle
from jigsaw.schemas import says_something
from jigsaw.sharing.lawful_basis import Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason

SHARING = (DecisionOutcome.SHARE, DecisionOutcome.SHARE_IN_PART)
OVERRIDDEN = (ConsentPosition.REFUSED, ConsentPosition.WITHDRAWN)
POSITIONS = frozenset(position.value for position in ConsentPosition)

FIELDS: tuple[str, ...] = (
    "recipient_agency_id",
    "recipient_practitioner_id",
    "purpose",
    "answers",
    "outcome",
    "departure_reason",
    "withheld_item_ids",
    "reasons",
    "lawful_basis",
    "art9_condition",
    "art10_condition",
    "consent_position",
    "consent_override_justification",
    "family_informed",
    "not_told_reason",
    "not_told_review_on",
    "accuracy_caveats",
    "reveal_protected_reason",
    "advice_request_ids",
    "urgent_reason",
)
"""The decision's fields in the order a practitioner meets them, which is also the order
problems are reported in."""

CODES: dict[str, frozenset[str]] = {
    "lawful_basis": frozenset(b.value for b in Art6Basis),
    "art9_condition": frozenset(c.value for c in Art9Condition),
    "art10_condition": frozenset(c.value for c in Art10Condition),
}

CONSENT_ANSWERS: dict[str, frozenset[ConsentPosition]] = {
    "not_sought": frozenset(
        {ConsentPosition.NOT_SOUGHT_OTHER, ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK}
    ),
}
"""Consent answers of older editions that cover more than one recorded position."""


@dataclass(frozen=True)
class Draft:
    """A decision as far as it has been answered: ``None`` or blank where it has not."""

    answers: Mapping[str, str]
    edition: str | None = None
    request_id: int | None = None
    recipient_agency_id: int | None = None
    recipient_practitioner_id: int | None = None
    purpose: SharingPurpose | None = None
    outcome: DecisionOutcome | None = None
    departure_reason: str = ""
    reasons: str = ""
    lawful_basis: str | None = None
    art9_condition: str | None = None
    art10_condition: str | None = None
    consent_position: ConsentPosition | None = None
    consent_override_justification: str = ""
    family_informed: bool | None = None
    not_told_reason: NotToldReason | None = None
    not_told_review_on: date | None = None
    accuracy_caveats: str = ""
    reveal_protected_reason: str = ""
    advice_request_ids: tuple[int, ...] = ()
    withheld_item_ids: tuple[int, ...] = ()
    urgent_reason: str = ""

    @classmethod
    def of(cls, source: object, edition: str | None, **overrides: Any) -> Draft:
        """The draft read from anything with the decision's field names (a request body,
        a draft kept between pages), on the given edition."""
        names = [f.name for f in fields(cls) if f.name != "edition"]
        values: dict[str, Any] = {name: getattr(source, name) for name in names}
        values["answers"] = dict(values["answers"])
        values["advice_request_ids"] = tuple(values["advice_request_ids"])
        values["withheld_item_ids"] = tuple(values["withheld_item_ids"])
        return replace(cls(edition=edition, **values), **overrides)


@dataclass(frozen=True)
class Requirement:
    """One thing the decision asks for, because the draft as it stands calls for it."""

    field: str
    answered: bool
    required: bool = True
    """The service refuses the decision without it; otherwise a blank is an answer."""
    question: str | None = None
    """For the guidance's questions (field ``answers``): which one."""
    problem: str | None = None
    """What to tell the practitioner, if the service would refuse what is there now."""

    @property
    def missing(self) -> bool:
        return self.required and not self.answered


@dataclass(frozen=True)
class Requirements:
    """What one draft decision calls for, in the order the practitioner is asked."""

    edition: Edition
    recommendation: Recommendation
    applying: tuple[Requirement, ...]
    problems: tuple[tuple[str, str], ...]
    """``(field, message)``, one per field, for everything the service would refuse,
    including fields given that the decision does not ask for."""

    @cached_property
    def by_field(self) -> dict[str, Requirement]:
        return {r.field: r for r in self.applying if r.question is None}

    def get(self, field: str) -> Requirement | None:
        return self.by_field.get(field)

    def asks(self, field: str) -> bool:
        return field in self.by_field

    @property
    def missing(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.applying if r.missing)


def _advice_or_urgency(draft: Draft) -> bool:
    """Advice linked, or why the decision could not wait said in words: a dash or an
    invisible character is not a reason (``says_something``)."""
    return bool(draft.advice_request_ids) or says_something(draft.urgent_reason)


NEEDED_FROM_GUIDANCE: dict[RecordField, tuple[str, Callable[[Draft], bool]]] = {
    RecordField.ADVICE_SOUGHT: ("advice_request_ids", _advice_or_urgency),
    RecordField.LAWFUL_BASIS: ("lawful_basis", lambda d: bool(d.lawful_basis)),
    RecordField.ART9_CONDITION: ("art9_condition", lambda d: bool(d.art9_condition)),
    RecordField.ART10_CONDITION: ("art10_condition", lambda d: bool(d.art10_condition)),
    RecordField.CONSENT_OVERRIDE_JUSTIFICATION: (
        "consent_override_justification",
        lambda d: bool(d.consent_override_justification.strip()),
    ),
    RecordField.FAMILY_INFORMED_OR_REASON: (
        "not_told_reason",
        lambda d: bool(d.family_informed) or d.not_told_reason is not None,
    ),
    RecordField.ACCURACY_CAVEATS: ("accuracy_caveats", lambda d: bool(d.accuracy_caveats.strip())),
}
"""Fields the guidance can ask for that live on the decision record. The others are met
elsewhere: ``reasons`` is required by the schema, ``items_and_fields`` by every
disclosure, and ``protected_identities`` by redaction, which is on unless a decision
gives a reason to reveal."""

NO_ADVICE = (
    "The guidance recommends seeking advice: link the advice you had, "
    "or say why this decision could not wait for it"
)


NO_WORDS = "Say in words why this decision could not wait for advice"


def awaits_advice(advice: Recommendation) -> bool:
    """The guidance said to seek advice, so any decision on it, whatever its outcome,
    needs the advice had or why it could not wait (golden rule 4): seeking advice is
    a state the record shows, not a suggestion a decision not to share can step past."""
    return advice.outcome is Outcome.SEEK_ADVICE or RecordField.ADVICE_SOUGHT in (
        advice.needed_fields
    )


def requirements(draft: Draft) -> Requirements:
    """What this draft calls for, what of it is answered, and what the service would refuse."""
    edition = load_edition(draft.edition)
    advice = settle(edition, draft.answers)
    sharing = draft.outcome in SHARING
    followed = draft.outcome is not None and draft.outcome.value == advice.outcome.value
    awaiting = draft.outcome is not None and awaits_advice(advice)
    guided = sharing or followed or awaiting
    needed = advice.needed_fields if guided else ()
    answer = draft.answers.get
    identifies = answer("identifies_living_person") != "no"
    problems = _problems(draft, advice, guided)

    found: list[Requirement] = []

    def ask(field: str, answered: bool, required: bool = True) -> None:
        found.append(Requirement(field, answered, required, problem=problems.get(field)))

    if draft.request_id is None:
        ask("recipient_agency_id", draft.recipient_agency_id is not None)
        ask("recipient_practitioner_id", draft.recipient_practitioner_id is not None, False)
        ask("purpose", draft.purpose is not None)
    following = advice.unanswered[0] if advice.unanswered else None
    for question in edition.questions:
        if question.id in draft.answers or question.id == following:
            found.append(
                Requirement("answers", question.id in draft.answers, False, question=question.id)
            )
    ask("outcome", draft.outcome is not None)
    if draft.outcome is not None and not followed:
        ask("departure_reason", bool(draft.departure_reason.strip()))
    if draft.outcome is DecisionOutcome.DO_NOT_SHARE:
        # Which items were held back: a record with nothing on it yet holds back
        # nothing, so the page (which knows the items) insists, not this list.
        ask("withheld_item_ids", bool(draft.withheld_item_ids), False)
    ask("reasons", bool(draft.reasons.strip()))
    if sharing and identifies:
        ask("lawful_basis", draft.lawful_basis is not None)
        if answer("special_category_data") != "no":
            ask(
                "art9_condition",
                draft.art9_condition is not None,
                RecordField.ART9_CONDITION in needed,
            )
        if answer("criminal_offence_data") != "no":
            ask(
                "art10_condition",
                draft.art10_condition is not None,
                RecordField.ART10_CONDITION in needed,
            )
    if answer("consent") not in POSITIONS:
        ask("consent_position", draft.consent_position is not None)
    if sharing:
        # Asked wherever the guidance needs it, not only over a refusal: sharing
        # confidential information without consent in the public interest needs the
        # same facts, and a page that never asked could never satisfy the service.
        if (
            draft.consent_position in OVERRIDDEN
            or RecordField.CONSENT_OVERRIDE_JUSTIFICATION in needed
        ):
            ask(
                "consent_override_justification",
                bool(draft.consent_override_justification.strip()),
            )
        ask("family_informed", draft.family_informed is not None)
        if draft.family_informed is False:
            ask("not_told_reason", draft.not_told_reason is not None)
            ask("not_told_review_on", draft.not_told_review_on is not None)
        # "Not sure" keeps the guidance's requirement (in doubt it is kept), so it is
        # asked then as well as after a "no".
        if answer("accurate") == "no" or RecordField.ACCURACY_CAVEATS in needed:
            ask(
                "accuracy_caveats",
                bool(draft.accuracy_caveats.strip()),
                RecordField.ACCURACY_CAVEATS in needed,
            )
        if answer("protected_identities") == "yes":
            ask("reveal_protected_reason", bool(draft.reveal_protected_reason.strip()), False)
    if awaiting:
        # Either will do: the advice page may be left empty, and then why the decision
        # could not wait is required.
        ask("advice_request_ids", bool(draft.advice_request_ids), False)
        if not draft.advice_request_ids:
            ask("urgent_reason", says_something(draft.urgent_reason))
    return Requirements(
        edition=edition,
        recommendation=advice,
        applying=tuple(found),
        problems=tuple(sorted(problems.items(), key=lambda p: FIELDS.index(p[0]))),
    )


NOT_THEIR_CONSENT = frozenset({"parent_or_carer", "adult"})
"""Answers to ``consent_from`` that say the young person was not the one deciding."""


def _not_a_competent_young_person(answers: Mapping[str, str]) -> str | None:
    """Why "a competent young person asked that their parents are not told" contradicts
    the answers, or None. Only a young person able to decide for themselves can ask it;
    an answer left out or "not sure" is not a contradiction."""
    if answers.get("young_person_competent") == "no":
        return (
            "You answered that the young person is not competent to decide for themselves: "
            "choose another reason for not telling the family, or change that answer"
        )
    if answers.get("consent_from") in NOT_THEIR_CONSENT:
        return (
            "You answered that consent was for a parent, carer or adult to give, not the young "
            "person: choose another reason for not telling the family, or change that answer"
        )
    return None


def _problems(draft: Draft, advice: Recommendation, guided: bool) -> dict[str, str]:
    """What the service would refuse, one message per field: where a field has more than
    one problem, the first found here is the one to fix first."""
    problems: list[tuple[str, str]] = []
    sharing = draft.outcome in SHARING
    if draft.outcome is not None and awaits_advice(advice) and not _advice_or_urgency(draft):
        problems.append(("advice_request_ids", NO_ADVICE))
        if draft.urgent_reason.strip():
            problems.append(("urgent_reason", NO_WORDS))
    for name, allowed in CODES.items():
        value = getattr(draft, name)
        if value is not None and value not in allowed:
            problems.append((name, f"Choose one of: {', '.join(sorted(allowed))}"))
    if sharing and draft.answers.get("identifies_living_person") != "no" and not draft.lawful_basis:
        problems.append(("lawful_basis", "Name the UK GDPR Article 6 lawful basis for sharing"))
    if (
        sharing
        and draft.consent_position in OVERRIDDEN
        and not draft.consent_override_justification.strip()
    ):
        problems.append(
            (
                "consent_override_justification",
                "Consent was refused or withdrawn: give the facts that justify sharing without it",
            )
        )
    if (
        sharing
        and draft.family_informed
        and draft.answers.get("informing_family_increases_risk") == "yes"
    ):
        problems.append(
            (
                "family_informed",
                "You answered that telling the child or family would increase the risk to "
                "the child: do not tell them, or change that answer",
            )
        )
    if sharing and not draft.family_informed and draft.not_told_reason is None:
        problems.append(
            ("not_told_reason", "Say why the child or family will not be told about this sharing")
        )
    if draft.not_told_reason is NotToldReason.YOUNG_PERSON_ASKED:
        contradiction = _not_a_competent_young_person(draft.answers)
        if contradiction:
            problems.append(("not_told_reason", contradiction))
    if sharing and not draft.family_informed and draft.not_told_review_on is None:
        problems.append(
            (
                "not_told_review_on",
                "Say when you will review the decision not to tell the child or family",
            )
        )
    if draft.urgent_reason.strip() and not awaits_advice(advice):
        problems.append(
            (
                "urgent_reason",
                "Only a decision the guidance said to seek advice on says why it could not wait",
            )
        )
    if draft.withheld_item_ids and draft.outcome is not DecisionOutcome.DO_NOT_SHARE:
        problems.append(("withheld_item_ids", "Only a decision not to share names items held back"))
    if (
        draft.lawful_basis == Art6Basis.CONSENT.value
        and draft.consent_position is not ConsentPosition.GIVEN
    ):
        problems.append(
            ("lawful_basis", "Consent cannot be the lawful basis unless consent was given")
        )
    if (
        draft.outcome is not None
        and draft.outcome.value != advice.outcome.value
        and not draft.departure_reason.strip()
    ):
        problems.append(
            (
                "departure_reason",
                f"The guidance recommends '{advice.outcome.value}': say why you decided otherwise",
            )
        )
    if guided:
        for needed in advice.still_needed:
            if needed.field in NEEDED_FROM_GUIDANCE:
                field, present = NEEDED_FROM_GUIDANCE[needed.field]
                if not present(draft):
                    problems.append((field, needed.explanation))
    answered = draft.answers.get("consent")
    matching = CONSENT_ANSWERS.get(answered or "", frozenset())
    position = draft.consent_position.value if draft.consent_position is not None else None
    if (
        answered is not None
        and answered not in ("not_sure", position)
        and draft.consent_position not in matching
    ):
        problems.append(
            ("consent_position", "The consent position differs from your answer on consent")
        )
    unique: dict[str, str] = {}
    for field, message in problems:
        unique.setdefault(field, message)
    return unique
