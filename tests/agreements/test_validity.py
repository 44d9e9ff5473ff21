"""PERMIT, DENY and REVIEW: every reason the check gives, judged on the day asked about.

Every agreement here names at least one side by agency id, so it covers only the
agencies its own test made, whatever else the register holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jigsaw.agreements import service
from jigsaw.agreements.validity import RULES, Evaluation, Verdict, evaluate
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreements.helpers import by_id, by_kind, document
from tests.conftest import World

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def pair(register: World) -> tuple[AgencyOut, AgencyOut]:
    return register.agency(AgencyKind.HEALTH), register.agency(AgencyKind.SOCIAL_CARE)


@pytest.fixture
def dpo(register: World, pair: tuple[AgencyOut, AgencyOut]) -> Actor:
    """The receiving council's DPO: a bespoke agreement names the agency keeping it."""
    return register.actor(register.practitioner(pair[1], Role.DPO))


def _in_force(db: Database, dpo: Actor, body: dict[str, Any], *, on: datetime = NOW) -> int:
    db.clock.hold(on)
    try:
        made = service.create(db, dpo, body)
        service.approve(db, dpo, made.id)
    finally:
        db.clock.hold(None)
    return made.id


def _judge(
    db: Database,
    pair: tuple[AgencyOut, AgencyOut],
    *,
    purpose: SharingPurpose = SharingPurpose.MASH_SCREENING,
    categories: tuple[str, ...] = ("child_welfare",),
    at: datetime = NOW,
    onward: bool = False,
) -> Evaluation:
    with db.reading() as session:
        return evaluate(
            session,
            provider_agency_id=pair[0].id,
            recipient_agency_id=pair[1].id,
            purpose=purpose,
            categories=categories,
            at=at,
            onward=onward,
        )


def _codes(found: Evaluation) -> set[str]:
    return {r.code for r in found.reasons}


def test_an_agreement_in_force_covering_everything_permits(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    agreement = _in_force(
        register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    )
    found = _judge(register_db, pair, categories=("child_welfare", "parent_capacity"))
    assert found.verdict is Verdict.PERMIT
    assert _codes(found) == {"covered"}
    assert found.agreement_id == agreement
    assert found.agreement_version == 1
    assert found.delete_after_days == 365
    audit = found.to_audit()
    assert audit["agreement_verdict"] == "permit"
    assert audit["agreement"] == agreement
    assert all(isinstance(v, int | str) for v in audit.values())


def test_an_item_type_is_covered_by_its_category(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    assert _judge(register_db, pair, categories=("missed_appointment",)).verdict is Verdict.PERMIT
    found = _judge(register_db, pair, categories=("missed_appointment", "risk_person"))
    assert found.verdict is Verdict.REVIEW
    assert _codes(found) == {"category_not_covered"}
    assert "risk_person" in found.reasons[0].text


def test_agencies_with_no_agreement_are_denied(register: World, register_db: Database) -> None:
    found = _judge(register_db, (register.agency(), register.agency()))
    assert found.verdict is Verdict.DENY
    assert _codes(found) == {"no_agreement"}
    assert found.agreement_id is None and found.delete_after_days is None


def test_an_agreement_the_other_way_round_does_not_cover(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    assert _codes(_judge(register_db, (pair[1], pair[0]))) == {"no_agreement"}


def test_a_purpose_not_named_needs_review(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    found = _judge(register_db, pair, purpose=SharingPurpose.EARLY_HELP)
    assert found.verdict is Verdict.REVIEW
    assert _codes(found) == {"purpose_not_covered"}


def test_a_prohibited_purpose_is_denied(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(
        provider=by_id(pair[0].id),
        recipient=by_id(pair[1].id),
        prohibitions=[{"action": "use_for_purpose", "purposes": ["court_proceedings"]}],
    )
    _in_force(register_db, dpo, body)
    found = _judge(register_db, pair, purpose=SharingPurpose.COURT_PROCEEDINGS)
    assert found.verdict is Verdict.DENY
    assert _codes(found) == {"purpose_prohibited", "purpose_not_covered"}
    assert found.reasons[0].code == "purpose_prohibited"


def test_onward_transfer_is_denied_where_prohibited(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    found = _judge(register_db, pair, onward=True)
    assert found.verdict is Verdict.DENY
    assert _codes(found) == {"onward_transfer_prohibited"}


def test_onward_transfer_is_permitted_where_not_prohibited(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id), prohibitions=[])
    _in_force(register_db, dpo, body)
    assert _judge(register_db, pair, onward=True).verdict is Verdict.PERMIT


def test_before_its_start_an_agreement_is_not_yet_in_force(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(
        provider=by_id(pair[0].id), recipient=by_id(pair[1].id), starts=date(2026, 9, 1)
    )
    _in_force(register_db, dpo, body)
    found = _judge(register_db, pair)
    assert found.verdict is Verdict.DENY
    assert _codes(found) == {"not_yet_in_force"}
    assert _judge(register_db, pair, at=datetime(2026, 9, 1, 8, tzinfo=UTC)).verdict is (
        Verdict.PERMIT
    )


def test_after_its_end_date_an_agreement_has_expired(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id), ends=date(2026, 6, 30))
    _in_force(register_db, dpo, body)
    assert _judge(register_db, pair, at=datetime(2026, 6, 30, 22, tzinfo=UTC)).verdict is (
        Verdict.PERMIT
    ), "22:00 UTC on 30 June is 23:00 on 30 June in British Summer Time"
    found = _judge(register_db, pair, at=datetime(2026, 7, 1, 9, tzinfo=UTC))
    assert found.verdict is Verdict.DENY
    assert _codes(found) == {"expired"}


def test_the_end_date_is_read_as_a_uk_date(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id), ends=date(2026, 6, 30))
    _in_force(register_db, dpo, body)
    # 23:30 UTC on 30 June is 00:30 on 1 July in British Summer Time.
    assert _codes(_judge(register_db, pair, at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))) == {
        "expired"
    }


def test_a_draft_alone_needs_review(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    made = service.create(
        register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    )
    found = _judge(register_db, pair)
    assert found.verdict is Verdict.REVIEW
    assert _codes(found) == {"draft_only"}
    assert found.agreement_id == made.id


def test_an_approval_does_not_reach_back_before_the_day_it_was_given(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    earlier = _judge(register_db, pair, at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert _codes(earlier) == {"draft_only"}


def test_a_protocol_alone_needs_review(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    every_kind = by_kind(*(k.value for k in AgencyKind))
    body = document(provider=every_kind, recipient=by_id(pair[1].id), tier=1)
    _in_force(register_db, dpo, body)
    found = _judge(register_db, pair)
    assert found.verdict is Verdict.REVIEW
    assert _codes(found) == {"protocol_only"}


def test_a_sector_agreement_covers_agencies_by_kind(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(provider=by_kind("health"), recipient=by_id(pair[1].id), tier=2)
    _in_force(register_db, dpo, body)
    assert _judge(register_db, pair).verdict is Verdict.PERMIT


def test_a_bespoke_agreement_naming_a_party_only_by_kind_needs_review(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    body = document(provider=by_id(pair[0].id), recipient=by_kind("social_care"), tier=3)
    _in_force(register_db, dpo, body)
    found = _judge(register_db, pair)
    assert found.verdict is Verdict.REVIEW
    assert _codes(found) == {"recipient_kind_only"}


def test_a_bespoke_agreement_naming_the_provider_only_by_kind_needs_review(
    register: World, register_db: Database, dpo: Actor
) -> None:
    pair = (register.agency(AgencyKind.POLICE), register.agency(AgencyKind.SCHOOL))
    body = document(provider=by_kind("police"), recipient=by_id(pair[1].id), tier=3)
    _in_force(register_db, register.actor(register.practitioner(pair[1], Role.DPO)), body)
    found = _judge(register_db, pair)
    assert (found.verdict, _codes(found)) == (Verdict.REVIEW, {"provider_kind_only"})


def test_the_best_agreement_decides_and_a_bespoke_one_beats_the_protocol(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    protocol = document(provider=by_kind("health"), recipient=by_id(pair[1].id), tier=1)
    _in_force(register_db, dpo, protocol)
    bespoke = _in_force(
        register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    )
    found = _judge(register_db, pair)
    assert (found.verdict, found.agreement_id) == (Verdict.PERMIT, bespoke)
    # Where the bespoke agreement falls short, the answer is its shortfall, not the protocol's.
    partial = _judge(register_db, pair, purpose=SharingPurpose.EARLY_HELP)
    assert (partial.verdict, partial.agreement_id) == (Verdict.REVIEW, bespoke)


def test_an_ended_agreement_is_denied_from_the_day_it_ends(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    made = _in_force(
        register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    )
    register_db.clock.hold(NOW)
    try:
        service.end(register_db, dpo, made, date(2026, 7, 1))
    finally:
        register_db.clock.hold(None)
    assert _judge(register_db, pair).verdict is Verdict.PERMIT
    found = _judge(register_db, pair, at=datetime(2026, 7, 2, 12, tzinfo=UTC))
    assert (found.verdict, _codes(found)) == (Verdict.DENY, {"ended"})


def test_a_past_request_is_judged_against_the_version_then_in_force(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    first = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    v1 = _in_force(register_db, dpo, first)
    second = {
        **first,
        "start_date": "2026-09-01",
        "purposes": [{"purpose": "early_help", "dpv": "dpv:ServiceProvision"}],
    }
    register_db.clock.hold(datetime(2026, 8, 1, 12, tzinfo=UTC))
    try:
        v2 = service.supersede(register_db, dpo, v1, second)
    finally:
        register_db.clock.hold(None)
    assert v2.version == 2
    # In June, version 1 was in force and named MASH screening.
    june = _judge(register_db, pair)
    assert (june.verdict, june.agreement_id, june.agreement_version) == (Verdict.PERMIT, v1, 1)
    # From September, version 2 decides, and it names early help only.
    autumn = datetime(2026, 10, 1, 12, tzinfo=UTC)
    later = _judge(register_db, pair, at=autumn)
    assert (later.verdict, later.agreement_id) == (Verdict.REVIEW, v2.id)
    assert _codes(later) == {"purpose_not_covered"}
    early_help = _judge(register_db, pair, at=autumn, purpose=SharingPurpose.EARLY_HELP)
    assert early_help.verdict is Verdict.PERMIT
    # The last day of version 1 is the day before version 2 starts.
    assert _judge(register_db, pair, at=datetime(2026, 8, 31, 12, tzinfo=UTC)).agreement_id == v1


def test_every_rule_has_a_verdict_and_words() -> None:
    assert {rule.verdict for rule in RULES.values()} == set(Verdict)
    assert all(rule.text.strip() for rule in RULES.values())


def test_evaluate_writes_nothing(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    _in_force(register_db, dpo, document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id)))
    with register_db.transaction() as session:
        evaluate(
            session,
            provider_agency_id=pair[0].id,
            recipient_agency_id=pair[1].id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=["child_welfare"],
            at=NOW,
        )
        assert not session.new and not session.dirty and not session.deleted


def test_a_prohibition_in_force_binds_even_where_another_agreement_permits(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    broad = document(
        provider=by_kind("health"),
        recipient=by_id(pair[1].id),
        tier=2,
        prohibitions=[],
        purposes=[{"purpose": "court_proceedings", "dpv": "dpv:LegalCompliance"}],
    )
    _in_force(register_db, dpo, broad)
    assert _judge(register_db, pair, purpose=SharingPurpose.COURT_PROCEEDINGS).verdict is (
        Verdict.PERMIT
    )
    narrow = document(
        provider=by_id(pair[0].id),
        recipient=by_id(pair[1].id),
        prohibitions=[{"action": "use_for_purpose", "purposes": ["court_proceedings"]}],
    )
    closing = _in_force(register_db, dpo, narrow)
    found = _judge(register_db, pair, purpose=SharingPurpose.COURT_PROCEEDINGS)
    assert (found.verdict, found.agreement_id) == (Verdict.DENY, closing)
    assert found.reasons[0].code == "purpose_prohibited"


def test_a_version_that_no_longer_covers_them_leaves_the_old_one_superseded(
    register: World, register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    first = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    v1 = _in_force(register_db, dpo, first)
    someone_else = register.agency(AgencyKind.HEALTH)
    narrower = {**first, "start_date": "2026-09-01", "provider": by_id(someone_else.id)}
    register_db.clock.hold(datetime(2026, 8, 1, 12, tzinfo=UTC))
    try:
        service.supersede(register_db, dpo, v1, narrower)
    finally:
        register_db.clock.hold(None)
    found = _judge(register_db, pair, at=datetime(2026, 10, 1, 12, tzinfo=UTC))
    assert (found.verdict, found.agreement_id, _codes(found)) == (
        Verdict.DENY,
        v1,
        {"superseded"},
    )


def test_a_change_made_today_does_not_reach_back_to_earlier_today(
    register_db: Database, dpo: Actor, pair: tuple[AgencyOut, AgencyOut]
) -> None:
    """A request judged at nine is judged the same way after a supersession at ten that
    takes effect the same day, and a draft approved at ten did not cover it either."""
    nine, ten = datetime(2026, 8, 3, 8, tzinfo=UTC), datetime(2026, 8, 3, 9, tzinfo=UTC)
    first = document(provider=by_id(pair[0].id), recipient=by_id(pair[1].id))
    v1 = _in_force(register_db, dpo, first, on=ten - timedelta(days=40))
    second = {
        **first,
        "start_date": "2026-08-03",
        "purposes": [{"purpose": "early_help", "dpv": "dpv:ServiceProvision"}],
    }
    register_db.clock.hold(ten)
    try:
        v2 = service.supersede(register_db, dpo, v1, second)
    finally:
        register_db.clock.hold(None)
    before = _judge(register_db, pair, at=nine)
    assert (before.verdict, before.agreement_id) == (Verdict.PERMIT, v1)
    at_once = _judge(register_db, pair, at=ten)
    assert (at_once.agreement_id, _codes(at_once)) == (v2.id, {"purpose_not_covered"})
    # Approval the same day likewise counts from the moment it was given.
    other = document(provider=by_id(pair[1].id), recipient=by_id(pair[0].id))
    _in_force(register_db, dpo, other, on=ten)
    back = (pair[1], pair[0])
    assert _codes(_judge(register_db, back, at=nine)) == {"draft_only"}
    assert _judge(register_db, back, at=ten).verdict is Verdict.PERMIT
