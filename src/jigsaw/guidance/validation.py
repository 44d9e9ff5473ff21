"""Checks that an edition's parts agree with each other.

The models catch a wrong shape; this catches a rule that names a question or an answer
that does not exist, a golden rule cited but never written, or an order of rules in
which the engine could reach no decision. A mistake like that would quietly change
what practitioners are told, so an edition that fails here is never loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from jigsaw.guidance.edition import (
    NOT_SURE,
    AnswerIn,
    AnswerIs,
    AnyAnswerIs,
    Condition,
    Edition,
    Not,
    Outcome,
    Rule,
    answer_tests,
)


def validate_edition(edition: Edition) -> tuple[str, ...]:
    """Every problem found, in plain words; an empty tuple means the edition is sound."""
    return tuple(
        [
            *_publication_problems(edition),
            *_duplicate_ids(edition),
            *_citation_problems(edition),
            *_condition_problems(edition),
            *_order_problems(edition),
            *_unused_questions(edition),
        ]
    )


def _publication_problems(edition: Edition) -> Iterator[str]:
    if edition.edition != edition.published.strftime("%Y-%m"):
        yield (
            f"edition id {edition.edition!r} must be the year and month it was published "
            f"({edition.published:%Y-%m}), so that ids sort oldest to newest"
        )
    if edition.superseded_by is not None and edition.superseded_by <= edition.edition:
        yield f"superseded_by {edition.superseded_by!r} must be a later edition"


def _duplicate_ids(edition: Edition) -> Iterator[str]:
    groups: dict[str, Iterable[str]] = {
        "golden rule": (rule.id for rule in edition.golden_rules),
        "principle": (principle.id for principle in edition.principles),
        "question": (question.id for question in edition.questions),
        "rule": (rule.id for rule in (*edition.rules, *edition.fallbacks)),
    }
    for kind, ids in groups.items():
        for ident, count in Counter(ids).items():
            if count > 1:
                yield f"{kind} id {ident!r} is used {count} times"
    for question in edition.questions:
        for value, count in Counter(question.allowed).items():
            if count > 1:
                yield f"question {question.id!r} offers the answer {value!r} {count} times"


def _citation_problems(edition: Edition) -> Iterator[str]:
    known = {rule.id for rule in edition.golden_rules}
    citing: list[tuple[str, tuple[str, ...]]] = [
        *((f"question {q.id!r}", q.golden_rules) for q in edition.questions),
        *((f"rule {r.id!r}", r.golden_rules) for r in (*edition.rules, *edition.fallbacks)),
        *(
            (f"record requirement {n} ({req.field})", req.golden_rules)
            for n, req in enumerate(edition.record_requirements, start=1)
        ),
    ]
    for where, cited in citing:
        for rule_id in cited:
            if rule_id not in known:
                yield f"{where} cites golden rule {rule_id!r}, which this edition does not have"


def _conditions(edition: Edition) -> Iterator[tuple[str, Condition]]:
    for rule in edition.rules:
        if rule.when is not None:
            yield f"rule {rule.id!r}", rule.when
    for n, requirement in enumerate(edition.record_requirements, start=1):
        if requirement.when is not None:
            yield f"record requirement {n} ({requirement.field})", requirement.when


def _condition_problems(edition: Edition) -> Iterator[str]:
    allowed = {question.id: question.allowed for question in edition.questions}
    every_answer = {value for values in allowed.values() for value in values}
    for where, condition in _conditions(edition):
        for test in answer_tests(condition):
            if test.question not in allowed:
                yield f"{where} asks about question {test.question!r}, which does not exist"
                continue
            values = (test.value,) if isinstance(test, AnswerIs) else test.values
            for value in values:
                if value not in allowed[test.question]:
                    yield (
                        f"{where} tests question {test.question!r} for {value!r}, "
                        f"which is not one of its answers {list(allowed[test.question])}"
                    )
        for value in _any_answer_values(condition):
            if value not in every_answer:
                yield f"{where} looks for the answer {value!r}, which no question offers"


def _any_answer_values(condition: Condition) -> Iterator[str]:
    match condition:
        case AnyAnswerIs(value=value):
            yield value
        case AnswerIs() | AnswerIn():
            return
        case Not(condition=inner):
            yield from _any_answer_values(inner)
        case _:
            for part in condition.conditions:
                yield from _any_answer_values(part)


def _order_problems(edition: Edition) -> Iterator[str]:
    *earlier, last = edition.rules
    if last.when is not None:
        yield (
            f"the last rule {last.id!r} must have no condition, "
            "so that a full set of answers always reaches a decision"
        )
    for rule in earlier:
        if rule.when is None:
            yield f"rule {rule.id!r} has no condition, so the rules after it could never apply"
    for name, fallback in (
        ("when_incomplete", edition.when_incomplete),
        ("when_not_sure", edition.when_not_sure),
    ):
        if fallback is None:
            continue
        if fallback.when is not None:
            yield f"{name} must have no condition: it applies whenever the answers cannot decide"
        if fallback.outcome is not Outcome.SEEK_ADVICE:
            yield f"{name} must recommend seek_advice: the guidance cannot yet say more"
    offers_not_sure = any(NOT_SURE in question.allowed for question in edition.questions)
    if (
        offers_not_sure
        and edition.when_not_sure is None
        and not _sends_not_sure_to_advice(edition.rules[0])
    ):
        yield (
            "an edition that offers 'not sure' needs when_not_sure, or a first rule "
            "{any_answer: not_sure} with outcome seek_advice, so that a 'not sure' that "
            "matters always means seeking advice"
        )


def _sends_not_sure_to_advice(rule: Rule) -> bool:
    return (
        rule.outcome is Outcome.SEEK_ADVICE
        and isinstance(rule.when, AnyAnswerIs)
        and rule.when.value == NOT_SURE
    )


def _unused_questions(edition: Edition) -> Iterator[str]:
    used = {
        test.question for _, condition in _conditions(edition) for test in answer_tests(condition)
    }
    for question in edition.questions:
        if question.id not in used:
            yield f"question {question.id!r} is asked but no rule or record requirement uses it"
