"""Data sharing agreements for tests of the sharing journey.

Every request and disclosure is checked against the agreements in force, and with none
the answer is DENY. A scene whose subject is something else (a disclosure's items, a
decision's record) gets a bespoke agreement between its two agencies, approved and in
force, as a partnership that shares routinely would have; tests of the check itself
write the agreements they need. Every agreement here names its agencies by id, never by
kind: one by kind would cover every other test's agencies of that kind in the shared
database (``tests/agreements`` keeps such agreements in a database of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from jigsaw.agreements.models import AgreementEvent, EventKind, SharingAgreement, Tier
from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.records.models import Category
from tests.conftest import unique

EVERY_CATEGORY = tuple(c.value for c in Category)
EVERY_PURPOSE = tuple(SharingPurpose)


def _ids(agencies: int | Iterable[int]) -> list[int]:
    return [agencies] if isinstance(agencies, int) else list(agencies)


def document(
    reference: str,
    provider_id: int | Iterable[int],
    recipient_id: int | Iterable[int],
    *,
    purposes: Iterable[SharingPurpose] = EVERY_PURPOSE,
    categories: Iterable[str] = EVERY_CATEGORY,
    starts_on: date = date(2020, 1, 1),
    delete_after_days: int = 366,
    title: str = "Routine sharing between two agencies",
) -> dict[str, object]:
    return {
        "reference": reference,
        "tier": int(Tier.BESPOKE),
        "title": title,
        "provider": [{"agency_id": a} for a in _ids(provider_id)],
        "recipient": [{"agency_id": a} for a in _ids(recipient_id)],
        "data_categories": list(categories),
        "purposes": [{"purpose": p.value} for p in purposes],
        "start_date": starts_on.isoformat(),
        "prohibitions": [],
        "duties": {
            "delete_after_days": delete_after_days,
            "notify_on_breach": {"within_hours": 24},
        },
    }


def agree(
    db: Database,
    provider_id: int | Iterable[int],
    recipient_id: int | Iterable[int],
    *,
    version: int = 1,
    reference: str | None = None,
    supersedes_id: int | None = None,
    approved_on: date | None = date(2020, 1, 1),
    **terms: object,
) -> SharingAgreement:
    """One version of a bespoke agreement naming each agency (one or several on each
    side), approved from ``approved_on`` (a draft if None); written as the register
    keeps it, straight into its tables."""
    reference = reference or unique("DSA").replace(" ", "-")
    body = document(reference, provider_id, recipient_id, **terms)  # type: ignore[arg-type]
    with db.transaction() as session:
        row = SharingAgreement(
            reference=reference,
            version=version,
            tier=int(Tier.BESPOKE),
            title=str(body["title"]),
            starts_on=date.fromisoformat(str(body["start_date"])),
            ends_on=None,
            document=body,
            keeper_agency_id=_ids(provider_id)[0],
            supersedes_id=supersedes_id,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        if approved_on is not None:
            session.add(
                AgreementEvent(
                    agreement_id=row.id,
                    kind=EventKind.APPROVED,
                    effective_on=approved_on,
                    recorded_at=utcnow(),
                )
            )
        session.flush()
        session.expunge(row)
        return row


def close(db: Database, agreement_id: int, kind: EventKind, effective_on: date) -> None:
    """Supersede or end a version from a day on."""
    with db.transaction() as session:
        session.add(
            AgreementEvent(
                agreement_id=agreement_id,
                kind=kind,
                effective_on=effective_on,
                recorded_at=utcnow(),
            )
        )
