"""The editions that ship with Jigsaw load, agree with themselves, and say who wrote them."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from jigsaw.errors import NotFound
from jigsaw.guidance import (
    Edition,
    UnknownEdition,
    list_editions,
    load_edition,
    load_version,
    validate_edition,
)


def raw(edition_id: str) -> dict[str, Any]:
    text = (
        resources.files("jigsaw.guidance")
        .joinpath("editions", f"{edition_id}.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def problems_after(change: Any, edition_id: str = "2024-05") -> tuple[str, ...]:
    data = copy.deepcopy(raw(edition_id))
    change(data)
    return validate_edition(Edition.model_validate(data))


def test_the_editions_are_listed_newest_first() -> None:
    assert list_editions() == ("2024-05", "2018-07")


def test_the_current_edition_is_the_2024_advice() -> None:
    current = load_edition()

    assert current.edition == "2024-05"
    assert current.published.year == 2024
    assert current.source_url.startswith("https://www.gov.uk/")
    assert current.version
    assert current is load_edition("2024-05")


def test_the_2018_edition_is_kept_as_history() -> None:
    old = load_edition("2018-07")

    assert old.superseded_by == "2024-05"
    assert len(old.principles) == 7
    assert old.golden_rule("GR3").title == "Seek advice"


@pytest.mark.parametrize("edition_id", ["2024-05", "2018-07"])
def test_each_edition_is_sound_and_has_seven_golden_rules(edition_id: str) -> None:
    edition = load_edition(edition_id)

    assert validate_edition(edition) == ()
    assert [rule.id for rule in edition.golden_rules] == [f"GR{n}" for n in range(1, 8)]


def test_golden_rules_are_looked_up_by_id() -> None:
    edition = load_edition()

    assert edition.golden_rule("GR1").title == "Protecting a child from harm comes first"
    with pytest.raises(NotFound, match="No golden rule with id GR8"):
        edition.golden_rule("GR8")


def test_questions_and_rules_are_looked_up_by_id() -> None:
    edition = load_edition()

    assert "not_sure" in edition.question("significant_harm").allowed
    assert edition.rule("questions_unanswered").outcome == "seek_advice"
    with pytest.raises(NotFound):
        edition.question("favourite_colour")


def test_an_unknown_edition_is_refused_with_the_ones_available() -> None:
    with pytest.raises(UnknownEdition) as refused:
        load_edition("1999-01")

    assert refused.value.available == ("2024-05", "2018-07")
    assert isinstance(refused.value, NotFound)


def test_a_path_is_not_an_edition() -> None:
    with pytest.raises(UnknownEdition):
        load_edition("../engine")


def test_an_unquoted_yes_in_the_data_is_caught_rather_than_read_as_true() -> None:
    data = raw("2024-05")
    data["questions"][0]["answers"][0]["value"] = True

    with pytest.raises(ValidationError, match="valid string"):
        Edition.model_validate(data)


def test_a_misspelt_key_in_the_data_is_caught() -> None:
    data = raw("2024-05")
    data["rules"][1]["wehn"] = data["rules"][1].pop("when")

    with pytest.raises(ValidationError, match="wehn"):
        Edition.model_validate(data)


def test_a_condition_without_a_known_key_is_caught() -> None:
    data = raw("2024-05")
    data["rules"][1]["when"] = {"question": "legitimate_purpose", "equals": "no"}

    with pytest.raises(ValidationError, match="a condition needs one of the keys"):
        Edition.model_validate(data)


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(rule for rule in data["rules"] if rule["id"] == rule_id)
    return found


def test_the_validator_finds_a_rule_about_a_missing_question() -> None:
    def change(data: dict[str, Any]) -> None:
        _rule(data, "no_legitimate_purpose")["when"] = {"question": "purpose", "is": "no"}

    assert "rule 'no_legitimate_purpose' asks about question 'purpose', which does not exist" in (
        problems_after(change)
    )


def test_the_validator_finds_an_answer_the_question_does_not_offer() -> None:
    def change(data: dict[str, Any]) -> None:
        _rule(data, "only_part_relevant")["when"] = {"question": "relevance", "in": ["some"]}

    [problem] = problems_after(change)
    assert problem.startswith("rule 'only_part_relevant' tests question 'relevance' for 'some'")


def test_the_validator_finds_a_golden_rule_that_does_not_exist() -> None:
    def change(data: dict[str, Any]) -> None:
        _rule(data, "significant_harm")["golden_rules"] = ["GR1", "GR9"]
        data["questions"][0]["golden_rules"] = ["GR0"]

    assert problems_after(change) == (
        "question 'significant_harm' cites golden rule 'GR0', which this edition does not have",
        "rule 'significant_harm' cites golden rule 'GR9', which this edition does not have",
    )


def test_the_validator_finds_duplicate_ids() -> None:
    def change(data: dict[str, Any]) -> None:
        data["golden_rules"][1]["id"] = "GR1"
        _rule(data, "not_confidential")["id"] = "consent_given"

    problems = problems_after(change)
    assert "golden rule id 'GR1' is used 2 times" in problems
    assert "rule id 'consent_given' is used 2 times" in problems


def test_the_validator_insists_on_a_last_word() -> None:
    def change(data: dict[str, Any]) -> None:
        data["rules"].pop()

    [problem] = problems_after(change)
    assert problem.startswith("the last rule 'not_confidential' must have no condition")


def test_the_validator_finds_a_rule_that_hides_the_ones_after_it() -> None:
    def change(data: dict[str, Any]) -> None:
        del _rule(data, "significant_harm")["when"]

    assert "rule 'significant_harm' has no condition, so the rules after it could never apply" in (
        problems_after(change)
    )


def test_the_validator_insists_that_an_old_edition_sends_not_sure_to_advice_first() -> None:
    def change(data: dict[str, Any]) -> None:
        data["rules"].insert(1, data["rules"].pop(0))

    [problem] = problems_after(change, "2018-07")
    assert problem.startswith("an edition that offers 'not sure' needs when_not_sure")


def test_the_validator_insists_on_when_not_sure_without_a_not_sure_first_rule() -> None:
    def change(data: dict[str, Any]) -> None:
        del data["when_not_sure"]

    [problem] = problems_after(change)
    assert problem.startswith("an edition that offers 'not sure' needs when_not_sure")


def test_the_validator_insists_that_a_doubt_that_matters_means_advice() -> None:
    def change(data: dict[str, Any]) -> None:
        data["when_not_sure"]["outcome"] = "share"

    assert problems_after(change) == (
        "when_not_sure must recommend seek_advice: the guidance cannot yet say more",
    )


def test_the_2024_edition_answers_not_sure_with_its_own_rule_not_a_blanket_first_rule() -> None:
    edition = load_edition("2024-05")

    assert edition.when_not_sure is not None
    assert edition.when_not_sure.id == "not_sure"
    assert edition.rules[0].id == "statutory_duty_or_court_order"
    assert "any_answer" not in str(raw("2024-05")["rules"])
    assert load_edition("2018-07").rules[0].id == "not_sure"


def test_the_validator_insists_that_missing_answers_mean_advice() -> None:
    def change(data: dict[str, Any]) -> None:
        data["when_incomplete"]["outcome"] = "share"

    assert problems_after(change) == (
        "when_incomplete must recommend seek_advice: the guidance cannot yet say more",
    )


def test_the_validator_finds_a_question_nothing_uses() -> None:
    def change(data: dict[str, Any]) -> None:
        question = copy.deepcopy(data["questions"][0])
        question["id"] = "unused"
        data["questions"].append(question)

    assert problems_after(change) == (
        "question 'unused' is asked but no rule or record requirement uses it",
    )


def test_the_validator_ties_the_edition_id_to_its_publication() -> None:
    def change(data: dict[str, Any]) -> None:
        data["edition"] = "2024-06"

    [problem] = problems_after(change)
    assert problem.startswith("edition id '2024-06' must be the year and month it was published")


def test_the_validator_finds_an_any_answer_no_question_offers() -> None:
    def change(data: dict[str, Any]) -> None:
        data["rules"][0]["when"] = {"any_answer": "perhaps"}

    problems = problems_after(change, "2018-07")
    assert "rule 'not_sure' looks for the answer 'perhaps', which no question offers" in problems


def test_the_current_version_of_the_2024_edition_is_the_rewritten_one() -> None:
    current = load_edition("2024-05")

    assert current.version == "2024-05.2"
    assert load_version("2024-05", "2024-05.2") is current
    assert load_version("2024-05", "2024-05.1").version == "2024-05.1"
