"""The order of the decision pages, and which of them a particular decision needs.

Each page is a step named as its path under ``/children/{id}/share/``. The steps
that apply follow from the draft, through ``sharing.requirements`` (the same list the
service checks a decision against): the guidance's questions come one at a time in the
order the engine still needs them; then the recommendation; then the record pages,
only those the outcome and the answers call for (an Article 9 page only where there
may be special category data, an override page only where consent was refused).
A page whose answer may be blank counts as done once submitted, unless the service
needs something on it.

After every page the practitioner goes to the first step not yet complete, so a
"Change" link from the check answers page comes straight back there unless the
change opened a new question. Nothing here reads or writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from jigsaw.guidance import Edition, Recommendation, load_edition, settle
from jigsaw.sharing.models import ConsentPosition
from jigsaw.sharing.requirements import (
    POSITIONS,
    SHARING,
    Draft,
    Requirement,
    Requirements,
    requirements,
)
from jigsaw.sharing.schemas import DecisionIn
from jigsaw.web.drafts import DecisionDraft

CHECK = "check"
RECOMMENDATION = "recommendation"
QUESTION_PREFIX = "questions/"

FIELD_STEPS: dict[str, str] = {
    "recipient_agency_id": "recipient",
    "recipient_practitioner_id": "recipient-person",
    "purpose": "purpose",
    "outcome": "outcome",
    "departure_reason": "departure",
    "withheld_item_ids": "held-back",
    "reasons": "reasons",
    "lawful_basis": "lawful-basis",
    "art9_condition": "special-category",
    "art10_condition": "criminal-offence",
    "consent_position": "consent",
    "consent_override_justification": "consent-override",
    "family_informed": "family",
    "not_told_reason": "not-told",
    "not_told_review_on": "review",
    "accuracy_caveats": "accuracy",
    "reveal_protected_reason": "protected",
    "advice_request_ids": "advice",
    "urgent_reason": "could-not-wait",
}
"""Where on the journey each field of a decision is answered, for error links."""


def question_step(question_id: str) -> str:
    return QUESTION_PREFIX + question_id


@dataclass(frozen=True)
class Journey:
    """One draft decision seen against its guidance edition."""

    draft: DecisionDraft
    advice_on_offer: bool = False
    """The practitioner has answered advice about this child they could link."""

    @cached_property
    def edition(self) -> Edition:
        return load_edition(self.draft.edition)

    @cached_property
    def recommendation(self) -> Recommendation:
        """As the service will record it: questions that cannot change it are skipped."""
        return settle(self.edition, self.draft.answers)

    @property
    def sharing(self) -> bool:
        return self.draft.outcome in SHARING

    def answer(self, question_id: str) -> str | None:
        return self.draft.answers.get(question_id)

    @property
    def consent_from_answers(self) -> ConsentPosition | None:
        """The consent position the practitioner already gave as an answer, if any."""
        answer = self.answer("consent")
        return ConsentPosition(answer) if answer in POSITIONS else None

    @property
    def consent_position(self) -> ConsentPosition | None:
        return self.consent_from_answers or self.draft.consent_position

    @property
    def requirements(self) -> Requirements:
        """What the decision calls for as the draft stands now; the draft changes between
        pages, so this is worked out afresh each time."""
        draft = self.draft
        return requirements(
            Draft.of(
                draft,
                draft.edition,
                consent_position=self.consent_position,
                lawful_basis=draft.lawful_basis or None,
                art9_condition=draft.art9_condition or None,
                art10_condition=draft.art10_condition or None,
            )
        )

    @property
    def needs_advice(self) -> bool:
        """The guidance said seek advice, and the record must say what advice was had, or
        (on the next page) why the decision could not wait for it."""
        return self.requirements.asks("advice_request_ids")

    def _by_step(self) -> dict[str, Requirement]:
        found: dict[str, Requirement] = {}
        for requirement in self.requirements.applying:
            if requirement.question is not None:
                found[question_step(requirement.question)] = requirement
            else:
                found[FIELD_STEPS[requirement.field]] = requirement
        return found

    def steps(self) -> list[str]:
        """Every step this decision needs, in the order the practitioner meets them."""
        found: list[str] = []
        for step in self._by_step():
            if step == "outcome":
                found.append(RECOMMENDATION)
            found.append(step)
        if self.advice_on_offer and "advice" not in found:
            found.append("advice")
        return [*found, CHECK]

    def complete(self, step: str) -> bool:
        return self._complete(step, self._by_step())

    def _complete(self, step: str, by_step: dict[str, Requirement]) -> bool:
        if step == CHECK:
            return False
        requirement = by_step.get(step)
        if requirement is None:
            return step in self.draft.done
        if requirement.answered:
            return True
        return not requirement.required and step in self.draft.done

    def next_step(self) -> str:
        by_step = self._by_step()
        return next(step for step in self.steps() if not self._complete(step, by_step))

    def previous(self, step: str) -> str | None:
        steps = self.steps()
        if step not in steps:
            return None
        at = steps.index(step)
        return steps[at - 1] if at > 0 else None

    def applies(self, step: str) -> bool:
        return step in self.steps()

    def reachable(self, step: str) -> bool:
        """A page can be shown once every step before it is complete, or to change it."""
        steps = self.steps()
        if step not in steps:
            return False
        by_step = self._by_step()
        return all(self._complete(s, by_step) for s in steps[: steps.index(step)]) or (
            self._complete(step, by_step)
        )

    def decision_in(self) -> DecisionIn:
        """The decision to record, with only what the steps that apply collected.

        An answer left over from a step that no longer applies (a lawful basis kept
        after changing the outcome to do not share) is not recorded.
        """
        draft = self.draft
        steps = set(self.steps())

        def kept(step: str, value: object, otherwise: object) -> object:
            return value if step in steps else otherwise

        told = draft.family_informed is True
        return DecisionIn.model_validate(
            {
                "subject_record_id": draft.subject_record_id,
                "request_id": draft.request_id,
                "reconsiders_id": draft.reconsiders_id,
                "recipient_agency_id": draft.recipient_agency_id,
                "recipient_practitioner_id": draft.recipient_practitioner_id,
                "purpose": draft.purpose,
                "answers": dict(draft.answers),
                "guidance_edition": draft.edition,
                "outcome": draft.outcome,
                "reasons": draft.reasons,
                "departure_reason": kept("departure", draft.departure_reason, ""),
                "lawful_basis": kept("lawful-basis", draft.lawful_basis or None, None),
                "art9_condition": kept("special-category", draft.art9_condition or None, None),
                "art10_condition": kept("criminal-offence", draft.art10_condition or None, None),
                "consent_position": self.consent_position,
                "consent_override_justification": kept(
                    "consent-override", draft.consent_override_justification, ""
                ),
                "family_informed": kept("family", told, False),
                "not_told_reason": kept("not-told", draft.not_told_reason, None),
                "not_told_review_on": kept("review", draft.not_told_review_on, None),
                "withheld_item_ids": kept("held-back", draft.withheld_item_ids, []),
                "advice_request_ids": kept("advice", draft.advice_request_ids, []),
                "urgent_reason": kept("could-not-wait", draft.urgent_reason, ""),
                "reveal_protected_reason": kept("protected", draft.reveal_protected_reason, ""),
                "accuracy_caveats": kept("accuracy", draft.accuracy_caveats, ""),
            }
        )


def start(record_id: int, **known: object) -> DecisionDraft:
    """A new draft on the current guidance edition; a request fills in who and why."""
    return DecisionDraft.model_validate(
        {"subject_record_id": record_id, "edition": load_edition(None).edition, **known}
    )
