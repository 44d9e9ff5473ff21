"""RAG urgency and statutory timescales on a working-hours calendar.

A MASH rates each contact Red, Amber or Green, and each rating has a timescale that is
local practice: Red counted on the clock because it runs beyond working hours, Amber
and Green in working hours only. Working Together 2023 adds national timescales in
working days. The timescales and calendars are versioned data (``timescales.yaml``),
one profile per authority; the engine here turns a start time and a profile into a
due time, and a due time and the current time into a status.
"""

from jigsaw.deadlines.calendar import (
    DUE_SOON_WITHIN,
    add_working_days,
    add_working_hours,
    bank_holidays,
    deadline,
    due_at,
    is_working_day,
    is_working_time,
    next_working_time,
    status,
    statutory_due_at,
    working_hours_between,
)
from jigsaw.deadlines.errors import (
    InvalidTimescales,
    NaiveDatetime,
    UnknownProfile,
    UnknownTimescale,
)
from jigsaw.deadlines.timescales import (
    DEFAULT_PROFILE,
    load_profile,
    parse_timescales,
    profile_names,
    read_timescales,
    shipped_timescales,
)
from jigsaw.deadlines.values import (
    Profile,
    Rag,
    Status,
    StatutoryTimescale,
    Timescale,
    TimescaleSet,
    Unit,
    WorkingCalendar,
)

__all__ = [
    "DEFAULT_PROFILE",
    "DUE_SOON_WITHIN",
    "InvalidTimescales",
    "NaiveDatetime",
    "Profile",
    "Rag",
    "Status",
    "StatutoryTimescale",
    "Timescale",
    "TimescaleSet",
    "Unit",
    "UnknownProfile",
    "UnknownTimescale",
    "WorkingCalendar",
    "add_working_days",
    "add_working_hours",
    "bank_holidays",
    "deadline",
    "due_at",
    "is_working_day",
    "is_working_time",
    "load_profile",
    "next_working_time",
    "parse_timescales",
    "profile_names",
    "read_timescales",
    "shipped_timescales",
    "status",
    "statutory_due_at",
    "working_hours_between",
]
