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
   more questions are answered.
   "Not sure" keeps a question unknown: a rule that needs it is neither true nor
   false, unless the rule names "not sure" itself (``significant_harm: not_sure``) to
   say exactly what to do. If such a rule stands before the first rule that holds, the
   doubt could change the outcome, so the edition's ``when_not_sure`` rule (seek
   advice) decides and names the questions in doubt; a "not sure" to a question that
   cannot change the outcome is kept in the record and changes nothing.
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
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import product

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


def load_version(edition_id: str, version: str) -> Edition:
    """The edition exactly as a decision used it: the current file while its version is
    unchanged, otherwise the copy kept under ``versions/`` when the meaning changed, so
    an old decision is always shown with the questions and rules it was made under."""
    current = load_edition(edition_id)
    if current.version == version:
        return current
    return _load_version(edition_id, version)


@cache
def _load_version(edition_id: str, version: str) -> Edition:
    kept = _editions_folder().joinpath("versions", version + _SUFFIX)
    if not kept.is_file():
        raise UnknownEdition(f"{edition_id} version {version}", list_editions())
    edition = Edition.model_validate(yaml.safe_load(kept.read_text(encoding="utf-8")))
    problems = list(validate_edition(edition))
    if (edition.edition, edition.version) != (edition_id, version):
        problems.insert(0, f"versions/{version}{_SUFFIX} holds {edition.edition} {edition.version}")
    if problems:
        raise InvalidEdition(f"{edition_id} version {version}", problems)
    return edition


def recommend(edition: Edition, answers: Mapping[str, str]) -> Recommendation:
    """What the edition recommends for these answers, and why.

    Pure: it reads nothing but its arguments, so a stored decision can be checked again
    later against the edition and answers it recorded, and get the same result.
    """
    given = _checked(edition, answers)
    return _recommend(edition, tuple(sorted(given.items())))


DOUBT_LIMIT = 243
"""The most ways of reading "not sure" answers the engine tries before it stops and
recommends advice: five doubted questions of three answers each. More doubt than that
is itself a reason to ask someone."""

Answered = tuple[tuple[str, str], ...]
"""Answers as a sorted tuple: the cache key of every step below."""


@dataclass(frozen=True)
class _Step:
    """How far the rules get with some answers, before the record's requirements."""

    rule: Rule | None
    """The first rule that holds, with nothing unknown before it."""
    missing: frozenset[str]
    """Questions to answer before the rules can decide."""
    doubted: tuple[str, ...]
    """Where only "not sure" answers hold the first open rule: those questions."""


@lru_cache(maxsize=65_536)
def _decide(edition: Edition, answered: Answered) -> _Step:
    given = dict(answered)
    missing: set[str] = set()
    for rule in edition.rules:
        truth = _holds(rule.when, given)
        if truth:
            return _Step(None if missing else rule, frozenset(missing), ())
        if truth is None:
            unanswered = _unanswered_in(rule.when, given)
            if not unanswered:
                # Only a "not sure" keeps this rule open, and nothing earlier can decide
                # any more unless a question still open before it is answered first.
                doubted = () if missing else _doubted(edition, given, rule.when)
                return _Step(None, frozenset(missing), doubted)
            missing |= unanswered
    return _Step(None, frozenset(missing), ())


def _doubted(
    edition: Edition, given: Mapping[str, str], condition: Condition | None
) -> tuple[str, ...]:
    """The questions answered "not sure" where this condition needs a sure answer (a test
    that names "not sure" itself reads the answer as it is)."""
    needing = {
        test.question
        for test in (answer_tests(condition) if condition is not None else ())
        if NOT_SURE not in ((test.value,) if isinstance(test, AnswerIs) else test.values)
    }
    return tuple(
        question.id
        for question in edition.questions
        if question.id in needing and given.get(question.id) == NOT_SURE
    )


def _readings(edition: Edition, answered: Answered, doubted: tuple[str, ...]) -> list[Answered]:
    """The answers with each "not sure" in ``doubted`` replaced by each sure answer; empty
    when there are more than ``DOUBT_LIMIT`` of them."""
    choices = [
        [value for value in edition.question(question).allowed if value != NOT_SURE]
        for question in doubted
    ]
    count = 1
    for values in choices:
        count *= len(values)
    if not doubted or count > DOUBT_LIMIT:
        return []
    given = dict(answered)
    return [
        tuple(sorted({**given, **dict(zip(doubted, values, strict=True))}.items()))
        for values in product(*choices)
    ]


@lru_cache(maxsize=65_536)
def _outcome(edition: Edition, answered: Answered) -> Outcome | None:
    """The outcome the rules reach, or None while questions still to answer could change
    it; cheaper than a recommendation, for weighing a doubt."""
    step = _decide(edition, answered)
    if step.rule is not None:
        return step.rule.outcome
    if step.missing:
        return None
    readings = _readings(edition, answered, step.doubted)
    if not readings:
        return Outcome.SEEK_ADVICE
    known: set[Outcome] = set()
    open_reading = False
    for reading in readings:
        outcome = _outcome(edition, reading)
        if outcome is None:
            open_reading = True
        else:
            known.add(outcome)
        if len(known) > 1:
            return Outcome.SEEK_ADVICE
    return None if open_reading else known.pop()


@lru_cache(maxsize=16_384)
def _recommend(edition: Edition, answered: Answered) -> Recommendation:
    given = dict(answered)
    step = _decide(edition, answered)
    if step.rule is None:
        if step.missing:
            return _incomplete(edition, given, set(step.missing))
        return _resolve_doubt(edition, answered, step.doubted)
    needed, missing = _still_needed(edition, step.rule.outcome, given)
    if missing:
        return _incomplete(edition, given, missing)
    return _recommendation(
        edition,
        step.rule.outcome,
        (step.rule, *_also_applying(edition, step.rule, given)),
        needed,
        unanswered=(),
    )


def _resolve_doubt(
    edition: Edition, answered: Answered, doubted: tuple[str, ...]
) -> Recommendation:
    """Whether the "not sure" answers holding a rule open can change the outcome.

    The engine is tried with every sure answer in their place. Where the readings reach
    different outcomes, it is advice, naming the questions in doubt. Where they all reach
    one outcome, that is the recommendation, citing each rule that decides one of the
    readings and asking the record for everything any of them needs (a doubt never lets
    the record carry less). Where a reading needs a question not yet answered, that
    question is asked: its answer may settle the doubt.
    """
    given = dict(answered)
    readings = _readings(edition, answered, doubted)
    outcomes = [_outcome(edition, reading) for reading in readings]
    if not readings or len({o for o in outcomes if o is not None}) > 1:
        return _in_doubt(edition, given, doubted)
    found = [_recommend(edition, reading) for reading in readings]
    unanswered = {question for each in found for question in each.unanswered}
    if unanswered:
        return _incomplete(edition, given, unanswered)
    order = {rule.id: n for n, rule in enumerate((*edition.rules, *edition.fallbacks))}
    deciding = sorted({each.decided_by.id for each in found}, key=order.__getitem__)
    needed: dict[RecordField, NeededField] = {}
    for each in found:
        for field in each.still_needed:
            needed.setdefault(field.field, field)
    return _recommendation(
        edition,
        found[0].outcome,
        tuple(edition.rule(rule_id) for rule_id in deciding),
        tuple(needed[field] for field in RecordField if field in needed),
        unanswered=(),
    )


Settled = tuple[Outcome, str, frozenset[tuple[RecordField, str]]]
"""What skipping a question must never change: the outcome, the rule that decided it and
what the record must carry, with the words that say what to do (telling the family, or
recording why not, is one field with two instructions: the question that chooses
between them is asked). Other rules that agree, cited beside it, may depend on a skipped
answer; they are not the decision."""

SEARCH_LIMIT = 400
"""The most partial answer sets ``settle`` tries before it gives up and keeps asking.
Walking the 2024 edition's journeys (hundreds of random walks, with and without "not
sure") never needs more; a search that would is one where every completion must be
tried to prove they agree, and stopping early only means asking the next question:
slower to finish, never wrong. Each page calls ``settle`` several times, so the bound
keeps a page's worst case to a fraction of a second."""


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
        reachable: dict[Settled, Recommendation] = {}
        if not _explore(edition, given, reachable, [SEARCH_LIMIT]) or len(reachable) != 1:
            return found
        ((only, example),) = reachable.items()
        found = _settled(edition, given, only).model_copy(update={"in_doubt": example.in_doubt})
    return found.model_copy(update={"skipped": _skipped(edition, given, found)})


def _explore(
    edition: Edition,
    given: dict[str, str],
    reachable: dict[Settled, Recommendation],
    budget: list[int],
) -> bool:
    """Add what each completion of ``given`` settles on; False once two differ or the
    search is too long (either way the answers so far do not decide)."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    found = recommend(edition, given)
    if found.complete:
        reachable.setdefault(_signature(found), found)
        return len(reachable) == 1
    question = edition.question(found.unanswered[0])
    return all(
        _explore(edition, {**given, question.id: value}, reachable, budget)
        for value in question.allowed
        if value != NOT_SURE
    )


def _signature(found: Recommendation) -> Settled:
    needed = frozenset((each.field, each.explanation) for each in found.still_needed)
    return (found.outcome, found.decided_by.id, needed)


def _settled(edition: Edition, given: Mapping[str, str], only: Settled) -> Recommendation:
    """The recommendation every completion agrees on, cited from the answers given."""
    outcome, rule_id, wanted = only
    decided = edition.rule(rule_id)
    agreeing = tuple(_also_applying(edition, decided, given)) if decided in edition.rules else ()
    needed: dict[RecordField, NeededField] = {}
    for requirement in edition.record_requirements:
        if (
            (requirement.field, requirement.explanation) in wanted
            and outcome in requirement.outcomes
            and requirement.field not in needed
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
    """Three-valued: unknown where an answer the condition needs is missing, or is "not
    sure" and the condition does not itself name "not sure" (a practitioner who cannot
    say has not said no)."""
    match condition:
        case None:
            return True
        case AnswerIs(question=question, value=value):
            return _compare(given.get(question), (value,))
        case AnswerIn(question=question, values=values):
            return _compare(given.get(question), values)
        case AnyAnswerIs(value=value):
            return value in given.values()
        case AllOf(conditions=parts):
            return _all(_holds(part, given) for part in parts)
        case AnyOf(conditions=parts):
            return _any(_holds(part, given) for part in parts)
        case Not(condition=inner):
            truth = _holds(inner, given)
            return None if truth is None else not truth


def _compare(answer: str | None, values: tuple[str, ...]) -> Truth:
    if answer is None or (answer == NOT_SURE and NOT_SURE not in values):
        return None
    return answer in values


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
    """The missing answers that keep this condition unknown: only those in parts still
    unknown, so a branch already settled (false inside ``all``, true inside ``any``)
    never makes a question look as if it mattered."""
    if condition is None or _holds(condition, given) is not None:
        return set()
    match condition:
        case AnswerIs(question=question) | AnswerIn(question=question):
            return set() if question in given else {question}
        case AllOf(conditions=parts) | AnyOf(conditions=parts):
            return {q for part in parts for q in _unanswered_in(part, given)}
        case Not(condition=inner):
            return _unanswered_in(inner, given)
    return set()


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


def _in_doubt(
    edition: Edition, given: Mapping[str, str], doubted: tuple[str, ...]
) -> Recommendation:
    """Advice, because how a "not sure" is read changes what the guidance recommends."""
    rule = edition.when_not_sure or edition.when_incomplete
    needed, _ = _still_needed(edition, rule.outcome, given)
    found = _recommendation(edition, rule.outcome, (rule,), needed, unanswered=())
    return found.model_copy(update={"in_doubt": doubted})


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
