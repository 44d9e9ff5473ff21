"""The order of the decision pages, and which of them a particular decision needs.

Each page is a step named as its path under ``/children/{id}/share/``. The steps
that apply follow from the draft: the guidance's questions come one at a time in the
order the engine still needs them; then the recommendation; then the record pages,
only those the outcome and the answers call for (an Article 9 page only where there
may be special category data, an override page only where consent was refused).

After every page the practitioner goes to the first step not yet complete, so a
"Change" link from the check answers page comes straight back there unless the
change opened a new question. Nothing here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from jigsaw.guidance import Edition, Recommendation, RecordField, load_edition, recommend
from jigsaw.sharing.decisions import OVERRIDDEN, SHARING
from jigsaw.sharing.models import ConsentPosition
from jigsaw.sharing.schemas import DecisionIn
from jigsaw.web.drafts import DecisionDraft

CHECK = "check"
RECOMMENDATION = "recommendation"
QUESTION_PREFIX = "questions/"
UNSURE_OR_YES = ("yes", "not_sure")
CONSENT_ANSWERS = frozenset(position.value for position in ConsentPosition)

FIELD_STEPS: dict[str, str] = {
    "recipient_agency_id": "recipient",
    "recipient_practitioner_id": "recipient-person",
    "purpose": "purpose",
    "outcome": "outcome",
    "departure_reason": "departure",
    "reasons": "reasons",
    "lawful_basis": "lawful-basis",
    "art9_condition": "special-category",
    "art10_condition": "criminal-offence",
    "consent_position": "consent",
    "consent_override_justification": "consent-override",
    "family_informed": "family",
    "not_told_reason": "not-told",
    "accuracy_caveats": "accuracy",
    "reveal_protected_reason": "protected",
    "advice_request_ids": "advice",
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
        return recommend(self.edition, self.draft.answers)

    @property
    def sharing(self) -> bool:
        return self.draft.outcome in SHARING

    def answer(self, question_id: str) -> str | None:
        return self.draft.answers.get(question_id)

    @property
    def consent_from_answers(self) -> ConsentPosition | None:
        """The consent position the practitioner already gave as an answer, if any."""
        answer = self.answer("consent")
        return ConsentPosition(answer) if answer in CONSENT_ANSWERS else None

    @property
    def consent_position(self) -> ConsentPosition | None:
        return self.consent_from_answers or self.draft.consent_position

    @property
    def needs_advice(self) -> bool:
        """The guidance said seek advice, and the record must say what advice was had."""
        needed = RecordField.ADVICE_SOUGHT in self.recommendation.needed_fields
        followed = self.draft.outcome is not None and (
            self.draft.outcome.value == self.recommendation.outcome.value
        )
        return needed and (self.sharing or followed)

    @property
    def next_question(self) -> str | None:
        unanswered = self.recommendation.unanswered
        return unanswered[0] if unanswered else None

    def _applies(self) -> dict[str, Callable[[], bool]]:
        identifies = self.answer("identifies_living_person") != "no"
        return {
            "departure": lambda: (
                self.draft.outcome is not None
                and self.draft.outcome.value != self.recommendation.outcome.value
            ),
            "reasons": lambda: True,
            "lawful-basis": lambda: self.sharing and identifies,
            "special-category": lambda: (
                self.sharing and identifies and self.answer("special_category_data") != "no"
            ),
            "criminal-offence": lambda: (
                self.sharing and identifies and self.answer("criminal_offence_data") != "no"
            ),
            "consent": lambda: self.consent_from_answers is None,
            "consent-override": lambda: self.sharing and self.consent_position in OVERRIDDEN,
            "family": lambda: self.sharing,
            "not-told": lambda: self.sharing and self.draft.family_informed is False,
            "accuracy": lambda: self.sharing and self.answer("accurate") == "no",
            "protected": lambda: self.sharing and self.answer("protected_identities") == "yes",
            "advice": lambda: self.advice_on_offer or self.needs_advice,
        }

    def steps(self) -> list[str]:
        """Every step this decision needs, in the order the practitioner meets them."""
        found: list[str] = []
        if self.draft.request_id is None:
            found += ["recipient", "recipient-person", "purpose"]
        for question in self.edition.questions:
            if question.id in self.draft.answers or question.id == self.next_question:
                found.append(question_step(question.id))
        found += [RECOMMENDATION, "outcome"]
        found += [step for step, applies in self._applies().items() if applies()]
        return [*found, CHECK]

    def complete(self, step: str) -> bool:
        draft = self.draft
        if step.startswith(QUESTION_PREFIX):
            return step.removeprefix(QUESTION_PREFIX) in draft.answers
        filled: dict[str, Callable[[], bool]] = {
            "recipient": lambda: draft.recipient_agency_id is not None,
            "purpose": lambda: draft.purpose is not None,
            "outcome": lambda: draft.outcome is not None,
            "departure": lambda: bool(draft.departure_reason.strip()),
            "reasons": lambda: bool(draft.reasons.strip()),
            "lawful-basis": lambda: draft.lawful_basis is not None,
            "consent": lambda: draft.consent_position is not None,
            "consent-override": lambda: bool(draft.consent_override_justification.strip()),
            "family": lambda: draft.family_informed is not None,
            "not-told": lambda: draft.not_told_reason is not None,
            "accuracy": lambda: bool(draft.accuracy_caveats.strip()),
            CHECK: lambda: False,
        }
        check = filled.get(step)
        return check() if check is not None else step in draft.done

    def next_step(self) -> str:
        return next(step for step in self.steps() if not self.complete(step))

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
        return all(self.complete(s) for s in steps[: steps.index(step)]) or self.complete(step)

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
                "advice_request_ids": kept("advice", draft.advice_request_ids, []),
                "reveal_protected_reason": kept("protected", draft.reveal_protected_reason, ""),
                "accuracy_caveats": kept("accuracy", draft.accuracy_caveats, ""),
            }
        )


def start(record_id: int, **known: object) -> DecisionDraft:
    """A new draft on the current guidance edition; a request fills in who and why."""
    return DecisionDraft.model_validate(
        {"subject_record_id": record_id, "edition": load_edition(None).edition, **known}
    )
