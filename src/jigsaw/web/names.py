"""Names of agencies and practitioners for a page, each looked up once.

Services return ids; pages say who. The directory is not information about
children, so these look-ups are not audited.
"""

from __future__ import annotations

from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.identity import service as accounts


class Names:
    """Agency and practitioner names for a page, each looked up once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.agencies = {a.id: a.name for a in agencies.list_agencies(db)}
        self._people: dict[int, str] = {}

    def agency(self, agency_id: int | None) -> str:
        return self.agencies.get(agency_id or 0, "Unknown agency")

    def person(self, practitioner_id: int | None) -> str:
        if practitioner_id is None:
            return ""
        if practitioner_id not in self._people:
            self._people[practitioner_id] = accounts.get_practitioner(self.db, practitioner_id).name
        return self._people[practitioner_id]

    def recipient(self, agency_id: int, practitioner_id: int | None) -> str:
        agency = self.agency(agency_id)
        return f"{self.person(practitioner_id)}, {agency}" if practitioner_id else agency
