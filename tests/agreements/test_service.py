"""Only the keeping agency's DPO or Caldicott Guardian changes agreements, each change is
audited with it, and no version is ever edited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from jigsaw.agreements import service
from jigsaw.agreements.models import AgreementStatus, SharingAgreement
from jigsaw.agreements.terms import AgreementInvalid
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import Conflict, NotPermitted
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreements.helpers import by_id, document
from tests.conftest import World

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def council(register: World) -> Any:
    return register.agency(AgencyKind.SOCIAL_CARE)


@pytest.fixture
def dpo(register: World, council: Any) -> Actor:
    return register.actor(register.practitioner(council, Role.DPO))


@pytest.fixture
def body(register: World, council: Any) -> dict[str, Any]:
    return document(
        provider=by_id(register.agency(AgencyKind.HEALTH).id), recipient=by_id(council.id)
    )


@pytest.fixture(autouse=True)
def _june(register_db: Database) -> Any:
    register_db.clock.hold(NOW)
    yield
    register_db.clock.hold(None)


def _entries(db: Database, action: AuditAction, object_id: int) -> list[AuditEntry]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action.value, AuditEntry.object_id == str(object_id)
                )
            )
        )


def test_a_dpo_registers_a_draft_and_approves_it(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    made = service.create(register_db, dpo, body)
    assert (made.version, made.status, made.keeper_agency_id) == (
        1,
        AgreementStatus.DRAFT,
        dpo.agency_id,
    )
    [created] = _entries(register_db, AuditAction.AGREEMENT_CREATED, made.id)
    assert created.actor_id == dpo.practitioner_id
    assert created.refs == {"agency": dpo.agency_id, "version": 1}
    approved = service.approve(register_db, dpo, made.id)
    assert (approved.status, approved.approved_on) == (AgreementStatus.IN_FORCE, date(2026, 6, 1))
    assert len(_entries(register_db, AuditAction.AGREEMENT_APPROVED, made.id)) == 1
    with pytest.raises(Conflict):
        service.approve(register_db, dpo, made.id)


def test_a_caldicott_guardian_may_too(
    register: World, register_db: Database, council: Any, body: dict[str, Any]
) -> None:
    guardian = register.actor(register.practitioner(council, Role.CALDICOTT))
    made = service.create(register_db, guardian, body)
    assert service.approve(register_db, guardian, made.id).status is AgreementStatus.IN_FORCE


@pytest.mark.parametrize(
    "role", [Role.PRACTITIONER, Role.DSL, Role.MASH, Role.ADMIN, Role.AUDITOR, Role.PLATFORM_ADMIN]
)
def test_no_one_else_registers_an_agreement(
    register: World, register_db: Database, council: Any, body: dict[str, Any], role: Role
) -> None:
    someone = register.actor(register.practitioner(council, role))
    with pytest.raises(NotPermitted, match="Data Protection Officer or Caldicott Guardian"):
        service.create(register_db, someone, body)
    with register_db.reading() as session:
        assert (
            session.scalar(
                select(SharingAgreement.id).where(SharingAgreement.reference == body["reference"])
            )
            is None
        )


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.ADMIN, Role.AUDITOR])
def test_no_one_else_in_the_agency_approves_supersedes_or_ends(
    register: World,
    register_db: Database,
    council: Any,
    dpo: Actor,
    body: dict[str, Any],
    role: Role,
) -> None:
    draft = service.create(register_db, dpo, body)
    someone = register.actor(register.practitioner(council, role))
    with pytest.raises(NotPermitted):
        service.approve(register_db, someone, draft.id)
    service.approve(register_db, dpo, draft.id)
    with pytest.raises(NotPermitted):
        service.supersede(register_db, someone, draft.id, {**body, "start_date": "2026-07-01"})
    with pytest.raises(NotPermitted):
        service.end(register_db, someone, draft.id, date(2026, 7, 1))
    assert service.view_agreement(register_db, dpo, draft.id).status is AgreementStatus.IN_FORCE


def test_another_agencys_dpo_cannot_change_it(
    register: World, register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    draft = service.create(register_db, dpo, body)
    elsewhere = register.actor(register.practitioner(register.agency(AgencyKind.HEALTH), Role.DPO))
    with pytest.raises(NotPermitted):
        service.approve(register_db, elsewhere, draft.id)
    # They may read the register, though: agreements name no child.
    assert service.view_agreement(register_db, elsewhere, draft.id).id == draft.id


def test_a_token_cannot_change_agreements(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    by_token = Actor(dpo.practitioner_id, dpo.agency_id, Role.DPO, mfa_verified=True, token_id=1)
    with pytest.raises(NotPermitted):
        service.create(register_db, by_token, body)


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.ADMIN, Role.DSL])
def test_only_governance_roles_read_the_register(
    register: World, register_db: Database, council: Any, role: Role
) -> None:
    with pytest.raises(NotPermitted):
        service.list_agreements(register_db, register.actor(register.practitioner(council, role)))


def test_an_auditor_reads_the_register(
    register: World, register_db: Database, council: Any, dpo: Actor, body: dict[str, Any]
) -> None:
    made = service.create(register_db, dpo, body)
    auditor = register.actor(register.practitioner(council, Role.AUDITOR))
    assert made.id in {a.id for a in service.list_agreements(register_db, auditor)}


def test_a_reference_is_registered_once(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    service.create(register_db, dpo, body)
    with pytest.raises(AgreementInvalid) as raised:
        service.create(register_db, dpo, body)
    assert raised.value.problems[0].field == "reference"


def test_an_agency_that_does_not_exist_is_named(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    with pytest.raises(AgreementInvalid) as raised:
        service.create(register_db, dpo, {**body, "provider": by_id(999_999)})
    assert raised.value.lines() == ["provider.0.agency_id: is not an agency in Jigsaw"]


def test_a_version_number_given_must_be_the_one_made(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    with pytest.raises(AgreementInvalid, match="version: must be 1"):
        service.create(register_db, dpo, {**body, "version": 2})


def test_superseding_writes_a_new_version_and_closes_the_old(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    first = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, first.id)
    second = service.supersede(register_db, dpo, first.id, {**body, "start_date": "2026-07-01"})
    assert (second.version, second.status, second.supersedes_id) == (
        2,
        AgreementStatus.IN_FORCE,
        first.id,
    )
    seen = service.view_agreement(register_db, dpo, first.id)
    assert seen.status is AgreementStatus.SUPERSEDED
    assert seen.closed_on == date(2026, 7, 1)
    assert [v.version for v in seen.versions] == [1, 2]
    assert seen.document["start_date"] == body["start_date"], "version 1 is kept as it was"
    [entry] = _entries(register_db, AuditAction.AGREEMENT_SUPERSEDED, second.id)
    assert entry.refs["supersedes"] == first.id
    with pytest.raises(Conflict):
        service.supersede(register_db, dpo, first.id, {**body, "start_date": "2026-08-01"})


def test_supersession_must_keep_the_reference_and_start_later(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    first = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, first.id)
    with pytest.raises(AgreementInvalid) as raised:
        service.supersede(
            register_db, dpo, first.id, {**body, "reference": "OTHER-1", "start_date": "2026-05-01"}
        )
    assert {p.field for p in raised.value.problems} == {"reference", "start_date"}


def test_a_draft_cannot_be_superseded_or_ended(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    draft = service.create(register_db, dpo, body)
    with pytest.raises(Conflict):
        service.supersede(register_db, dpo, draft.id, {**body, "start_date": "2026-07-01"})
    with pytest.raises(Conflict):
        service.end(register_db, dpo, draft.id, date(2026, 7, 1))


def test_ending_is_from_today_or_later(
    register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    made = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, made.id)
    with pytest.raises(AgreementInvalid, match="cannot be in the past"):
        service.end(register_db, dpo, made.id, date(2026, 5, 31))
    ended = service.end(register_db, dpo, made.id, date(2026, 6, 1), "Partnership dissolved")
    assert (ended.status, ended.closed_on) == (AgreementStatus.ENDED, date(2026, 6, 1))
    assert len(_entries(register_db, AuditAction.AGREEMENT_ENDED, made.id)) == 1


@pytest.mark.parametrize("statement", ["UPDATE {t} SET title = 'x'", "DELETE FROM {t}"])
@pytest.mark.parametrize("table", ["sharing_agreements", "sharing_agreement_events"])
def test_the_database_refuses_to_change_or_delete_versions_and_events(
    register_db: Database, dpo: Actor, body: dict[str, Any], table: str, statement: str
) -> None:
    made = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, made.id)
    if table == "sharing_agreement_events":
        statement = statement.replace("title = 'x'", "note = 'x'")
    with pytest.raises(DBAPIError, match="append-only"), register_db.engine.begin() as conn:
        conn.execute(text(statement.format(t=table)))


def _reading_before_the_other_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two DPOs acting at once both read the latest version before either writes the next:
    each request here reads the register as it stood before the last write."""
    real = service._latest_version
    monkeypatch.setattr(service, "_latest_version", lambda s, ref: real(s, ref) - 1)


def test_two_supersessions_at_once_conflict_rather_than_fail(
    register_db: Database, dpo: Actor, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, first.id)
    second = service.supersede(register_db, dpo, first.id, {**body, "start_date": "2026-07-01"})
    _reading_before_the_other_writes(monkeypatch)
    with pytest.raises(Conflict):
        service.supersede(register_db, dpo, second.id, {**body, "start_date": "2026-08-01"})
    seen = service.view_agreement(register_db, dpo, second.id)
    assert [v.version for v in seen.versions] == [1, 2]
    assert seen.status is AgreementStatus.IN_FORCE, "the losing supersession wrote nothing"


def test_two_registrations_of_one_reference_at_once_conflict_rather_than_fail(
    register_db: Database, dpo: Actor, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create(register_db, dpo, body)
    _reading_before_the_other_writes(monkeypatch)
    with pytest.raises(Conflict):
        service.create(register_db, dpo, body)


def test_a_bespoke_agreement_must_name_the_agency_keeping_it(
    register: World, register_db: Database, dpo: Actor, body: dict[str, Any]
) -> None:
    police = register.agency(AgencyKind.POLICE)
    school = register.agency(AgencyKind.SCHOOL)
    others = {**body, "provider": by_id(police.id), "recipient": by_id(school.id)}
    with pytest.raises(AgreementInvalid) as raised:
        service.create(register_db, dpo, others)
    assert [p.field for p in raised.value.problems] == ["provider"]
    first = service.create(register_db, dpo, body)
    service.approve(register_db, dpo, first.id)
    with pytest.raises(AgreementInvalid) as raised:
        service.supersede(register_db, dpo, first.id, {**others, "start_date": "2026-07-01"})
    assert [p.field for p in raised.value.problems] == ["provider"]
    # Named by kind counts: the council is a social care agency.
    by_kind = {**body, "reference": body["reference"] + "-K"}
    by_kind["recipient"] = [{"agency_kind": "social_care"}]
    assert service.create(register_db, dpo, by_kind).version == 1
