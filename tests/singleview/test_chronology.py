"""The merged chronology: own items and exactly the disclosed fields of active
disclosures, corrections and retractions shown, filters that cannot reveal a withheld
value, and every read audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import RetractionIn
from jigsaw.sharing import disclosures
from jigsaw.sharing.disclosures import WITHHELD
from jigsaw.sharing.schemas import RevocationIn
from jigsaw.singleview import service
from jigsaw.singleview.schemas import ChronologyFilters, Order
from tests.agreed import agree
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, correct, item, share, statements

MARCH_3 = date(2026, 3, 3)


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _summaries(db: Database, family: Family, **filters: object) -> list[str | None]:
    found = service.chronology(db, family.social_worker, family.child, ChronologyFilters(**filters))  # type: ignore[arg-type]
    return [e.summary for e in found.entries]


def test_chronology_merges_own_and_disclosed_items_in_date_order(
    db: Database, family: Family
) -> None:
    rec = family.records
    item(db, family.social_worker, rec["mash"], "Contact from school", occurred_on=date(2026, 3, 5))
    shared = item(db, family.dsl, rec["school"], "Bruise on arm", occurred_on=date(2026, 3, 1))
    item(
        db, family.dsl, rec["school"], "Not shared: school's own note", occurred_on=date(2026, 3, 2)
    )
    police = item(
        db, family.officer, rec["police"], "Incident at home", occurred_on=date(2026, 3, 3)
    )
    item(db, family.gp, rec["health"], "Not shared: GP consultation", occurred_on=date(2026, 3, 4))
    share(db, family.dsl, rec["school"], [shared], to_agency=family.mash.id)
    share(
        db, family.officer, rec["police"], [police], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id,
    )  # fmt: skip

    found = service.chronology(db, family.social_worker, family.child)

    assert [e.summary for e in found.entries] == [
        "Bruise on arm",
        "Incident at home",
        "Contact from school",
    ]
    school, police_entry, own = found.entries
    assert own.own_agency and own.fields[0] == "occurred_on" and own.detail
    assert not school.own_agency and school.agency_name == family.school.name
    assert school.agency_kind is AgencyKind.SCHOOL
    assert "detail" not in school.fields and school.detail is None and school.source is None
    assert police_entry.disclosure_ids
    assert {a.agency_name for a in found.agencies} == {
        family.mash.name,
        family.school.name,
        family.police.name,
    }
    newest = service.chronology(
        db, family.social_worker, family.child, ChronologyFilters(order=Order.NEWEST_FIRST)
    )
    assert newest.entries[0].summary == "Contact from school"


def test_a_named_disclosure_is_not_seen_by_a_colleague(db: Database, family: Family) -> None:
    police = item(db, family.officer, family.records["police"], "Named to one worker")
    share(
        db, family.officer, family.records["police"], [police], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id,
    )  # fmt: skip
    mine = service.chronology(db, family.social_worker, family.child)
    theirs = service.chronology(db, family.mash_colleague, family.child)
    assert "Named to one worker" in [e.summary for e in mine.entries]
    assert "Named to one worker" not in [e.summary for e in theirs.entries]


def test_revoked_and_expired_disclosures_show_nothing(db: Database, family: Family) -> None:
    rec = family.records
    revoked = item(db, family.dsl, rec["school"], "Shared then revoked")
    expiring = item(db, family.gp, rec["health"], "Shared for a week")
    made = share(db, family.dsl, rec["school"], [revoked], to_agency=family.mash.id)
    share(
        db, family.gp, rec["health"], [expiring], to_agency=family.mash.id,
        expires_in=timedelta(days=7),
    )  # fmt: skip
    assert {"Shared then revoked", "Shared for a week"} <= set(_summaries(db, family))

    disclosures.revoke(db, family.dsl, made.id, RevocationIn(reason="Sent to the wrong hub"))
    assert "Shared then revoked" not in _summaries(db, family)

    db.clock.hold(utcnow() + timedelta(days=9))
    assert "Shared for a week" not in _summaries(db, family)


def test_corrections_reach_the_chronology_with_the_same_fields(
    db: Database, family: Family
) -> None:
    rec = family.records
    first = item(db, family.dsl, rec["school"], "Bruise on the left arm")
    share(db, family.dsl, rec["school"], [first], to_agency=family.mash.id, fields=["summary"])
    correct(db, family.dsl, first, "Bruise on the right arm", "Wrong arm recorded")
    entry = next(
        e
        for e in service.chronology(db, family.social_worker, family.child).entries
        if e.item_chain_id == first.id
    )
    assert entry.summary == "Bruise on the right arm"
    assert entry.version == 2 and entry.corrected
    assert entry.fields == ["summary", "nature"] and entry.occurred_on is None
    own = next(
        e
        for e in service.chronology(db, family.dsl, family.child).entries
        if e.item_chain_id == first.id
    )
    assert own.corrected and own.version == 2


def test_retractions_are_shown_not_hidden(db: Database, family: Family) -> None:
    rec = family.records
    wrong = item(db, family.dsl, rec["school"], "Entered on the wrong child")
    share(db, family.dsl, rec["school"], [wrong], to_agency=family.mash.id)
    records.retract_item(db, family.dsl, wrong.id, RetractionIn(reason="Wrong child"))
    theirs = next(
        e
        for e in service.chronology(db, family.social_worker, family.child).entries
        if e.item_chain_id == wrong.id
    )
    assert theirs.retracted and theirs.retraction_reason is None
    own = next(
        e
        for e in service.chronology(db, family.dsl, family.child).entries
        if e.item_chain_id == wrong.id
    )
    assert own.retracted and own.retraction_reason == "Wrong child"


def test_protected_identities_stay_withheld_unless_revealed(db: Database, family: Family) -> None:
    rec = family.records
    protected = item(
        db, family.officer, rec["police"], "Neighbour reported shouting",
        protected_identity=True,
    )  # fmt: skip
    share(
        db, family.officer, rec["police"], [protected], to_agency=family.mash.id,
        fields=["summary", "detail", "source"],
    )  # fmt: skip
    entry = next(
        e
        for e in service.chronology(db, family.social_worker, family.child).entries
        if e.item_chain_id == protected.id
    )
    assert entry.detail == WITHHELD and entry.source == WITHHELD
    assert entry.summary == "Neighbour reported shouting"


def test_filters_match_only_on_visible_fields(db: Database, family: Family) -> None:
    rec = family.records
    risky = item(
        db, family.officer, rec["police"], "Category withheld",
        category=Category.RISK_PERSON, occurred_on=date(2025, 1, 1),
    )  # fmt: skip
    open_one = item(
        db, family.gp, rec["health"], "Category shared",
        category=Category.RISK_PERSON, nature=Nature.OPINION, occurred_on=date(2026, 1, 10),
    )  # fmt: skip
    share(
        db, family.officer, rec["police"], [risky], to_agency=family.mash.id,
        fields=["summary"],
    )  # fmt: skip
    share(db, family.gp, rec["health"], [open_one], to_agency=family.mash.id)
    item(db, family.social_worker, rec["mash"], "Own note", occurred_on=date(2026, 2, 1))

    assert _summaries(db, family, categories=frozenset({Category.RISK_PERSON})) == [
        "Category shared"
    ]
    assert _summaries(db, family, nature=Nature.OPINION) == ["Category shared"]
    in_range = _summaries(db, family, since=date(2026, 1, 1), until=date(2026, 1, 31))
    assert in_range == ["Category shared"]
    assert _summaries(db, family, agency_ids=frozenset({family.mash.id})) == ["Own note"]
    # Unfiltered, the undated item comes last: its date was not shared.
    assert _summaries(db, family)[-1] == "Category withheld"


def test_chronology_is_refused_without_a_purpose_and_reads_are_audited(
    db: Database, world: World, family: Family
) -> None:
    outsider = world.actor(world.practitioner(world.agency(AgencyKind.HOUSING), Role.PRACTITIONER))
    with pytest.raises(NotPermitted):
        service.chronology(db, outsider, family.child)
    shared = item(db, family.dsl, family.records["school"], "Shared with housing")
    agree(db, family.school.id, outsider.agency_id or 0)
    share(db, family.dsl, family.records["school"], [shared], to_agency=outsider.agency_id or 0)
    # A disclosure about the child is a purpose to see what was disclosed, and no more.
    item(db, family.dsl, family.records["school"], "Kept in school")
    seen = service.chronology(db, outsider, family.child)
    assert [e.summary for e in seen.entries] == ["Shared with housing"]
    assert seen.known_as is None
    with pytest.raises(NotPermitted):  # not a purpose to see who knows the child
        service.who_knows(db, outsider, family.child)
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == AuditAction.CHRONOLOGY_VIEWED.value,
                AuditEntry.actor_id == outsider.practitioner_id,
            )
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None and entry.object_id == str(family.child)
    assert entry.refs["items"] == [shared.id]
    assert entry.refs["disclosures"]


def test_pdf_export_carries_only_what_the_page_shows_and_is_audited(
    db: Database, family: Family
) -> None:
    rec = family.records
    shared = item(db, family.dsl, rec["school"], "Bruise \u2013 left arm")
    share(db, family.dsl, rec["school"], [shared], to_agency=family.mash.id, fields=["summary"])
    item(db, family.dsl, rec["school"], "School only")
    pdf = service.chronology_pdf(db, family.social_worker, family.child)
    assert pdf.startswith(b"%PDF-")
    with db.sessions() as session:
        exported = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.CHRONOLOGY_EXPORTED.value,
                AuditEntry.actor_id == family.social_worker.practitioner_id,
            )
        ).all()
    assert len(exported) == 1 and exported[0].refs["items"] == [shared.id]


def test_a_chronology_costs_the_same_statements_however_much_is_known(
    db: Database, family: Family
) -> None:
    """Items, versions, agencies and disclosures are found a set at a time, never one by
    one: a child known for years to many agencies costs no more round trips."""
    rec = family.records
    first = item(db, family.dsl, rec["school"], "Bruise on arm")
    share(db, family.dsl, rec["school"], [first], to_agency=family.mash.id)
    item(db, family.social_worker, rec["mash"], "Contact from school")

    def read() -> object:
        return service.chronology(db, family.social_worker, family.child)

    few = statements(db, read)

    more = [item(db, family.dsl, rec["school"], f"Note {n}") for n in range(6)]
    share(db, family.dsl, rec["school"], more[:3], to_agency=family.mash.id)
    share(
        db, family.dsl, rec["school"], more[3:], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id, fields=["summary", "detail"],
    )  # fmt: skip
    police = [item(db, family.officer, rec["police"], f"Incident {n}") for n in range(4)]
    share(db, family.officer, rec["police"], police, to_agency=family.mash.id)
    correct(db, family.dsl, more[0], "Note 0, corrected", "Wrong wording")
    for n in range(5):
        item(db, family.social_worker, rec["mash"], f"Strategy note {n}")

    many = statements(db, read)
    found = service.chronology(db, family.social_worker, family.child)

    assert len(found.entries) == 17 and len({e.agency_id for e in found.entries}) == 3
    assert "Note 0, corrected" in {e.summary for e in found.entries}
    assert many == few
    assert few <= ROUND_TRIPS


ROUND_TRIPS = 12
"""A chronology's statements: the standing facts, the items' holdings, the disclosed
items, their disclosures, the items themselves, their keys, the flags received from
other systems (``records.received``), and the audit entry
(lock the head, the entry, its tree nodes, move the head); SQLite adds its BEGIN."""
