"""Who is acting: a signed-in practitioner, or the system itself (imports, jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from jigsaw.agencies.roles import Role


@dataclass(frozen=True)
class Actor:
    practitioner_id: int | None
    agency_id: int | None
    role: Role

    @classmethod
    def system(cls) -> Actor:
        """Command-line and scheduled work run as the system; audited as such."""
        return cls(practitioner_id=None, agency_id=None, role=Role.SYSTEM)

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM
