"""The child's page summary of disclosures received: exactly what the full answer gives
for what the page shows, under the same rule, in a fixed number of statements."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.schemas import CorrectionIn, RetractionIn
from jigsaw.sharing import disclosures
from jigsaw.sharing.schemas import DisclosureOut, RevocationIn
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, correct, item, share, statements
from tests.web.helpers import entries_by

Shown = tuple[int, int, datetime, datetime, datetime | None, int, bool, bool]


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world, surname="Summerfield")


def _as_shown(full: DisclosureOut) -> Shown:
    """What the child's page shows of a full disclosure."""
    return (
        full.id,
        full.disclosing_agency_id,
        full.created_at,
        full.expires_at,
        full.acknowledged_at,
        len(full.items),
        any(i.corrected for i in full.items),
        any(i.retracted for i in full.items),
    )


def _summaries(db: Database, actor: Actor, record_id: int) -> list[Shown]:
    return [
        (
            s.id,
            s.disclosing_agency_id,
            s.created_at,
            s.expires_at,
            s.acknowledged_at,
            s.item_count,
            s.corrected,
            s.withdrawn,
        )
        for s in disclosures.received_summary_about(db, actor, record_id)
    ]


def _scene(db: Database, family: Family) -> dict[str, int]:
    """Disclosures to the MASH about the child: one corrected since it was shared, one
    with an item withdrawn, one of an item corrected before it was shared and then
    acknowledged, one untouched, one revoked, one to a named colleague only, and one to
    another agency."""
    rec, mash = family.records, family.mash.id
    incident = item(db, family.officer, rec["police"], "Incident at home")
    other = item(db, family.officer, rec["police"], "Missing overnight")
    corrected = share(db, family.officer, rec["police"], [incident, other], to_agency=mash)
    correct(db, family.officer, incident, "Incident at home, child asleep", "Misheard")

    late = item(db, family.dsl, rec["school"], "Late all week")
    bruise = item(db, family.dsl, rec["school"], "Bruise on the arm")
    withdrawn = share(db, family.dsl, rec["school"], [late, bruise], to_agency=mash)
    records.retract_item(db, family.dsl, bruise.id, RetractionIn(reason="Wrong child"))

    visit = item(db, family.gp, rec["health"], "Missed appointment")
    fixed = correct(db, family.gp, visit, "Missed two appointments", "Second one found")
    before = share(db, family.gp, rec["health"], [fixed], to_agency=mash, fields=["summary"])
    disclosures.acknowledge(db, family.social_worker, before.id)

    plain = share(
        db, family.gp, rec["health"], [fixed], to_agency=mash, expires_in=timedelta(days=3)
    )
    revoked = share(db, family.officer, rec["police"], [other], to_agency=mash)
    disclosures.revoke(db, family.officer, revoked.id, RevocationIn(reason="Sent in error"))
    named = share(
        db, family.officer, rec["police"], [other], to_agency=mash,
        to_practitioner=family.mash_colleague.practitioner_id,
    )  # fmt: skip
    elsewhere = share(db, family.dsl, rec["school"], [late], to_agency=family.health.id)
    return {
        "corrected": corrected.id,
        "withdrawn": withdrawn.id,
        "before": before.id,
        "plain": plain.id,
        "revoked": revoked.id,
        "named": named.id,
        "elsewhere": elsewhere.id,
    }


def test_the_summary_is_what_the_full_answer_gives_for_what_the_page_shows(
    db: Database, family: Family
) -> None:
    ids = _scene(db, family)
    mash_record = family.records["mash"]

    full = disclosures.received_about(db, family.social_worker, mash_record)
    summary = _summaries(db, family.social_worker, mash_record)

    assert summary == [_as_shown(d) for d in full]
    by_id = {s[0]: s for s in summary}
    assert set(by_id) == {ids["corrected"], ids["withdrawn"], ids["before"], ids["plain"]}
    # The cases the tags come from, each as the full answer has them.
    assert by_id[ids["corrected"]][5:] == (2, True, False)
    assert by_id[ids["withdrawn"]][5:] == (2, False, True)
    assert by_id[ids["before"]][4] is not None and by_id[ids["before"]][5:] == (1, True, False)
    assert by_id[ids["plain"]][4] is None and by_id[ids["plain"]][5:] == (1, True, False)

    # A disclosure to one practitioner is theirs alone, as in the full answer.
    colleague = _summaries(db, family.mash_colleague, mash_record)
    full_colleague = disclosures.received_about(db, family.mash_colleague, mash_record)
    assert colleague == [_as_shown(d) for d in full_colleague]
    assert ids["named"] in {s[0] for s in colleague}


def test_another_agency_gets_nothing(db: Database, family: Family) -> None:
    _scene(db, family)
    # The school's own record: nothing the MASH was sent, though it is the same child.
    assert _summaries(db, family.dsl, family.records["school"]) == []
    # The health agency received one disclosure, from the school, and only that.
    health = _summaries(db, family.gp, family.records["health"])
    assert health == [
        _as_shown(d) for d in disclosures.received_about(db, family.gp, family.records["health"])
    ]
    assert len(health) == 1 and health[0][1] == family.school.id
    # Another agency's record cannot be named at all.
    with pytest.raises(NotFound):
        disclosures.received_summary_about(db, family.officer, family.records["mash"])


def test_the_summary_is_audited_naming_the_disclosures(db: Database, family: Family) -> None:
    ids = _scene(db, family)
    disclosures.received_summary_about(db, family.social_worker, family.records["mash"])
    assert family.social_worker.practitioner_id is not None
    entry = entries_by(db, AuditAction.DISCLOSURE_VIEWED, family.social_worker.practitioner_id)[-1]
    assert entry.refs is not None
    assert entry.refs["agency_record"] == family.records["mash"]
    assert set(entry.refs["disclosures"]) == {
        ids["corrected"],
        ids["withdrawn"],
        ids["before"],
        ids["plain"],
    }


ROUND_TRIPS = 8
"""The summary's statements: the record, the disclosures with their acknowledgements,
their items' counts and states, and the audit entry (lock the head, the entry, its tree
nodes, move the head); SQLite adds its BEGIN."""


def test_the_summary_costs_the_same_statements_however_many_disclosures(
    db: Database, family: Family
) -> None:
    rec, mash = family.records, family.mash.id
    first = item(db, family.officer, rec["police"], "Incident at home")
    share(db, family.officer, rec["police"], [first], to_agency=mash)

    def read() -> object:
        return disclosures.received_summary_about(db, family.social_worker, rec["mash"])

    few = statements(db, read)
    _scene(db, family)
    many = statements(db, read)

    assert len(disclosures.received_summary_about(db, family.social_worker, rec["mash"])) == 5
    assert many == few
    assert few <= ROUND_TRIPS


def test_every_version_of_a_disclosed_item_stays_about_its_record(
    db: Database, family: Family
) -> None:
    """What bounds the versions read (``disclosures._of_chains``) by the first version's
    record: a correction naming another record (here the same GP's record of the
    mother) is refused, by the one path every correction takes (``records.add_version``,
    an import's changed item row too), and item rows are never updated."""
    rec = family.records
    visit = item(db, family.gp, rec["health"], "Missed appointment")
    shared = share(db, family.gp, rec["health"], [visit], to_agency=family.mash.id)
    moved = CorrectionIn(
        subject_record_id=rec["health_mother"],
        category=visit.category,
        subtype=visit.subtype,
        occurred_on=visit.occurred_on,
        summary=visit.summary,
        nature=visit.nature,
        source=visit.source,
        reason="About the mother",
    )
    with pytest.raises(InvalidInput, match="same person as the original"):
        records.correct_item(db, family.gp, visit.id, moved)
    fixed = correct(db, family.gp, visit, "Missed two appointments", "Second one found")

    (full,) = [
        d
        for d in disclosures.received_about(db, family.social_worker, rec["mash"])
        if d.id == shared.id
    ]
    assert [(i.version, i.summary) for i in full.items] == [(2, "Missed two appointments")]
    assert fixed.subject_record_id == rec["health"]
