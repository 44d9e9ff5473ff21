"""The jobs the worker runs, and how often: each a thin wrapper over the service that
does the work, returning counts of what it did.

Each is safe to run again at once: a second run finds nothing left to do.
"""

from __future__ import annotations

from datetime import timedelta

from jigsaw.audit import service as audit
from jigsaw.audit.checkpoint_key import signer_for
from jigsaw.clock import UK_TIME
from jigsaw.config import Settings
from jigsaw.errors import Conflict
from jigsaw.imports import waiting
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import read_schedule, shipped_schedule
from jigsaw.scheduling.service import Job, JobContext
from jigsaw.sharing import reminders

OVERDUE_REQUESTS = "overdue-requests"
EXPIRING_DISCLOSURES = "expiring-disclosures"
RETENTION = "retention"
CHECKPOINT = "audit-checkpoint"
LINK_NEW_RECORDS = "link-new-records"


def _overdue_requests(context: JobContext) -> dict[str, int]:
    return {"notices": reminders.notify_overdue_requests(context.db, context.now)}


def _expiring_disclosures(context: JobContext) -> dict[str, int]:
    return {"notices": reminders.notify_expiring_disclosures(context.db, context.now)}


def _retention(settings: Settings) -> Job:
    def work(context: JobContext) -> dict[str, int]:
        """Erase what is due by today's UK date, one record per transaction.

        A record another run erased meanwhile is counted, not failed over: both runs
        wanted the same end."""
        schedule = (
            read_schedule(settings.retention_schedule_file)
            if settings.retention_schedule_file
            else shipped_schedule()
        )
        today = context.now.astimezone(UK_TIME).date()
        erased = already = 0
        for record in retention.due_records(context.db, schedule, today):
            try:
                retention.erase(context.db, context.actor, schedule, record)
                erased += 1
            except Conflict:
                already += 1
            context.lease.keep_alive()
        return {"erased": erased, "already_erased": already}

    return Job(
        RETENTION,
        "erase records the retention schedule says are due",
        timedelta(hours=settings.retention_interval_hours),
        work,
    )


def _link_new_records(context: JobContext) -> dict[str, int]:
    """Records a feed (or an import with ``--no-link``) left unlinked; see ``imports.waiting``."""
    return waiting.link_waiting(context.db, between=context.lease.keep_alive)


def _checkpoint(settings: Settings) -> Job:
    def work(context: JobContext) -> dict[str, int]:
        before = audit.latest_checkpoint(context.db)
        made = audit.make_checkpoint(context.db, signer_for(settings))
        signed = before is None or made.tree_size != before.tree_size
        return {"signed": int(signed), "tree_size": made.tree_size}

    return Job(
        CHECKPOINT,
        "sign the audit log's tree head",
        timedelta(minutes=settings.checkpoint_interval_minutes),
        work,
        audited=False,
    )


def scheduled_jobs(settings: Settings) -> list[Job]:
    """Every job, in the order a pass runs them: reminders first (quick, and what people
    are waiting for), the checkpoint last, so it signs what the others wrote."""
    reminder_every = timedelta(minutes=settings.reminder_interval_minutes)
    return [
        Job(
            OVERDUE_REQUESTS,
            "tell people about requests past their deadline",
            reminder_every,
            _overdue_requests,
        ),
        Job(
            EXPIRING_DISCLOSURES,
            "tell recipients about shared information about to expire",
            reminder_every,
            _expiring_disclosures,
        ),
        Job(
            LINK_NEW_RECORDS,
            "link records no one has linked yet (pushed by a feed)",
            timedelta(minutes=settings.linking_interval_minutes),
            _link_new_records,
        ),
        _retention(settings),
        _checkpoint(settings),
    ]
