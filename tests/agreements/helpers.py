"""Agreement documents for tests: a valid one, changed only where a test says."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import unique


def by_id(*ids: int) -> list[dict[str, Any]]:
    return [{"agency_id": i} for i in ids]


def by_kind(*kinds: str) -> list[dict[str, Any]]:
    return [{"agency_kind": k} for k in kinds]


def document(
    *,
    provider: list[dict[str, Any]],
    recipient: list[dict[str, Any]],
    tier: int = 3,
    starts: date = date(2026, 1, 1),
    ends: date | None = None,
    **more: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": unique("DSA").replace(" ", "-"),
        "tier": tier,
        "title": "Health and MASH information sharing agreement",
        "provider": provider,
        "recipient": recipient,
        "data_categories": ["child_welfare", "parent_capacity"],
        "purposes": [
            {"purpose": "mash_screening", "dpv": "dpv:LegalCompliance"},
            {"purpose": "child_protection_enquiry", "dpv": "dpv:LegalCompliance"},
        ],
        "start_date": starts.isoformat(),
        "end_date": ends.isoformat() if ends else None,
        "permitted_uses": ["Screening contacts in the MASH"],
        "prohibitions": [{"action": "onward_transfer"}],
        "duties": {"delete_after_days": 365, "notify_on_breach": {"within_hours": 24}},
    }
    body.update(more)
    return body
