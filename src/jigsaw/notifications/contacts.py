"""Who in an agency is told when something needs oversight.

Emergency access, new accounts and new API tokens must reach someone accountable in
every agency concerned. Most agencies have a Data Protection Officer; many small ones
(a school, a voluntary service) do not, and a notice addressed only to DPOs would then
reach nobody. So each agency's notice goes to the first of these it has: its DPOs,
else its Caldicott Guardians, else its designated safeguarding leads, else its
administrators, else the agency's inbox, which the whole agency sees.

The person whose act is being overseen is never the one told about it: a Caldicott
Guardian who uses emergency access, or an administrator who changes an account, may be
the most accountable person their agency has, and a notice only to themselves would
tell nobody. They are passed over, and the next role down (or the inbox) is told.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.identity.events import AccountChanged
from jigsaw.identity.models import Practitioner
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import Addressee, notify
from jigsaw.policy.roles import Role

ACCOUNTABLE_ROLES: tuple[Role, ...] = (Role.DPO, Role.CALDICOTT, Role.DSL, Role.ADMIN)
"""In the order an agency's oversight notice looks for someone to send it to."""


def oversight_contacts(
    session: Session, agency_ids: Iterable[int], *, excluding: int | None = None
) -> list[Addressee]:
    """One or more addressees per agency: its most accountable active people other than
    ``excluding`` (the practitioner who acted), or its inbox."""
    wanted = sorted(set(agency_ids))
    if not wanted:
        return []
    rows = session.execute(
        select(Practitioner.agency_id, Practitioner.role, Practitioner.id)
        .where(
            Practitioner.agency_id.in_(wanted),
            Practitioner.role.in_(ACCOUNTABLE_ROLES),
            Practitioner.active.is_(True),
            Practitioner.id != (excluding or 0),
        )
        .order_by(Practitioner.agency_id, Practitioner.id)
    )
    by_agency: dict[int, dict[Role, list[int]]] = {}
    for agency_id, role, practitioner_id in rows:
        by_agency.setdefault(agency_id, {}).setdefault(role, []).append(practitioner_id)
    addressees: list[Addressee] = []
    for agency_id in wanted:
        holders = by_agency.get(agency_id, {})
        first = next((holders[r] for r in ACCOUNTABLE_ROLES if r in holders), None)
        if first is None:
            addressees.append(Addressee(agency_id, None))
        else:
            addressees.extend(Addressee(agency_id, p) for p in first)
    return addressees


def on_account_changed(session: Session, event: AccountChanged) -> None:
    """Tell the accountable people and the holder of an account change (``identity``).

    Each change is its own event, so a second reset of the same account is told too.
    """
    kind = (
        NotificationKind.API_TOKEN_ISSUED
        if event.object_type == "api_token"
        else NotificationKind.ACCOUNT_CHANGED
    )
    told = (
        [Addressee(agency_id, practitioner_id) for agency_id, practitioner_id in event.accountable]
        if event.accountable is not None
        else oversight_contacts(session, [event.agency_id], excluding=event.actor.practitioner_id)
    )
    if event.holder_id is not None:
        told.append(Addressee(event.agency_id, event.holder_id))
    key = f"{event.object_type}:{event.object_id}:{secrets.token_hex(8)}"
    notify(session, kind, key, event.object_type, event.object_id, told)
