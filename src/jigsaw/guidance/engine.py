"""The one engine that applies any guidance edition to a practitioner's answers.

It knows nothing about particular questions: what to recommend, and why, comes from the
edition's data. That keeps the reasoning reviewable by people who know the guidance
rather than the code, and lets an old decision be explained by the edition it used.

How a recommendation is reached:

1. The answers are checked against the edition; anything it cannot take is refused
   with every problem listed by question (``InvalidAnswers``), and nothing is decided.
2. The rules are tried in the order the edition lists them, and the first whose
   condition holds decides the outcome. Order is the precedence.
3. Answers may be missing: a journey asks one question at a time and stops asking when
   the rest cannot change the outcome. A condition that depends on a missing answer is
   "unknown" (three-valued logic: ``all`` is false once any part is false, ``any`` is
   true once any part is true). If an unknown rule stands before the first rule that
   holds, the outcome could still change, so the engine recommends seeking advice and
   lists the questions still to answer. A decided outcome therefore never changes when
   more questions are answered (other than with "not sure", which always means advice).
   Three-valued logic is cautious: it may ask a question whose answer, whatever it is,
   leads to the same recommendation. ``settle`` removes that caution by trying the
   engine on every way the open questions could still be answered: where all of them
   give one recommendation (the same outcome, deciding rule and record fields), the
   journey stops asking and the record lists the questions skipped and why.
4. The record requirements are checked the same way: what the decision record must
   still carry, given the outcome and the answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

import yaml

from jigsaw.errors import FieldProblem
from jigsaw.guidance.edition import (
    NOT_SURE,
    AllOf,
    AnswerIn,
    AnswerIs,
    AnyAnswerIs,
    AnyOf,
    CitedRule,
    Condition,
    Edition,
    GoldenRule,
    NeededField,
    Not,
    Outcome,
    Recommendation,
    RecordField,
    Rule,
    SkippedQuestion,
    answer_tests,
)
from jigsaw.guidance.errors import InvalidAnswers, InvalidEdition, UnknownEdition
from jigsaw.guidance.validation import validate_edition

_SUFFIX = ".yaml"

Truth = bool | None
"""True, false, or unknown because an answer the condition needs is missing."""


def _editions_folder() -> Traversable:
    """Found through the package, not the file system, so the data ships inside the wheel."""
    return resources.files("jigsaw.guidance").joinpath("editions")


@cache
def list_editions() -> tuple[str, ...]:
    """The ids of the editions shipped with Jigsaw, newest (the current one) first."""
    names = (entry.name for entry in _editions_folder().iterdir() if entry.is_file())
    ids = (name.removesuffix(_SUFFIX) for name in names if name.endswith(_SUFFIX))
    return tuple(sorted(ids, reverse=True))


def load_edition(edition_id: str | None = None) -> Edition:
    """The edition with this id, or the current one; loaded and checked once per process."""
    available = list_editions()
    chosen = available[0] if edition_id is None else edition_id
    if chosen not in available:
        raise UnknownEdition(chosen, available)
    return _load(chosen)


@cache
def _load(edition_id: str) -> Edition:
    text = _editions_folder().joinpath(edition_id + _SUFFIX).read_text(encoding="utf-8")
    edition = Edition.model_validate(yaml.safe_load(text))
    problems = list(validate_edition(edition))
    if edition.edition != edition_id:
        problems.insert(0, f"the file {edition_id}{_SUFFIX} holds edition {edition.edition!r}")
    if problems:
        raise InvalidEdition(edition_id, problems)
    return edition


def recommend(edition: Edition, answers: Mapping[str, str]) -> Recommendation:
    """What the edition recommends for these answers, and why.

    Pure: it reads nothing but its arguments, so a stored decision can be checked again
    later against the edition and answers it recorded, and get the same result.
    """
    given = _checked(edition, answers)
    decided: Rule | None = None
    missing: set[str] = set()
    for rule in edition.rules:
        truth = _holds(rule.when, given)
        if truth is None:
            missing |= _unanswered_in(rule.when, given)
        elif truth:
            decided = rule
            break
    if decided is None or missing:
        return _incomplete(edition, given, missing)
    needed, missing = _still_needed(edition, decided.outcome, given)
    if missing:
        return _incomplete(edition, given, missing)
    return _recommendation(
        edition,
        decided.outcome,
        (decided, *_also_applying(edition, decided, given)),
        needed,
        unanswered=(),
    )


Settled = tuple[Outcome, str, frozenset[RecordField]]
"""What skipping a question must never change: the outcome, the rule that decided it and
the fields the record must carry. (Other rules that agree, cited beside it, and the
wording of a requirement may depend on a skipped answer; they are not the decision.)"""

SEARCH_LIMIT = 20_000
"""The most partial answer sets ``settle`` tries before it gives up and keeps asking:
far more than any shipped edition needs, so a pathological edition is slow to finish,
never wrong."""


def settle(edition: Edition, answers: Mapping[str, str]) -> Recommendation:
    """``recommend``, finished as soon as no answer to the open questions could change it.

    Every way of answering the questions the engine still needs is tried (branching
    only on a question the engine names as unanswered, so questions that cannot matter
    are never enumerated). "Not sure" is left out: a question that is not asked cannot
    be answered "not sure". If every completion gives the same outcome, deciding rule and
    record fields, the recommendation is that one, with every unanswered question listed
    as skipped and why; otherwise it is ``recommend``'s, still asking. Pure, like
    ``recommend``, and cached, because each decision page asks it several times.
    """
    given = _checked(edition, answers)
    return _settle(edition, tuple(sorted(given.items())))


@lru_cache(maxsize=4096)
def _settle(edition: Edition, answered: tuple[tuple[str, str], ...]) -> Recommendation:
    given = dict(answered)
    found = recommend(edition, given)
    if not found.complete:
        reachable: set[Settled] = set()
        if not _explore(edition, given, reachable, [SEARCH_LIMIT]) or len(reachable) != 1:
            return found
        (only,) = reachable
        found = _settled(edition, given, only)
    return found.model_copy(update={"skipped": _skipped(edition, given, found)})


def _explore(
    edition: Edition, given: dict[str, str], reachable: set[Settled], budget: list[int]
) -> bool:
    """Add what each completion of ``given`` settles on; False once two differ or the
    search is too long (either way the answers so far do not decide)."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    found = recommend(edition, given)
    if found.complete:
        reachable.add(_signature(found))
        return len(reachable) == 1
    question = edition.question(found.unanswered[0])
    return all(
        _explore(edition, {**given, question.id: value}, reachable, budget)
        for value in question.allowed
        if value != NOT_SURE
    )


def _signature(found: Recommendation) -> Settled:
    return (found.outcome, found.decided_by.id, frozenset(found.needed_fields))


def _settled(edition: Edition, given: Mapping[str, str], only: Settled) -> Recommendation:
    """The recommendation every completion agrees on, cited from the answers given."""
    outcome, rule_id, fields = only
    decided = edition.rule(rule_id)
    agreeing = tuple(_also_applying(edition, decided, given))
    needed: dict[RecordField, NeededField] = {}
    for requirement in edition.record_requirements:
        if (
            requirement.field in fields
            and outcome in requirement.outcomes
            and requirement.field not in needed
            and _holds(requirement.when, given) is not False
        ):
            needed[requirement.field] = NeededField(
                field=requirement.field,
                explanation=requirement.explanation,
                golden_rules=requirement.golden_rules,
            )
    return _recommendation(
        edition, outcome, (decided, *agreeing), tuple(needed.values()), unanswered=()
    )


def _skipped(
    edition: Edition, given: Mapping[str, str], found: Recommendation
) -> tuple[SkippedQuestion, ...]:
    reason = (
        f"Not asked: your answers already lead to “{found.decided_by.title}”, "
        "and no answer to this question could change that or what the record must carry."
    )
    return tuple(
        SkippedQuestion(question=question.id, reason=reason)
        for question in edition.questions
        if question.id not in given
    )


def _checked(edition: Edition, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers as a plain dict, or every problem with them at once."""
    order = {question.id: n for n, question in enumerate(edition.questions)}
    problems: list[FieldProblem] = []
    for question_id in sorted(answers, key=lambda key: (order.get(key, len(order)), str(key))):
        value = answers[question_id]
        if question_id not in order:
            problems.append(
                FieldProblem(
                    str(question_id),
                    f"there is no question {question_id!r} in guidance edition {edition.edition}",
                )
            )
            continue
        allowed = edition.question(question_id).allowed
        if value not in allowed:
            problems.append(
                FieldProblem(
                    question_id,
                    f"{value!r} is not an answer to this question; choose one of: "
                    + ", ".join(allowed),
                )
            )
    if problems:
        raise InvalidAnswers(edition.edition, problems)
    return dict(answers)


def _holds(condition: Condition | None, given: Mapping[str, str]) -> Truth:
    match condition:
        case None:
            return True
        case AnswerIs(question=question, value=value):
            answer = given.get(question)
            return None if answer is None else answer == value
        case AnswerIn(question=question, values=values):
            answer = given.get(question)
            return None if answer is None else answer in values
        case AnyAnswerIs(value=value):
            return value in given.values()
        case AllOf(conditions=parts):
            return _all(_holds(part, given) for part in parts)
        case AnyOf(conditions=parts):
            return _any(_holds(part, given) for part in parts)
        case Not(condition=inner):
            truth = _holds(inner, given)
            return None if truth is None else not truth


def _all(truths: Iterable[Truth]) -> Truth:
    seen = list(truths)
    if False in seen:
        return False
    return None if None in seen else True


def _any(truths: Iterable[Truth]) -> Truth:
    seen = list(truths)
    if True in seen:
        return True
    return None if None in seen else False


def _unanswered_in(condition: Condition | None, given: Mapping[str, str]) -> set[str]:
    if condition is None:
        return set()
    return {test.question for test in answer_tests(condition) if test.question not in given}


def _still_needed(
    edition: Edition, outcome: Outcome, given: Mapping[str, str]
) -> tuple[tuple[NeededField, ...], set[str]]:
    """The fields the record must carry, and the questions that decide any still in doubt.

    A requirement in doubt is kept rather than dropped: asking the record for too much
    is a nuisance, asking for too little loses a reason the law wants written down.
    The first requirement for a field wins, so an edition can word it per situation.
    """
    needed: dict[str, NeededField] = {}
    missing: set[str] = set()
    for requirement in edition.record_requirements:
        if outcome not in requirement.outcomes:
            continue
        truth = _holds(requirement.when, given)
        if truth is None:
            missing |= _unanswered_in(requirement.when, given)
        if truth is not False and requirement.field not in needed:
            needed[requirement.field] = NeededField(
                field=requirement.field,
                explanation=requirement.explanation,
                golden_rules=requirement.golden_rules,
            )
    return tuple(needed.values()), missing


def _also_applying(edition: Edition, decided: Rule, given: Mapping[str, str]) -> Iterable[Rule]:
    """Later rules that hold and agree, so the practitioner sees every reason at once.

    A rule without a condition is a fallback, not a reason, so it is never cited here.
    """
    later = edition.rules[edition.rules.index(decided) + 1 :]
    return (
        rule
        for rule in later
        if rule.when is not None
        and rule.outcome is decided.outcome
        and _holds(rule.when, given) is True
    )


def _incomplete(edition: Edition, given: Mapping[str, str], missing: set[str]) -> Recommendation:
    rule = edition.when_incomplete
    needed, _ = _still_needed(edition, rule.outcome, given)
    order = [question.id for question in edition.questions if question.id in missing]
    return _recommendation(edition, rule.outcome, (rule,), needed, unanswered=tuple(order))


def _recommendation(
    edition: Edition,
    outcome: Outcome,
    rules: tuple[Rule, ...],
    needed: tuple[NeededField, ...],
    unanswered: tuple[str, ...],
) -> Recommendation:
    golden: dict[str, GoldenRule] = {}
    for rule in rules:
        for rule_id in rule.golden_rules:
            golden.setdefault(rule_id, edition.golden_rule(rule_id))
    return Recommendation(
        edition=edition.edition,
        version=edition.version,
        outcome=outcome,
        rules=tuple(CitedRule.of(rule) for rule in rules),
        golden_rules=tuple(golden.values()),
        still_needed=needed,
        unanswered=unanswered,
    )
