"""The shapes of a guidance edition and of the recommendation drawn from it.

An edition is data, written by people who read the guidance, so every model here
forbids unknown keys: a misspelt key in the YAML must fail loudly rather than
silently drop a rule. Everything is frozen because one loaded edition is shared by
every request, and a decision must be able to say exactly which rules it used.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeAlias

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from jigsaw.errors import NotFound

Answers: TypeAlias = Mapping[str, str]
"""Question id to the value of the answer chosen, as a form or API would send it."""

NOT_SURE = "not_sure"
"""The answer every edition offers when a practitioner cannot say; it always means advice."""


class Outcome(StrEnum):
    SHARE = "share"
    SHARE_IN_PART = "share_in_part"
    DO_NOT_SHARE = "do_not_share"
    SEEK_ADVICE = "seek_advice"


class RecordField(StrEnum):
    """What a sharing decision record can be asked to carry.

    A closed list, because the record has to have somewhere to put each one: an edition
    that needs something new needs the decision record to learn it first.
    """

    REASONS = "reasons"
    ADVICE_SOUGHT = "advice_sought"
    LAWFUL_BASIS = "lawful_basis"
    ART9_CONDITION = "art9_condition"
    ART10_CONDITION = "art10_condition"
    CONSENT_OVERRIDE_JUSTIFICATION = "consent_override_justification"
    FAMILY_INFORMED_OR_REASON = "family_informed_or_reason"
    ITEMS_AND_FIELDS = "items_and_fields"
    ACCURACY_CAVEATS = "accuracy_caveats"
    PROTECTED_IDENTITIES = "protected_identities"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)


# Conditions ---------------------------------------------------------------------------
# A rule's condition is a small tree written in the YAML as nested mappings, e.g.
#   {all: [{question: significant_harm, is: "yes"}, {not: {question: consent, is: given}}]}


class AnswerIs(_Data):
    kind: ClassVar[str] = "is"
    question: str
    value: str = Field(alias="is")


class AnswerIn(_Data):
    kind: ClassVar[str] = "in"
    question: str
    values: tuple[str, ...] = Field(alias="in", min_length=1)


class AnyAnswerIs(_Data):
    """True when any answer already given has this value, whichever the question.

    It is judged on the answers given so far, never "unknown", because a "not sure"
    already given decides the outcome however the other questions are answered.
    """

    kind: ClassVar[str] = "any_answer"
    value: str = Field(alias="any_answer")


class AllOf(_Data):
    kind: ClassVar[str] = "all"
    conditions: tuple[Condition, ...] = Field(alias="all", min_length=1)


class AnyOf(_Data):
    kind: ClassVar[str] = "any"
    conditions: tuple[Condition, ...] = Field(alias="any", min_length=1)


class Not(_Data):
    kind: ClassVar[str] = "not"
    condition: Condition = Field(alias="not")


_KINDS = ("all", "any", "not", "any_answer", "in", "is")


def _condition_kind(value: Any) -> str | None:
    """Pick the condition model from the one key that names it, for clear YAML errors."""
    if isinstance(value, Mapping):
        return next((kind for kind in _KINDS if kind in value), None)
    kind = getattr(value, "kind", None)
    return kind if isinstance(kind, str) else None


Condition: TypeAlias = Annotated[
    Annotated[AnswerIs, Tag("is")]
    | Annotated[AnswerIn, Tag("in")]
    | Annotated[AnyAnswerIs, Tag("any_answer")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message=(
            "a condition needs one of the keys: all, any, not, any_answer, or question with is / in"
        ),
    ),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


def answer_tests(condition: Condition) -> Iterator[AnswerIs | AnswerIn]:
    """Every test of a named question inside a condition, however deeply nested."""
    match condition:
        case AnswerIs() | AnswerIn():
            yield condition
        case AllOf(conditions=parts) | AnyOf(conditions=parts):
            for part in parts:
                yield from answer_tests(part)
        case Not(condition=inner):
            yield from answer_tests(inner)
        case AnyAnswerIs():
            return


# The edition --------------------------------------------------------------------------


class Principle(_Data):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class GoldenRule(Principle):
    """One of an edition's seven golden rules; rules and questions cite it by id.

    ``quote`` holds the advice's own words, exactly, so that what is cited as "rule N"
    is what rule N says; ``title`` and ``explanation`` are the edition's summary in
    plainer words, and every page that shows them says they are a summary.
    """

    quote: str | None = Field(default=None, min_length=1)


class AnswerOption(_Data):
    value: str = Field(min_length=1)
    label: str = Field(min_length=1)


class Question(_Data):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    help: str = Field(min_length=1)
    answers: tuple[AnswerOption, ...] = Field(min_length=2)
    golden_rules: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.answers)


class Rule(_Data):
    """Turns answers into an outcome; rules are tried in the order the edition lists them.

    A rule without ``when`` always applies: it is the edition's last word, reached only
    when nothing more specific did.
    """

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    outcome: Outcome
    golden_rules: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    when: Condition | None = None


class RecordRequirement(_Data):
    """Something the decision record must carry when the outcome and answers call for it."""

    field: RecordField
    explanation: str = Field(min_length=1)
    outcomes: tuple[Outcome, ...] = Field(default=tuple(Outcome), min_length=1)
    when: Condition | None = None
    golden_rules: tuple[str, ...] = ()


class Edition(_Data):
    edition: str = Field(pattern=r"^\d{4}-\d{2}$")
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    published: datetime.date
    source_url: str = Field(pattern=r"^https://")
    version: str = Field(min_length=1)
    superseded_by: str | None = None
    summary: str = Field(min_length=1)
    golden_rules: tuple[GoldenRule, ...] = Field(min_length=1)
    principles: tuple[Principle, ...] = ()
    questions: tuple[Question, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)
    when_incomplete: Rule
    when_not_sure: Rule | None = None
    """What to recommend when a "not sure" answer is all that stands between the
    answers and a decision. An edition without it must send every "not sure" to advice
    with its first rule, as the older flowcharts did."""
    record_requirements: tuple[RecordRequirement, ...] = ()

    def __hash__(self) -> int:
        """By id and version only: the engine caches on the edition, and hashing every
        question and rule on each call cost more than the rules themselves. Equal
        editions share an id and version, so equal editions still hash alike."""
        return hash((self.edition, self.version))

    @property
    def fallbacks(self) -> tuple[Rule, ...]:
        """The rules that apply when the answers cannot decide: questions unanswered, or
        a "not sure" that matters."""
        return (self.when_incomplete, *((self.when_not_sure,) if self.when_not_sure else ()))

    def golden_rule(self, rule_id: str) -> GoldenRule:
        found = next((rule for rule in self.golden_rules if rule.id == rule_id), None)
        if found is None:
            raise NotFound("golden rule", rule_id)
        return found

    def question(self, question_id: str) -> Question:
        found = next((q for q in self.questions if q.id == question_id), None)
        if found is None:
            raise NotFound("question", question_id)
        return found

    def rule(self, rule_id: str) -> Rule:
        candidates = (*self.rules, *self.fallbacks)
        found = next((rule for rule in candidates if rule.id == rule_id), None)
        if found is None:
            raise NotFound("rule", rule_id)
        return found


# The recommendation -------------------------------------------------------------------


class CitedRule(_Data):
    """A rule as a decision record keeps it: what it said, without its machinery."""

    id: str
    title: str
    explanation: str
    golden_rules: tuple[str, ...]
    citations: tuple[str, ...]

    @classmethod
    def of(cls, rule: Rule) -> CitedRule:
        return cls(
            id=rule.id,
            title=rule.title,
            explanation=rule.explanation,
            golden_rules=rule.golden_rules,
            citations=rule.citations,
        )


class NeededField(_Data):
    field: RecordField
    explanation: str
    golden_rules: tuple[str, ...]


class SkippedQuestion(_Data):
    """A question the journey did not ask, and why, so the record can say so."""

    question: str
    reason: str


class Recommendation(_Data):
    """What the guidance recommends for one set of answers, and why.

    ``rules`` starts with the rule that decided the outcome, followed by any later rules
    that also hold and point the same way, so a practitioner sees every reason (for
    example both "only part is relevant" and "no Article 9 condition").
    ``unanswered`` lists the questions the outcome still depends on, in the order the
    edition asks them; while it is not empty the outcome is to seek advice.
    """

    edition: str
    version: str
    outcome: Outcome
    rules: tuple[CitedRule, ...] = Field(min_length=1)
    golden_rules: tuple[GoldenRule, ...]
    still_needed: tuple[NeededField, ...]
    unanswered: tuple[str, ...]
    in_doubt: tuple[str, ...] = ()
    """Questions answered "not sure" whose answer could change the outcome: why the
    recommendation is to seek advice, in the edition's order."""
    skipped: tuple[SkippedQuestion, ...] = ()
    """Questions left unasked because no answer to them could change this
    recommendation (``engine.settle``); empty from ``recommend``."""

    @property
    def decided_by(self) -> CitedRule:
        return self.rules[0]

    @property
    def complete(self) -> bool:
        return not self.unanswered

    @property
    def needed_fields(self) -> tuple[RecordField, ...]:
        return tuple(needed.field for needed in self.still_needed)
