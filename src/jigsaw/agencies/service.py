"""Agencies and the accounts that act in them: people's, and service accounts for other
systems. Every change is a person's act with a recent sign-in (or the command line's),
decided by the policy, audited, and told to the agency's accountable person."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jigsaw.agencies.schemas import (
    AgencyIn,
    NewPractitionerOut,
    PractitionerChange,
    PractitionerIn,
    ServiceAccountIn,
)
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jigsaw.identity import service as access
from jigsaw.identity.models import ENROLMENT_PURPOSE, Agency, Practitioner
from jigsaw.identity.passwords import hash_password
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.notifications.contacts import oversight_contacts
from jigsaw.notifications.service import Addressee
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import (
    OWN_ACCOUNT_REFUSAL,
    AccountChangeKind,
    Permission,
    may_add_agencies,
    may_change_account,
    refusal,
    require,
)
from jigsaw.policy.roles import SERVICE_ACCOUNT_ROLE, Role

SERVICE_ACCOUNT_DOMAIN = "service-accounts.invalid"
"""Service accounts' made-up addresses: ``.invalid`` is reserved (RFC 2606), so no mail
reaches one and no identity provider can assert one."""


def create_agency(db: Database, actor: Actor, data: AgencyIn) -> AgencyOut:
    """A new agency, added by the service administrator (or the command line)."""
    if not may_add_agencies(actor):
        raise NotPermitted(refusal(Permission.MANAGE_AGENCIES))
    with db.transaction() as session:
        if session.scalar(select(Agency.id).where(Agency.name == data.name)) is not None:
            raise Conflict(f"An agency called {data.name!r} already exists")
        agency = Agency(name=data.name, kind=data.kind, created_at=utcnow())
        session.add(agency)
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_CREATED,
            "agency",
            agency.id,
            refs={"agency": agency.id},
        )
        return AgencyOut.model_validate(agency)


NO_CHOSEN_PASSWORDS = (
    "Nobody chooses another person's password. Leave it out: the new account gets a "
    "one-time enrolment code, with which its holder sets their own"
)


def create_practitioner(db: Database, actor: Actor, data: PractitionerIn) -> NewPractitionerOut:
    """A person's account in an agency.

    The policy decides who may add which role where (``policy.cedar`` A1, A1a, F5, F6):
    an agency's administrator in their own agency, the service administrator only an
    agency's administrators, each signed in within the last few minutes. The new account
    gets a one-time enrolment code, shown once, so the person adding it never knows its
    password; only the command line (demo accounts, provisioning) may set one directly.
    The agency's accountable person is told, and the change is on their alert list.
    """
    if data.password is not None and not actor.is_system:
        raise InvalidInput.one("password", NO_CHOSEN_PASSWORDS)
    now = db.clock.now()
    with db.transaction() as session:
        _require_account_change(session, actor, data.agency_id, data.role, service_account=False)
        accountable = oversight_contacts(session, [data.agency_id], excluding=actor.practitioner_id)
        practitioner = _add(
            session,
            agency_id=data.agency_id,
            name=data.name,
            email=data.email.lower(),
            role=data.role,
            job_title=data.job_title,
            phone=data.phone,
            password_hash=hash_password(data.password) if data.password else None,
            service_account=False,
            created_at=now,
        )
        issued, code_id = (
            (None, None)
            if data.password
            else access.issue_one_time_code(session, actor, practitioner, ENROLMENT_PURPOSE, now)
        )
        refs: dict[str, audit.RefValue] = {"agency": data.agency_id, "role": data.role.value}
        if code_id is not None:
            refs["enrolment_code"] = code_id
        _account_added(session, actor, practitioner, refs, accountable)
        return NewPractitionerOut(
            **PractitionerOut.model_validate(practitioner).model_dump(),
            enrolment_code=issued.code if issued else None,
            enrolment_code_expires_at=issued.expires_at if issued else None,
        )


def create_service_account(db: Database, actor: Actor, data: ServiceAccountIn) -> PractitionerOut:
    """Another system's identity in an agency: what its API tokens act as.

    It holds the practitioner role (``SERVICE_ACCOUNT_ROLE``), has no password and no
    second factor, and can never sign in; its address is made up and undeliverable, so
    no single sign-on provider can ever vouch for it either. Added only by the agency's
    own administrator (the service administrator cannot: rule A1).
    """
    agency_id = data.agency_id if data.agency_id is not None else actor.agency_id
    if agency_id is None:
        raise InvalidInput.one("agency_id", "Say which agency the service account belongs to")
    with db.transaction() as session:
        _require_account_change(
            session, actor, agency_id, SERVICE_ACCOUNT_ROLE, service_account=True
        )
        accountable = oversight_contacts(session, [agency_id], excluding=actor.practitioner_id)
        practitioner = _add(
            session,
            agency_id=agency_id,
            name=data.name,
            email=f"service-{secrets.token_hex(8)}@{SERVICE_ACCOUNT_DOMAIN}",
            role=SERVICE_ACCOUNT_ROLE,
            job_title="Service account",
            phone="",
            password_hash=None,
            service_account=True,
            created_at=utcnow(),
        )
        _account_added(
            session,
            actor,
            practitioner,
            {"agency": agency_id, "role": SERVICE_ACCOUNT_ROLE.value, "service_account": 1},
            accountable,
        )
        return PractitionerOut.model_validate(practitioner)


def change_practitioner(
    db: Database, actor: Actor, practitioner_id: int, data: PractitionerChange
) -> PractitionerOut:
    """A new role for an account, or disabling it (which ends its sessions and tokens'
    use at once) or enabling it again. The policy is asked about the account as it is
    and as it would be, so an administrator can neither touch an account outside their
    reach nor raise one beyond it, nor touch their own (F7).

    Who is accountable is found before the change and told of it, with the account's
    holder: demoting the Data Protection Officer must reach the Data Protection Officer,
    not whoever becomes accountable by their demotion (perhaps the administrator)."""
    with db.transaction() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise NotFound("practitioner", practitioner_id)
        current = practitioner.role
        _require_account_change(
            session,
            actor,
            practitioner.agency_id,
            current,
            service_account=practitioner.service_account,
            change=AccountChangeKind.CHANGE,
            subject_id=practitioner.id,
        )
        accountable = oversight_contacts(
            session, [practitioner.agency_id], excluding=actor.practitioner_id
        )
        changed: dict[str, audit.RefValue] = {}
        if data.role is not None and data.role is not current:
            _require_account_change(
                session,
                actor,
                practitioner.agency_id,
                data.role,
                service_account=practitioner.service_account,
                subject_id=practitioner.id,
            )
            practitioner.role = data.role
            changed["role"] = data.role.value
            changed["previous_role"] = current.value
        if data.active is not None and data.active != practitioner.active:
            practitioner.active = data.active
            practitioner.sessions_valid_after = utcnow()
            changed["active"] = int(data.active)
        if changed:
            audit.append(
                session,
                actor,
                AuditAction.PRACTITIONER_CHANGED,
                "practitioner",
                practitioner.id,
                refs={"agency": practitioner.agency_id, **changed},
            )
            _tell_oversight(session, actor, practitioner, accountable)
        return PractitionerOut.model_validate(practitioner)


@not_a_person_read("Staff accounts of the administrator's own agency, nobody's case details")
def list_service_accounts(db: Database, actor: Actor) -> list[PractitionerOut]:
    """The administrator's own agency's service accounts."""
    require(actor, Permission.OVERSEE_API_TOKENS, actor.agency_id)
    with db.reading() as session:
        query = select(Practitioner).where(
            Practitioner.service_account.is_(True),
            scopes.of_agency(actor, Permission.OVERSEE_API_TOKENS, Practitioner.agency_id),
        )
        rows = session.scalars(query.order_by(Practitioner.id))
        return [PractitionerOut.model_validate(p) for p in rows]


@not_a_person_read("Staff accounts by name, role and agency, nobody's case details")
def list_practitioners(
    db: Database, actor: Actor, agency_id: int | None = None
) -> list[PractitionerOut]:
    """The accounts the actor may see (their own agency's, R0; every agency's for the
    command line), people's and service accounts, of one agency if ``agency_id`` is
    given: who can act in an agency, for whoever administers it."""
    with db.reading() as session:
        query = select(Practitioner).where(
            scopes.of_agency(actor, Permission.VIEW_COLLEAGUES, Practitioner.agency_id)
        )
        if agency_id is not None:
            query = query.where(Practitioner.agency_id == agency_id)
        rows = session.scalars(query.order_by(Practitioner.agency_id, Practitioner.id))
        return [PractitionerOut.model_validate(p) for p in rows]


def _require_account_change(
    session: Session,
    actor: Actor,
    agency_id: int,
    role: Role,
    *,
    service_account: bool,
    change: AccountChangeKind = AccountChangeKind.GRANT,
    subject_id: int | None = None,
) -> None:
    """Refuse unless the policy lets ``actor`` give ``role`` to an account in ``agency_id``
    (or, for ``AccountChangeKind.CHANGE``, change the account ``subject_id`` holding it).

    An administrator asking about another agency's existing account is answered as if it
    did not exist; adding to a missing agency is bad input.
    """
    if may_change_account(
        actor,
        agency_id,
        role,
        service_account=service_account,
        change=change,
        subject_id=subject_id,
    ):
        if session.get(Agency, agency_id) is None:
            raise InvalidInput.one("agency_id", f"There is no agency with id {agency_id}")
        return
    if subject_id is not None and subject_id == actor.practitioner_id:
        raise NotPermitted(OWN_ACCOUNT_REFUSAL)
    if (
        subject_id is not None
        and agency_id != actor.agency_id
        and may_change_account(actor, actor.agency_id, Role.PRACTITIONER)
    ):
        raise NotFound("practitioner", subject_id)
    raise NotPermitted(refusal(Permission.MANAGE_PRACTITIONERS))


def _add(session: Session, **columns: Any) -> Practitioner:
    email = columns["email"]
    if session.scalar(select(Practitioner.id).where(Practitioner.email == email)):
        raise Conflict("A practitioner with that email address already exists")
    practitioner = Practitioner(active=True, **columns)
    session.add(practitioner)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("A practitioner with that email address already exists") from exc
    return practitioner


def _account_added(
    session: Session,
    actor: Actor,
    practitioner: Practitioner,
    refs: dict[str, audit.RefValue],
    accountable: list[Addressee],
) -> None:
    """Audit a new account and tell its agency's accountable person, in the transaction
    that added it: a person's or a service account, each is someone new who can act.

    ``accountable`` was found before the account was added, so a new Data Protection
    Officer or lead is never the only one told of their own appointment."""
    audit.append(
        session, actor, AuditAction.PRACTITIONER_CREATED, "practitioner", practitioner.id, refs=refs
    )
    _tell_oversight(session, actor, practitioner, accountable)


def _tell_oversight(
    session: Session,
    actor: Actor,
    practitioner: Practitioner,
    accountable: list[Addressee],
) -> None:
    """The accountable people found before the change, and the account's holder (a
    service account has no one behind it to tell)."""
    access.tell_oversight(
        session,
        actor,
        practitioner.agency_id,
        "practitioner",
        practitioner.id,
        accountable=[(a.agency_id, a.practitioner_id) for a in accountable],
        holder_id=None if practitioner.service_account else practitioner.id,
    )


def list_agencies(db: Database) -> list[AgencyOut]:
    """The directory of agencies is not personal data; any signed-in user may read it."""
    with db.reading() as session:
        rows = session.scalars(select(Agency).order_by(Agency.name))
        return [AgencyOut.model_validate(a) for a in rows]
