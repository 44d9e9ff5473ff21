"""Pattern flags: rules as data, each flag explained by the items behind it, and only
ever from items (and fields) the viewer may see.

Decision tested here: a pattern that would only be complete with items the viewer
may not see is not raised at all, and nothing on the result hints that it exists.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.records.models import Category
from jigsaw.singleview import service
from jigsaw.singleview.rules import InvalidRules, parse_rules, shipped_rules
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, household_concerns, item, share


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _raised(db: Database, family: Family) -> dict[str, list[str | None]]:
    found = service.pattern_flags(db, family.social_worker, family.child)
    return {f.id: [e.summary for group in f.evidence for e in group.entries] for f in found.flags}


def test_concerns_from_three_agencies_within_90_days(db: Database, family: Family) -> None:
    rec = family.records
    school = item(db, family.dsl, rec["school"], "Bruise", occurred_on=date(2026, 1, 10))
    police = item(
        db, family.officer, rec["police"], "Welfare call", subtype="concern_for_welfare",
        occurred_on=date(2026, 2, 1),
    )  # fmt: skip
    item(db, family.social_worker, rec["mash"], "Referral", subtype="mash_contact",
         occurred_on=date(2026, 3, 20))  # fmt: skip
    share(db, family.dsl, rec["school"], [school], to_agency=family.mash.id)

    # Two agencies visible: the police item exists but is not shared, so no flag, and
    # nothing in the answer mentions the rule having nearly fired.
    before = service.pattern_flags(db, family.social_worker, family.child)
    assert "multi_agency_concerns" not in {f.id for f in before.flags}
    assert "Welfare call" not in before.model_dump_json()

    share(db, family.officer, rec["police"], [police], to_agency=family.mash.id)
    flag = next(
        f
        for f in service.pattern_flags(db, family.social_worker, family.child).flags
        if f.id == "multi_agency_concerns"
    )
    assert flag.window_start == date(2026, 1, 10) and flag.window_end == date(2026, 3, 20)
    assert {e.summary for e in flag.evidence[0].entries} == {"Bruise", "Welfare call", "Referral"}
    assert "3 or more different agencies" in flag.rule and "90 days" in flag.rule
    assert flag.why_it_matters


def test_concerns_spread_over_more_than_90_days_do_not_raise_the_flag(
    db: Database, family: Family
) -> None:
    rec = family.records
    first = item(db, family.dsl, rec["school"], "Bruise", occurred_on=date(2025, 6, 1))
    second = item(db, family.officer, rec["police"], "Call", occurred_on=date(2025, 8, 1))
    item(db, family.social_worker, rec["mash"], "Referral", occurred_on=date(2025, 10, 1))
    share(db, family.dsl, rec["school"], [first], to_agency=family.mash.id)
    share(db, family.officer, rec["police"], [second], to_agency=family.mash.id)
    assert "multi_agency_concerns" not in _raised(db, family)


def test_a_withheld_type_cannot_count_as_evidence(db: Database, family: Family) -> None:
    rec = family.records
    visits = [
        item(
            db,
            family.gp,
            rec["health"],
            f"Did not attend, visit {n}",
            subtype="missed_appointment",
            occurred_on=date(2026, 1, 1) + timedelta(days=30 * n),
        )
        for n in range(3)
    ]
    share(db, family.gp, rec["health"], visits, to_agency=family.mash.id, fields=["summary"])
    assert "missed_health_appointments" not in _raised(db, family)
    share(db, family.gp, rec["health"], visits, to_agency=family.mash.id)
    raised = _raised(db, family)
    assert len(raised["missed_health_appointments"]) == 3


def test_household_pattern_uses_own_relationships_and_the_person_index(
    db: Database, family: Family
) -> None:
    """Domestic abuse (police, about the child), parental mental ill-health (GP, about
    the mother, linked through the person index) and substance misuse (the MASH's own
    item about the mother) together raise the household flag."""
    rec = family.records
    incident, mood, _ = household_concerns(db, family)
    share(db, family.officer, rec["police"], [incident], to_agency=family.mash.id)
    assert "domestic_abuse_mental_health_substance_misuse" not in _raised(db, family)

    share(db, family.gp, rec["health_mother"], [mood], to_agency=family.mash.id)
    found = service.pattern_flags(db, family.social_worker, family.child)
    flag = next(f for f in found.flags if f.id == "domestic_abuse_mental_health_substance_misuse")
    labels = {group.label: group.entries for group in flag.evidence}
    assert [e.about for e in labels["Domestic abuse"]] == ["child"]
    assert [e.about for e in labels["Parental mental ill-health"]] == ["parent"]
    assert [e.summary for e in labels["Parental substance misuse"]] == ["Drinking heavily"]

    # The school has recorded no relationships, so for its DSL the mother's items are
    # not part of the child's household, even those it could otherwise see.
    school_view = service.pattern_flags(db, family.dsl, family.child)
    assert "domestic_abuse_mental_health_substance_misuse" not in {f.id for f in school_view.flags}


def test_risk_person_linked_through_a_carer(db: Database, family: Family) -> None:
    item(
        db, family.social_worker, family.records["mash_partner"], "Previous convictions",
        subtype="previous_convictions", category=Category.RISK_PERSON,
    )  # fmt: skip
    found = service.pattern_flags(db, family.social_worker, family.child)
    flag = next(f for f in found.flags if f.id == "risk_person_linked_to_household")
    assert flag.evidence[0].entries[0].about == "carer_partner"
    assert flag.window_start is None


def test_repeated_emergency_attendances_and_retractions(db: Database, family: Family) -> None:
    from jigsaw.records import service as records
    from jigsaw.records.schemas import RetractionIn

    rec = family.records
    visits = [
        item(
            db,
            family.gp,
            rec["health"],
            f"ED attendance {n}",
            subtype="ed_attendance",
            occurred_on=date(2026, 1, 1) + timedelta(days=20 * n),
        )
        for n in range(3)
    ]
    share(db, family.gp, rec["health"], visits, to_agency=family.mash.id)
    assert len(_raised(db, family)["repeated_unscheduled_care"]) == 3
    records.retract_item(db, family.gp, visits[0].id, RetractionIn(reason="Another child"))
    assert "repeated_unscheduled_care" not in _raised(db, family)


def test_every_rule_checked_is_listed_with_the_rules_version(
    db: Database, family: Family, world: World
) -> None:
    found = service.pattern_flags(db, family.dsl, family.child)
    assert found.rules_version == shipped_rules().version
    assert [r.id for r in found.rules] == [f.id for f in shipped_rules().flags]
    from jigsaw.policy.roles import AgencyKind

    outsider = world.actor(world.practitioner(world.agency(AgencyKind.HOUSING)))
    with pytest.raises(NotPermitted):
        service.pattern_flags(db, outsider, family.child)


def test_rules_with_mistakes_are_refused_with_every_problem_named() -> None:
    text = """
version: "1"
household: {members: [parent, cousin]}
indicators:
  a: {label: A, subtype: [x]}
  b: {label: B, categories: [not_a_category]}
flags:
  - {id: one, title: One, why: Why, scope: child, rule: {kind: count, indicator: c, at_least: 0}}
  - {id: one, title: Two, why: Why, scope: street, rule: {kind: all_of, indicators: [a]}}
"""
    with pytest.raises(InvalidRules) as caught:
        parse_rules(text)
    problems = "\n".join(caught.value.problems)
    for expected in (
        "household.members",
        "indicators.a.subtype: unknown key",
        "indicators.b.categories",
        "flags[0].rule: no indicator named 'c'",
        "flags[0].rule.at_least",
        "flags[1].id: 'one' is used twice",
        "flags[1].scope",
    ):
        assert expected in problems
