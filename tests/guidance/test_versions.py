"""An old decision is explained by the version of the edition it was made under."""

from __future__ import annotations

import pytest

from jigsaw.guidance import UnknownEdition, load_edition, load_version, recommend


def test_the_current_version_is_the_edition_itself() -> None:
    current = load_edition("2024-05")

    assert load_version("2024-05", current.version) is current


def test_a_superseded_version_is_kept_with_the_questions_and_rules_it_had() -> None:
    old = load_version("2024-05", "2024-05.1")
    current = load_edition("2024-05")

    assert old.version == "2024-05.1"
    assert old.rules[0].id == "not_sure"
    assert "public_interest" not in {q.id for q in old.questions}
    assert "public_interest" in {q.id for q in current.questions}
    # The faults the current version fixes are still there to be explained: in 2024-05.1
    # a "not sure" to anything meant advice, even beside a deciding "no purpose".
    answers = {"legitimate_purpose": "no", "accurate": "not_sure"}
    assert recommend(old, answers).decided_by.id == "not_sure"


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(UnknownEdition):
        load_version("2024-05", "2024-05.0")
