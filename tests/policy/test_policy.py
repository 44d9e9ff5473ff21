"""The Cedar policy: it validates, each rule allows what it says and nothing more, and
forbid rules beat every permit.

These ask the policy directly, with grants built as the services build them; the
services' own tests show the same answers reaching practitioners.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cedarpy
import pytest

from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import AccountChangeKind, Permission, Purpose
from jigsaw.policy.roles import Role

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CHANGE, RESET = AccountChangeKind.CHANGE, AccountChangeKind.RESET
OWN, OTHER = 10, 20
FRONTLINE = [Role.PRACTITIONER, Role.DSL, Role.MASH, Role.CALDICOTT, Role.DPO]
NOT_FRONTLINE = [Role.AUDITOR, Role.ADMIN, Role.LINKAGE_REVIEWER, Role.LADO, Role.PLATFORM_ADMIN]


def person_in(role: Role, *, agency: int = OWN, ident: int = 1, mfa: bool = True) -> Actor:
    return Actor(ident, agency, role, mfa_verified=mfa)


def disclosure(**overrides: object) -> policy.Entity:
    body: dict[str, object] = {
        "disclosing_agency_id": OTHER,
        "recipient_agency_id": OWN,
        "recipient_practitioner_id": None,
        "expires_at": NOW + timedelta(days=1),
        "revoked": False,
    }
    body.update(overrides)
    return policy.disclosure(7, **body)  # type: ignore[arg-type]


def test_the_policy_file_validates_against_its_schema_and_says_its_version() -> None:
    result = cedarpy.validate_policies(policy.policy_text(), policy.schema_text())
    assert result.validation_passed, result.errors
    assert policy.loaded().version.startswith("2026-")


def test_a_policy_that_does_not_validate_is_refused() -> None:
    broken = (
        policy.policy_text()
        + '\npermit (principal, action, resource) when { principal.nickname == "x" };'
    )
    assert policy.validate(broken, policy.schema_text())


def test_every_permission_is_an_action_of_the_schema() -> None:
    schema = policy.schema_text()
    for permission in Permission:
        assert permission.value in schema, permission
        assert policy.refusal(permission)


# Administration and links


@pytest.mark.parametrize("permission", [Permission.RUN_LINKAGE])
def test_only_administrators_manage_the_service(permission: Permission) -> None:
    assert policy.is_permitted(person_in(Role.ADMIN), permission)
    for role in [*FRONTLINE, Role.AUDITOR]:
        assert not policy.is_permitted(person_in(role), permission), role


def test_only_the_controllers_scheduled_jobs_erase_records() -> None:
    for role in [*FRONTLINE, *NOT_FRONTLINE]:
        assert not policy.is_permitted(person_in(role), Permission.APPLY_RETENTION), role
    assert policy.is_permitted(Actor.system(), Permission.APPLY_RETENTION)


def test_links_are_reviewed_only_by_linkage_reviewers() -> None:
    assert policy.is_permitted(person_in(Role.LINKAGE_REVIEWER), Permission.REVIEW_LINKS)
    assert not policy.is_permitted(
        person_in(Role.LINKAGE_REVIEWER, mfa=False), Permission.REVIEW_LINKS
    )
    for role in (*FRONTLINE, Role.AUDITOR, Role.ADMIN, Role.LADO):
        assert not policy.is_permitted(person_in(role), Permission.REVIEW_LINKS), role


def test_the_system_may_do_anything() -> None:
    system = Actor.system()
    assert policy.may_add_agencies(system)
    assert policy.is_permitted(system, Permission.READ_OWN_AGENCY_RECORDS, OTHER)
    assert policy.allowed(
        system, Permission.VIEW_DISCLOSURE, disclosure(revoked=True), {"now": NOW}
    )


# Own agency


@pytest.mark.parametrize(
    "permission", [Permission.RECORD_ABOUT_PEOPLE, Permission.READ_OWN_AGENCY_RECORDS]
)
def test_front_line_roles_read_and_record_for_their_own_agency_only(
    permission: Permission,
) -> None:
    for role in FRONTLINE:
        assert policy.is_permitted(person_in(role), permission, OWN), role
        assert not policy.is_permitted(person_in(role), permission, OTHER), role
    for role in NOT_FRONTLINE:
        assert not policy.is_permitted(person_in(role), permission, OWN), role


def test_decisions_are_read_by_their_own_agency_including_auditors() -> None:
    mine, theirs = policy.decision(1, OWN), policy.decision(2, OTHER)
    for role in [*FRONTLINE, Role.AUDITOR]:
        assert policy.allowed(person_in(role), Permission.VIEW_DECISION, mine), role
        assert not policy.allowed(person_in(role), Permission.VIEW_DECISION, theirs), role
    assert not policy.allowed(person_in(Role.ADMIN), Permission.VIEW_DECISION, mine)


def test_a_decision_is_acted_on_only_by_the_front_line_of_the_agency_that_made_it() -> None:
    mine, theirs = policy.decision(1, OWN), policy.decision(2, OTHER)
    for role in FRONTLINE:
        assert policy.allowed(person_in(role), Permission.ACT_ON_DECISION, mine), role
        assert not policy.allowed(person_in(role), Permission.ACT_ON_DECISION, theirs), role
    for role in NOT_FRONTLINE:
        assert not policy.allowed(person_in(role), Permission.ACT_ON_DECISION, mine), role
    assert not policy.allowed(person_in(Role.DSL, mfa=False), Permission.ACT_ON_DECISION, mine)


def test_colleagues_see_who_works_in_their_own_agency_only() -> None:
    for role in [*FRONTLINE, *NOT_FRONTLINE]:
        assert policy.is_permitted(person_in(role), Permission.VIEW_COLLEAGUES, OWN), role
        assert not policy.is_permitted(person_in(role), Permission.VIEW_COLLEAGUES, OTHER), role
    assert not policy.is_permitted(person_in(Role.DSL, mfa=False), Permission.VIEW_COLLEAGUES, OWN)


def test_only_the_disclosing_agency_revokes() -> None:
    ours = disclosure(disclosing_agency_id=OWN, recipient_agency_id=OTHER)
    assert policy.allowed(person_in(Role.DSL), Permission.REVOKE_DISCLOSURE, ours)
    assert not policy.allowed(person_in(Role.DSL), Permission.REVOKE_DISCLOSURE, disclosure())
    assert not policy.allowed(person_in(Role.ADMIN), Permission.REVOKE_DISCLOSURE, ours)


# Disclosures


def test_an_active_disclosure_to_the_agency_is_seen_by_its_front_line() -> None:
    for role in FRONTLINE:
        assert policy.allowed(
            person_in(role), Permission.VIEW_DISCLOSURE, disclosure(), {"now": NOW}
        )
    for role in NOT_FRONTLINE:
        assert not policy.allowed(
            person_in(role), Permission.VIEW_DISCLOSURE, disclosure(), {"now": NOW}
        )
    elsewhere = person_in(Role.DSL, agency=OTHER + 1)
    assert not policy.allowed(elsewhere, Permission.VIEW_DISCLOSURE, disclosure(), {"now": NOW})


def test_a_named_disclosure_is_seen_by_that_practitioner_alone() -> None:
    named = disclosure(recipient_practitioner_id=5)
    assert policy.allowed(
        person_in(Role.DSL, ident=5), Permission.VIEW_DISCLOSURE, named, {"now": NOW}
    )
    colleague = person_in(Role.DSL, ident=6)
    assert not policy.allowed(colleague, Permission.VIEW_DISCLOSURE, named, {"now": NOW})


def test_an_expired_or_revoked_disclosure_shows_nothing() -> None:
    reader = person_in(Role.PRACTITIONER)
    expired = disclosure(expires_at=NOW - timedelta(seconds=1))
    assert not policy.allowed(reader, Permission.VIEW_DISCLOSURE, expired, {"now": NOW})
    assert not policy.allowed(
        reader, Permission.VIEW_DISCLOSURE, disclosure(revoked=True), {"now": NOW}
    )


def test_protected_identities_stay_with_their_agency_unless_the_redaction_was_lifted() -> None:
    reader = person_in(Role.MASH)
    ask = Permission.VIEW_PROTECTED_IDENTITY
    assert policy.allowed(reader, ask, policy.agency(OWN), {"redaction_lifted": False})
    assert not policy.allowed(reader, ask, policy.agency(OTHER), {"redaction_lifted": False})
    assert policy.allowed(reader, ask, policy.agency(OTHER), {"redaction_lifted": True})


# The single view


def test_who_knows_needs_a_record_or_in_the_mash_an_open_request() -> None:
    ask = Permission.VIEW_WHO_KNOWS
    for role in FRONTLINE:
        assert policy.is_permitted(
            person_in(role), ask, person_id=3, purposes={Purpose.HOLDS_RECORD}
        )
        assert not policy.is_permitted(
            person_in(role), ask, person_id=3, purposes={Purpose.RECEIVED_DISCLOSURE}
        )
    assert policy.is_permitted(
        person_in(Role.MASH), ask, person_id=3, purposes={Purpose.OPEN_REQUEST}
    )
    assert not policy.is_permitted(
        person_in(Role.DSL), ask, person_id=3, purposes={Purpose.OPEN_REQUEST}
    )
    assert not policy.is_permitted(
        person_in(Role.AUDITOR), ask, person_id=3, purposes={Purpose.HOLDS_RECORD}
    )


def test_an_unconfirmed_record_shows_kinds_of_agency_only() -> None:
    unconfirmed = {Purpose.HOLDS_UNCONFIRMED_RECORD}
    for role in FRONTLINE:
        who = person_in(role)
        assert not policy.is_permitted(
            who, Permission.VIEW_WHO_KNOWS, person_id=3, purposes=unconfirmed
        )
        assert policy.is_permitted(
            who, Permission.VIEW_WHO_KNOWS_KINDS, person_id=3, purposes=unconfirmed
        )
        # The chronology opens on the agency's own items; nothing of others' comes with it.
        assert policy.is_permitted(
            who, Permission.VIEW_CHRONOLOGY, person_id=3, purposes=unconfirmed
        )
    assert not policy.is_permitted(
        person_in(Role.DSL), Permission.VIEW_WHO_KNOWS_KINDS, person_id=3, purposes=()
    )
    for role in NOT_FRONTLINE:
        assert not policy.is_permitted(
            person_in(role), Permission.VIEW_WHO_KNOWS_KINDS, person_id=3, purposes=unconfirmed
        )


def test_a_record_is_confirmed_by_a_second_person_who_answers_for_safeguarding() -> None:
    made_by = 1
    record = policy.agency_record(40, OWN, made_by)
    ask = Permission.CONFIRM_AGENCY_RECORD
    settled = {"account_settling": False}
    for role in (Role.DSL, Role.MASH, Role.CALDICOTT):
        assert policy.allowed(person_in(role, ident=2), ask, record, settled)
        assert not policy.allowed(person_in(role, ident=made_by), ask, record, settled)
        assert not policy.allowed(person_in(role, ident=2, agency=OTHER), ask, record, settled)
        assert not policy.allowed(person_in(role, ident=2, mfa=False), ask, record, settled)
        token = Actor(2, OWN, role, mfa_verified=True, token_id=5)
        assert not policy.allowed(token, ask, record, settled)
        assert not policy.allowed(
            person_in(role, ident=2), ask, record, {"account_settling": True}
        ), "an account a person set up or changed lately is not yet a second person"
    for role in (Role.PRACTITIONER, Role.DPO, *NOT_FRONTLINE):
        assert not policy.allowed(person_in(role, ident=2), ask, record, settled)


@pytest.mark.parametrize("permission", [Permission.VIEW_CHRONOLOGY, Permission.VIEW_PATTERN_FLAGS])
def test_chronology_and_flags_need_a_purpose(permission: Permission) -> None:
    dsl, mash = person_in(Role.DSL), person_in(Role.MASH)
    for purpose in (Purpose.HOLDS_RECORD, Purpose.RECEIVED_DISCLOSURE):
        assert policy.is_permitted(dsl, permission, person_id=3, purposes={purpose})
    assert not policy.is_permitted(dsl, permission, person_id=3, purposes={Purpose.OPEN_REQUEST})
    assert policy.is_permitted(mash, permission, person_id=3, purposes={Purpose.OPEN_REQUEST})
    assert not policy.is_permitted(mash, permission, person_id=3, purposes=())
    assert not policy.is_permitted(
        person_in(Role.ADMIN), permission, person_id=3, purposes={Purpose.HOLDS_RECORD}
    )


# Break-glass


def test_break_glass_is_for_the_mash_and_caldicott_guardians() -> None:
    for role in (Role.MASH, Role.CALDICOTT):
        assert policy.is_permitted(person_in(role), Permission.START_BREAK_GLASS, person_id=3)
    for role in (Role.PRACTITIONER, Role.DSL, Role.DPO, Role.AUDITOR, Role.ADMIN):
        assert not policy.is_permitted(person_in(role), Permission.START_BREAK_GLASS, person_id=3)


def test_a_break_glass_session_serves_its_practitioner_until_it_ends_or_expires() -> None:
    def glass(**overrides: object) -> policy.Entity:
        body: dict[str, object] = {
            "practitioner_id": 1,
            "person_id": 3,
            "expires_at": NOW + timedelta(minutes=30),
            "ended": False,
        }
        body.update(overrides)
        return policy.break_glass_session(4, **body)  # type: ignore[arg-type]

    mash = person_in(Role.MASH)
    use = Permission.USE_BREAK_GLASS
    assert policy.allowed(mash, use, glass(), {"now": NOW})
    assert not policy.allowed(mash, use, glass(ended=True), {"now": NOW})
    assert not policy.allowed(mash, use, glass(expires_at=NOW), {"now": NOW})
    assert not policy.allowed(person_in(Role.MASH, ident=2), use, glass(), {"now": NOW})
    assert policy.allowed(mash, Permission.END_BREAK_GLASS, glass(), {"now": NOW})
    assert not policy.allowed(mash, Permission.END_BREAK_GLASS, glass(ended=True), {"now": NOW})
    assert policy.is_permitted(
        mash, Permission.VIEW_CHRONOLOGY, person_id=3, purposes={Purpose.BREAK_GLASS}
    )
    assert not policy.is_permitted(
        person_in(Role.DSL), Permission.VIEW_CHRONOLOGY, person_id=3, purposes={Purpose.BREAK_GLASS}
    )


# Requests, advice, oversight


def test_a_request_is_seen_by_the_two_agencies_it_is_between() -> None:
    request = policy.information_request(8, OWN, OTHER)
    assert policy.allowed(person_in(Role.PRACTITIONER), Permission.VIEW_REQUEST, request)
    assert policy.allowed(person_in(Role.DSL, agency=OTHER), Permission.VIEW_REQUEST, request)
    assert not policy.allowed(person_in(Role.MASH, agency=99), Permission.VIEW_REQUEST, request)


def test_a_request_is_answered_only_by_the_front_line_of_the_agency_asked() -> None:
    request = policy.information_request(8, OWN, OTHER)
    for role in FRONTLINE:
        asked = person_in(role, agency=OTHER)
        assert policy.allowed(asked, Permission.ANSWER_REQUEST, request), role
        assert not policy.allowed(person_in(role), Permission.ANSWER_REQUEST, request), role
    for role in NOT_FRONTLINE:
        asked = person_in(role, agency=OTHER)
        assert not policy.allowed(asked, Permission.ANSWER_REQUEST, request), role


def test_a_notice_is_seen_by_the_one_it_names_or_else_by_its_agency() -> None:
    named, inbox = policy.notification(1, OWN, 1), policy.notification(2, OWN, None)
    for role in [*FRONTLINE, *NOT_FRONTLINE]:
        me, colleague = person_in(role, ident=1), person_in(role, ident=2)
        elsewhere = person_in(role, ident=3, agency=OTHER)
        assert policy.allowed(me, Permission.VIEW_NOTIFICATION, named), role
        assert not policy.allowed(colleague, Permission.VIEW_NOTIFICATION, named), role
        assert policy.allowed(colleague, Permission.VIEW_NOTIFICATION, inbox), role
        assert not policy.allowed(elsewhere, Permission.VIEW_NOTIFICATION, inbox), role
    password_only = person_in(Role.DSL, ident=1, mfa=False)
    assert not policy.allowed(password_only, Permission.VIEW_NOTIFICATION, named)


def test_an_encompass_notice_is_opened_only_by_the_dsl_it_names() -> None:
    """Police information: never through the inbox, never by a colleague or another role."""
    named, inbox = policy.notification(1, OWN, 1), policy.notification(2, OWN, None)
    lead = person_in(Role.DSL, ident=1)
    assert policy.allowed(lead, Permission.VIEW_ENCOMPASS_NOTICE, named)
    assert not policy.allowed(lead, Permission.VIEW_ENCOMPASS_NOTICE, inbox)
    assert not policy.allowed(person_in(Role.DSL, ident=2), Permission.VIEW_ENCOMPASS_NOTICE, named)
    for role in [*FRONTLINE, *NOT_FRONTLINE]:
        if role is not Role.DSL:
            addressed = person_in(role, ident=1)
            assert not policy.allowed(addressed, Permission.VIEW_ENCOMPASS_NOTICE, named), role
            assert not policy.allowed(addressed, Permission.VIEW_ENCOMPASS_NOTICE, inbox), role
    password_only = person_in(Role.DSL, ident=1, mfa=False)
    assert not policy.allowed(password_only, Permission.VIEW_ENCOMPASS_NOTICE, named)


def test_advice_is_answered_by_the_colleague_or_role_asked_and_seen_by_the_asker() -> None:
    to_role = policy.advice_request(
        9, agency_id=OWN, asked_by_id=1, to_practitioner_id=None, to_role="manager"
    )
    asker = person_in(Role.PRACTITIONER, ident=1)
    assert policy.allowed(asker, Permission.VIEW_ADVICE, to_role)
    assert not policy.allowed(asker, Permission.ANSWER_ADVICE, to_role)
    for role in (Role.DSL, Role.MASH):
        assert policy.allowed(person_in(role, ident=2), Permission.ANSWER_ADVICE, to_role)
    assert not policy.allowed(person_in(Role.DPO, ident=2), Permission.ANSWER_ADVICE, to_role)
    assert not policy.allowed(
        person_in(Role.DSL, ident=2, agency=OTHER), Permission.ANSWER_ADVICE, to_role
    )
    named = policy.advice_request(
        10, agency_id=OWN, asked_by_id=1, to_practitioner_id=3, to_role=None
    )
    assert policy.allowed(
        person_in(Role.DPO, ident=3, agency=OTHER), Permission.ANSWER_ADVICE, named
    )
    assert not policy.allowed(person_in(Role.DPO, ident=4), Permission.ANSWER_ADVICE, named)


def _asking(
    asker: Actor, *, anonymised: bool, adviser_agency: int, adviser_role: str, named: bool = True
) -> bool:
    assert asker.practitioner_id is not None and asker.agency_id is not None
    request = policy.advice_request(
        0,
        agency_id=asker.agency_id,
        asked_by_id=asker.practitioner_id,
        to_practitioner_id=5 if named else None,
        to_role=None if named else adviser_role,
    )
    return policy.allowed(
        asker,
        Permission.ASK_ADVICE,
        request,
        {
            "anonymised": anonymised,
            "adviser_agency": policy.agency_ref(adviser_agency),
            "adviser_role": adviser_role,
        },
    )


def test_identified_advice_stays_in_the_agency_and_anonymised_advice_goes_to_advisers() -> None:
    asker = person_in(Role.DSL)
    for anonymised in (True, False):
        assert _asking(
            asker, anonymised=anonymised, adviser_agency=OWN, adviser_role="practitioner"
        )
        assert _asking(
            asker, anonymised=anonymised, adviser_agency=OWN, adviser_role="manager", named=False
        )
    for adviser in ("dpo", "caldicott", "lado", "mash"):
        assert _asking(asker, anonymised=True, adviser_agency=OTHER, adviser_role=adviser)
        assert not _asking(asker, anonymised=False, adviser_agency=OTHER, adviser_role=adviser)
    for colleague in ("practitioner", "dsl", "admin", "auditor"):
        assert not _asking(asker, anonymised=True, adviser_agency=OTHER, adviser_role=colleague)
    for role in NOT_FRONTLINE:
        assert not _asking(
            person_in(role), anonymised=True, adviser_agency=OWN, adviser_role="practitioner"
        )
    someone_else = Actor(2, OWN, Role.DSL, mfa_verified=True)
    request = policy.advice_request(
        0, agency_id=OWN, asked_by_id=1, to_practitioner_id=5, to_role=None
    )
    assert not policy.allowed(
        someone_else,
        Permission.ASK_ADVICE,
        request,
        {"anonymised": True, "adviser_agency": policy.agency_ref(OWN), "adviser_role": "dpo"},
    )


@pytest.mark.parametrize("permission", [Permission.VIEW_REGISTER, Permission.VIEW_ACCESS_LOG])
def test_oversight_is_for_dpos_caldicott_guardians_and_auditors_of_the_agency(
    permission: Permission,
) -> None:
    for role in (Role.DPO, Role.CALDICOTT, Role.AUDITOR):
        assert policy.is_permitted(person_in(role), permission, OWN)
        assert not policy.is_permitted(person_in(role), permission, OTHER)
    for role in (Role.PRACTITIONER, Role.DSL, Role.MASH, Role.ADMIN):
        assert not policy.is_permitted(person_in(role), permission, OWN)


# Forbid rules beat permits


def test_nothing_is_allowed_without_a_second_factor() -> None:
    for role in (Role.ADMIN, Role.DSL, Role.MASH):
        password_only = person_in(role, mfa=False)
        assert not policy.may_change_account(password_only, OWN, Role.PRACTITIONER, now=NOW)
        assert not policy.is_permitted(password_only, Permission.READ_OWN_AGENCY_RECORDS, OWN)
        assert not policy.allowed(
            password_only, Permission.VIEW_DISCLOSURE, disclosure(), {"now": NOW}
        )
        assert not policy.is_permitted(password_only, Permission.START_BREAK_GLASS, person_id=3)


def test_forbid_rules_win_even_over_a_rule_that_permits_everything() -> None:
    """Were someone to add a blanket permit, the forbids would still hold."""
    loose = policy.loaded().policies.with_added_str("permit (principal, action, resource);")

    def decide(
        actor: Actor, action: str, resource: policy.Entity, context: dict[str, object]
    ) -> bool:
        request = {
            "principal": policy.principal_of(actor).uid,
            "action": {"type": "Jigsaw::Action", "id": action},
            "resource": resource.uid,
            "context": context,
        }
        entities = [policy.principal_of(actor).as_json(), resource.as_json()]
        return cedarpy.is_authorized(request, loose, entities, policy.loaded().schema).allowed

    fresh = {"recent_sign_in": True}
    assert decide(person_in(Role.AUDITOR), "manage_agencies", policy.service(), fresh)
    assert not decide(person_in(Role.ADMIN, mfa=False), "manage_agencies", policy.service(), fresh)
    assert not decide(
        person_in(Role.ADMIN), "manage_agencies", policy.service(), {"recent_sign_in": False}
    )
    protected = "view_protected_identity"
    assert not decide(
        person_in(Role.MASH), protected, policy.agency(OTHER), {"redaction_lifted": False}
    )
    assert decide(person_in(Role.MASH), protected, policy.agency(OTHER), {"redaction_lifted": True})


# Accounts, agencies and API tokens


def signed_in_just_now(role: Role, *, agency: int = OWN, token: bool = False) -> Actor:
    return Actor(
        1,
        agency,
        role,
        mfa_verified=True,
        authenticated_at=NOW - timedelta(minutes=1),
        token_id=7 if token else None,
    )


def test_administrators_manage_accounts_and_tokens_of_their_own_agency_only() -> None:
    admin = signed_in_just_now(Role.ADMIN)
    for role in (*FRONTLINE, Role.AUDITOR, Role.ADMIN):
        assert policy.may_change_account(admin, OWN, role, now=NOW), role
        assert not policy.may_change_account(admin, OTHER, role, now=NOW), role
    assert policy.may_change_account(admin, OWN, Role.PRACTITIONER, service_account=True, now=NOW)
    assert policy.may_issue_api_tokens(admin, OWN, now=NOW)
    assert not policy.may_issue_api_tokens(admin, OTHER, now=NOW)
    assert policy.is_permitted(admin, Permission.OVERSEE_API_TOKENS, OWN)
    assert not policy.is_permitted(admin, Permission.OVERSEE_API_TOKENS, OTHER)
    for role in (*FRONTLINE, Role.AUDITOR, Role.PLATFORM_ADMIN):
        person = signed_in_just_now(role)
        assert not policy.may_change_account(person, OWN, Role.PRACTITIONER, now=NOW), role
        assert not policy.may_issue_api_tokens(person, OWN, now=NOW), role


def test_no_one_makes_a_service_administrator_or_the_system_but_the_command_line() -> None:
    for role in (Role.ADMIN, Role.PLATFORM_ADMIN):
        who = signed_in_just_now(role)
        assert not policy.may_change_account(who, OWN, Role.PLATFORM_ADMIN, now=NOW)
        assert not policy.may_change_account(who, OWN, Role.SYSTEM, now=NOW)
    system = Actor.system()
    assert policy.may_change_account(system, OWN, Role.PLATFORM_ADMIN, now=NOW)
    assert not policy.may_change_account(system, OWN, Role.SYSTEM, now=NOW)
    assert not policy.may_change_account(system, OWN, Role.DSL, service_account=True, now=NOW), (
        "a service account holds only the practitioner role"
    )


def test_the_service_administrator_adds_agencies_and_their_administrators_only() -> None:
    desk = signed_in_just_now(Role.PLATFORM_ADMIN)
    assert policy.may_add_agencies(desk, now=NOW)
    assert policy.may_change_account(desk, OTHER, Role.ADMIN, now=NOW)
    assert not policy.may_change_account(desk, OTHER, Role.DSL, now=NOW)
    assert not policy.may_change_account(
        desk, OTHER, Role.PRACTITIONER, service_account=True, now=NOW
    )
    assert not policy.may_issue_api_tokens(desk, OWN, now=NOW)
    for role in (*FRONTLINE, *NOT_FRONTLINE):
        if role is not Role.PLATFORM_ADMIN:
            assert not policy.may_add_agencies(signed_in_just_now(role), now=NOW), role


def test_no_one_changes_their_own_account() -> None:
    """An administrator who could make themselves a DSL would read every child's record."""
    for role in (Role.ADMIN, Role.PLATFORM_ADMIN):
        me = signed_in_just_now(role)
        for change in AccountChangeKind:
            for given in (Role.ADMIN, Role.DSL, Role.LINKAGE_REVIEWER):
                assert not policy.may_change_account(
                    me, OWN, given, change=change, subject_id=me.practitioner_id, now=NOW
                ), (role, change, given)
    admin = signed_in_just_now(Role.ADMIN)
    for change in AccountChangeKind:
        assert policy.may_change_account(admin, OWN, Role.DSL, change=change, subject_id=2, now=NOW)


def test_the_service_administrator_resets_no_ones_password_or_second_factor() -> None:
    desk = signed_in_just_now(Role.PLATFORM_ADMIN)
    for role in (Role.ADMIN, Role.LINKAGE_REVIEWER, Role.LADO):
        assert policy.may_change_account(desk, OTHER, role, subject_id=9, now=NOW), role
        assert policy.may_change_account(desk, OTHER, role, change=CHANGE, subject_id=9, now=NOW)
        assert not policy.may_change_account(
            desk, OTHER, role, change=RESET, subject_id=9, now=NOW
        ), role
    assert policy.may_change_account(
        signed_in_just_now(Role.ADMIN), OWN, Role.ADMIN, change=RESET, subject_id=9, now=NOW
    ), "another administrator of the agency resets an administrator's second factor"


def test_only_the_service_administrator_or_the_command_line_gives_cross_agency_roles() -> None:
    admin = signed_in_just_now(Role.ADMIN)
    desk = signed_in_just_now(Role.PLATFORM_ADMIN)
    for role in (Role.LINKAGE_REVIEWER, Role.LADO):
        assert not policy.may_change_account(admin, OWN, role, now=NOW), role
        assert not policy.may_change_account(admin, OWN, role, subject_id=9, now=NOW), role
        assert not policy.may_change_account(
            admin, OWN, role, change=RESET, subject_id=9, now=NOW
        ), "resetting would let the administrator sign in as the reviewer"
        assert policy.may_change_account(admin, OWN, role, change=CHANGE, subject_id=9, now=NOW)
        assert policy.may_change_account(desk, OTHER, role, subject_id=9, now=NOW)
        assert policy.may_change_account(
            Actor.system(), OWN, role, change=RESET, subject_id=9, now=NOW
        )


def test_account_changes_are_a_persons_act_just_signed_in() -> None:
    stale = Actor(
        1, OWN, Role.ADMIN, mfa_verified=True, authenticated_at=NOW - timedelta(minutes=6)
    )
    never = Actor(1, OWN, Role.ADMIN, mfa_verified=True)
    token = signed_in_just_now(Role.ADMIN, token=True)
    for who in (stale, never, token):
        assert not policy.may_change_account(who, OWN, Role.PRACTITIONER, now=NOW)
        assert not policy.may_issue_api_tokens(who, OWN, now=NOW)
    assert not policy.may_add_agencies(signed_in_just_now(Role.PLATFORM_ADMIN, token=True), now=NOW)
    assert not policy.is_permitted(token, Permission.OVERSEE_API_TOKENS, OWN)
