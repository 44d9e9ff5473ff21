"""Unique Pupil Numbers for the synthetic population: the identifier schools and the
local authority's children's services share (``people.identifiers``).

Every school-age child gets one permanent UPN, a bijection of their person number so no
two children share one. Schools always record it; the local authority's services record
it for some of the children they know, and a few of those still hold a temporary UPN the
school later replaced, which is how a real record comes to carry an old number. Each
choice is drawn from its own seeded stream, so adding UPNs left every other recorded
detail of a population as it was.
"""

from __future__ import annotations

import random
from datetime import date

from jigsaw.people.identifiers import UPN_ALPHABET, upn_check_letter
from jigsaw.synthetic.catalogue import Service
from jigsaw.synthetic.households import RecordDraft

LOCAL_AUTHORITY = "916"
"""The synthetic authority's three-digit number (the first part of every UPN it issues)."""
SCHOOL_AGE = 4
RECORDED: dict[Service, float] = {
    Service.PRIMARY_SCHOOL: 1.0,
    Service.SECONDARY_SCHOOL: 1.0,
    Service.SOCIAL_CARE: 0.6,
    Service.FAMILY_SUPPORT: 0.3,
}
"""Share of a school-age child's records at each service that hold the UPN."""
TEMPORARY = 0.05
"""Share of the local authority's records holding a temporary UPN the school replaced."""
_MULTIPLIER = 2_654_435_761  # odd and not a multiple of 5: a bijection modulo 10**9


def upn_for(seed: int, number: int) -> str:
    """The permanent UPN of one person of one seed."""
    body = f"{LOCAL_AUTHORITY}{(number * _MULTIPLIER + seed * 7_919) % 10**9:09d}"
    return upn_check_letter(body) + body


def temporary_upn_for(seed: int, number: int) -> str:
    """A temporary UPN (a letter last) for the same child: a different number."""
    permanent = upn_for(seed, number)
    body = permanent[1:12] + UPN_ALPHABET[number % len(UPN_ALPHABET)]
    return upn_check_letter(body) + body


def recorded_upn(seed: int, as_of: date, draft: RecordDraft) -> str | None:
    """The UPN this agency's record of the child holds, if any."""
    person = draft.person
    rate = RECORDED.get(draft.agency.service, 0.0)
    if not person.is_child or rate == 0.0:
        return None
    if (as_of - person.date_of_birth).days < SCHOOL_AGE * 365:
        return None
    rng = random.Random(f"{seed}:{person.key}:{draft.agency.code}:upn")  # noqa: S311
    if rng.random() >= rate:
        return None
    school = draft.agency.service in (Service.PRIMARY_SCHOOL, Service.SECONDARY_SCHOOL)
    if not school and rng.random() < TEMPORARY:
        return temporary_upn_for(seed, person.number)
    return upn_for(seed, person.number)
