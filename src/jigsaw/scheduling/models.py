"""Scheduled jobs: when each last ran, and who holds it now.

One row per job. Its lease (``lease_holder``, ``lease_until``) is taken by a conditional
``UPDATE`` that only one process can win, so however many workers a deployment starts,
each job runs in one of them at a time. The row holds names, times and counts, never
anything about a person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime


class ScheduledJob(Base):
    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    """The worker running the job now (host, process and a random part), if any."""
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the lease lapses if its holder stops renewing it (a killed worker)."""
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the last run that finished began: the job is due again an interval later."""
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Runs failed in a row since the last that finished; each doubles the wait before
    the next try (one minute, two, four ... up to the job's interval)."""
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """After a failure, the job is not tried again before this (set only while failing)."""
