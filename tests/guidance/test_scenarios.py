"""Practice scenarios from the 2024 advice and the ICO's material, walked as a journey.

Each scenario in ``scenarios.yaml`` is answered the way the question pages ask: only the
question the engine asks next, in its order, until ``settle`` says no more answers could
change the recommendation. A question the scenario does not answer fails the test, so
the catalogue shows exactly what a practitioner is asked in that situation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from jigsaw.guidance import Outcome, Recommendation, load_edition, settle

EDITION = load_edition("2024-05")
CATALOGUE = Path(__file__).with_name("scenarios.yaml")


@dataclass(frozen=True)
class Scenario:
    id: str
    source: str
    story: str
    answers: dict[str, str]
    supported: Outcome
    ruled_out: tuple[Outcome, ...]
    rule: str | None


def _load() -> list[Scenario]:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    return [
        Scenario(
            id=entry["id"],
            source=entry["source"],
            story=entry["story"],
            answers=entry["answers"],
            supported=Outcome(entry["supported"]),
            ruled_out=tuple(Outcome(o) for o in entry["ruled_out"]),
            rule=entry.get("rule"),
        )
        for entry in data["scenarios"]
    ]


SCENARIOS = _load()


def walk(scenario: Scenario) -> tuple[list[str], Recommendation]:
    """The questions asked, in order, and where the journey ends."""
    asked: list[str] = []
    given: dict[str, str] = {}
    while True:
        found = settle(EDITION, given)
        if found.complete:
            return asked, found
        question = found.unanswered[0]
        if question not in scenario.answers:
            pytest.fail(
                f"{scenario.id}: the journey asks {question!r} after {asked}, "
                "which the scenario does not answer"
            )
        asked.append(question)
        given[question] = scenario.answers[question]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_each_scenario_reaches_the_outcome_the_advice_supports(scenario: Scenario) -> None:
    asked, found = walk(scenario)

    assert found.outcome is scenario.supported, (asked, found.decided_by.id)
    assert found.outcome not in scenario.ruled_out
    if scenario.rule is not None:
        assert found.decided_by.id == scenario.rule, asked
    assert asked[0] == "significant_harm"


def test_the_catalogue_is_well_formed() -> None:
    """Ids unique, every answer one the edition offers, each scenario sourced and with
    outcomes that do not contradict themselves, and at least 24 of them."""
    assert len(SCENARIOS) >= 24
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    rule_ids = {rule.id for rule in (*EDITION.rules, *EDITION.fallbacks)}
    for scenario in SCENARIOS:
        assert scenario.source.strip() and scenario.story.strip(), scenario.id
        assert scenario.supported not in scenario.ruled_out, scenario.id
        assert scenario.rule is None or scenario.rule in rule_ids, scenario.id
        for question, value in scenario.answers.items():
            assert value in EDITION.question(question).allowed, (scenario.id, question)


def test_the_catalogue_covers_every_outcome_and_the_themes_asked_for() -> None:
    outcomes = {s.supported for s in SCENARIOS}
    rules = {s.rule for s in SCENARIOS}

    assert outcomes == set(Outcome)
    assert {
        "significant_harm",
        "harm_not_sure",
        "statutory_duty_or_court_order",
        "refusal_respected",
        "not_personal_data",
        "no_legitimate_purpose",
        "information_not_checked",
        "ask_for_agreement_first",
        "consent_from_child_not_competent",
    } <= rules
