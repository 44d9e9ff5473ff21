"""The rows of the decision's check answers page, each with its "Change" link.

Built here rather than in the template so each row's wording sits beside the step it
changes. Which record rows are shown comes from ``sharing.requirements``, the list
the service checks the decision against, so the page shows exactly what the decision
carries; a row with nothing in it says "Not given".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default
from functools import cached_property
from typing import Any

from markupsafe import Markup

from jigsaw.guidance import Edition, SkippedQuestion
from jigsaw.sharing.schemas import AdviceOut, SkippedQuestionOut
from jigsaw.web import labels
from jigsaw.web.decision_journey import FIELD_STEPS, RECOMMENDATION, Journey, question_step

Row = dict[str, Any]


@dataclass(frozen=True)
class Section:
    heading: str
    rows: list[Row]


def _row(key: str, value: str | Markup, href: str | None = None) -> Row:
    shown = {"html": value} if isinstance(value, Markup) else {"text": value or "Not given"}
    row: Row = {"key": {"text": key}, "value": shown}
    if href:
        row["actions"] = {
            "items": [{"href": href, "text": "Change", "visuallyHiddenText": key.lower()}]
        }
    return row


def skipped_rows(
    edition: Edition, skipped: Sequence[SkippedQuestion | SkippedQuestionOut]
) -> list[Row]:
    """One row per reason, listing the questions not asked for it: the record shows what
    was never asked as plainly as what was answered."""
    by_reason: dict[str, list[str]] = {}
    for skip in skipped:
        known = next((q.text for q in edition.questions if q.id == skip.question), skip.question)
        by_reason.setdefault(skip.reason, []).append(known)
    rows = []
    for reason, texts in by_reason.items():
        listed = Markup("").join(Markup("<li>{}</li>").format(text) for text in texts)
        value = Markup('<p class="govuk-body">{}</p><ul class="govuk-list govuk-list--bullet">')
        rows.append(_row("Questions not asked", value.format(reason) + listed + Markup("</ul>")))
    return rows


def held_back_row(summaries: list[str], href: str | None = None) -> Row:
    if not summaries:
        return _row("Information not shared", "No items chosen", href)
    listed = Markup("").join(Markup("<li>{}</li>").format(text) for text in summaries)
    return _row(
        "Information not shared",
        Markup('<ul class="govuk-list govuk-list--bullet">') + listed + Markup("</ul>"),
        href,
    )


@dataclass(frozen=True)
class CheckAnswers:
    journey: Journey
    base_url: str
    recipient: str
    recipient_person: str | None
    advice_used: list[AdviceOut]
    advice_names: dict[int, str]
    held_back: dict[int, str] = default(default_factory=dict)
    """The items offered to hold back, by id, as the practitioner saw them."""

    @cached_property
    def _steps(self) -> list[str]:
        return self.journey.steps()

    def _url(self, step: str) -> str | None:
        return f"{self.base_url}/{step}" if step in self._steps else None

    def sections(self) -> list[Section]:
        found = [self._who(), self._answers(), self._decision()]
        return [s for s in found if s.rows]

    def _who(self) -> Section:
        draft = self.journey.draft
        person = self.recipient_person or f"Anyone at {self.recipient} (their shared inbox)"
        rows = [
            _row("Sharing with", self.recipient, self._url("recipient")),
            _row("Who will receive it", person, self._url("recipient-person")),
            _row(
                "Purpose",
                labels.PURPOSES[draft.purpose] if draft.purpose else "",
                self._url("purpose"),
            ),
        ]
        if draft.request_id is not None:
            rows.append(_row("Answering request", f"Request {draft.request_id}"))
        return Section("Who and why", rows)

    def _answers(self) -> Section:
        journey = self.journey
        rows = []
        for question in journey.edition.questions:
            answer = journey.answer(question.id)
            if answer is None:
                continue
            label = next(o.label for o in question.answers if o.value == answer)
            rows.append(_row(question.text, label, self._url(question_step(question.id))))
        recommendation = journey.recommendation
        rows.extend(skipped_rows(journey.edition, recommendation.skipped))
        rows.append(
            _row(
                "The guidance recommends",
                f"{labels.RECOMMENDATIONS[recommendation.outcome.value]}: "
                f"{recommendation.decided_by.title}",
                self._url(RECOMMENDATION),
            )
        )
        return Section("Your answers to the guidance's questions", rows)

    def _decision(self) -> Section:
        journey, draft = self.journey, self.journey.draft
        asked = journey.requirements
        rows = [
            _row(
                "Your decision",
                labels.OUTCOMES[draft.outcome] if draft.outcome else "",
                self._url("outcome"),
            )
        ]
        texts = {
            "departure_reason": ("Why you decided differently", draft.departure_reason),
            "reasons": ("Your reasons", draft.reasons),
            "lawful_basis": ("Lawful basis", labels.lawful_basis(draft.lawful_basis)),
            "art9_condition": (
                "Condition for special category data",
                labels.lawful_basis(draft.art9_condition),
            ),
            "art10_condition": (
                "Condition for criminal offence data",
                labels.lawful_basis(draft.art10_condition),
            ),
        }
        for field, (key, value) in texts.items():
            if asked.asks(field):
                rows.append(_row(key, value, self._url(FIELD_STEPS[field])))
            if field == "departure_reason" and asked.asks("withheld_item_ids"):
                chosen = [self.held_back.get(i, f"Item {i}") for i in draft.withheld_item_ids]
                rows.append(held_back_row(chosen, self._url(FIELD_STEPS["withheld_item_ids"])))
        consent = journey.consent_position
        consent_step = "consent" if asked.asks("consent_position") else question_step("consent")
        rows.append(
            _row(
                "Consent",
                labels.CONSENT_POSITIONS[consent] if consent else "",
                self._url(consent_step),
            )
        )
        if asked.asks("consent_override_justification"):
            rows.append(
                _row(
                    "Why you are sharing without consent",
                    draft.consent_override_justification,
                    self._url("consent-override"),
                )
            )
        if asked.asks("family_informed"):
            told = {True: "Yes", False: "No", None: ""}[draft.family_informed]
            rows.append(_row("Telling the child or family", told, self._url("family")))
        if asked.asks("not_told_reason") and draft.not_told_reason is not None:
            rows.append(
                _row(
                    "Why you will not tell them",
                    labels.NOT_TOLD_REASONS[draft.not_told_reason],
                    self._url("not-told"),
                )
            )
        if asked.asks("not_told_review_on"):
            review = draft.not_told_review_on
            rows.append(
                _row(
                    "When you will review not telling them",
                    labels.long_date(review) if review else "",
                    self._url("review"),
                )
            )
        if asked.asks("accuracy_caveats"):
            rows.append(
                _row("Accuracy of the information", draft.accuracy_caveats, self._url("accuracy"))
            )
        if asked.asks("reveal_protected_reason"):
            rows.append(
                _row(
                    "Protected identities",
                    draft.reveal_protected_reason or "Withheld from the recipient",
                    self._url("protected"),
                )
            )
        if "advice" in self._steps:
            advice = "; ".join(
                f"{a.question} (answer from {self.advice_names.get(a.answered_by_id or 0, '')}: "
                f"{a.answer})"
                for a in self.advice_used
            )
            rows.append(_row("Advice you relied on", advice or "None", self._url("advice")))
        if asked.asks("urgent_reason"):
            rows.append(
                _row(
                    "Why your decision could not wait for advice",
                    draft.urgent_reason,
                    self._url(FIELD_STEPS["urgent_reason"]),
                )
            )
        return Section("Your decision", rows)
