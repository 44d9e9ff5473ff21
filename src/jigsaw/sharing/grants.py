"""Disclosures as the grants the policy is asked about, read as Cedar entities.

A disclosure to the viewer is what can make their look at a child legitimate. List
queries find candidates with SQL filters of the same meaning as the policy
(``sharing.disclosures.active_to``); each found is then put to the policy once, here,
however many items it carries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.sharing.models import Disclosure, DisclosureRevocation


def disclosure_grants(session: Session, ids: Collection[int]) -> list[policy.Entity]:
    if not ids:
        return []
    revoked = (
        select(DisclosureRevocation.id)
        .where(DisclosureRevocation.disclosure_id == Disclosure.id)
        .exists()
    )
    rows = session.connection().execute(
        select(
            Disclosure.id,
            Disclosure.disclosing_agency_id,
            Disclosure.recipient_agency_id,
            Disclosure.recipient_practitioner_id,
            Disclosure.expires_at,
            revoked,
        ).where(Disclosure.id.in_(sorted(ids)))
    )
    return [
        policy.disclosure(
            ident,
            disclosing_agency_id=disclosing,
            recipient_agency_id=agency,
            recipient_practitioner_id=practitioner,
            expires_at=expires_at,
            revoked=bool(is_revoked),
        )
        for ident, disclosing, agency, practitioner, expires_at, is_revoked in rows
    ]


def disclosure_grant(session: Session, disclosure: Disclosure) -> policy.Entity:
    return disclosure_grants(session, [disclosure.id])[0]


def permitted_disclosures(
    session: Session, actor: Actor, ids: Collection[int], now: datetime
) -> set[int]:
    """Of these disclosures, the ones the policy lets the actor see now."""
    grants = disclosure_grants(session, ids)
    return policy.permitted_now(actor, Permission.VIEW_DISCLOSURE, grants, now)
