"""Operation Encompass types are data an authority can change: the shipped default covers
the usual names (``domestic_violence`` notifies as ``domestic_abuse_incident`` does), an
authority's own file replaces it, and the school's notice shows the incident's date and
the police contact, recorded as a disclosure for the domestic abuse notification purpose."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.config import get_settings
from jigsaw.datafiles import DataProblems
from jigsaw.db import Database
from jigsaw.encompass import service as encompass
from jigsaw.encompass.types import current_types, normalise, parse, shipped_types
from jigsaw.errors import NotFound
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.schemas import ItemOut
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, item


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _encompass_notices(db: Database, practitioner_id: int | None) -> list[Notification]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(Notification).where(
                    Notification.practitioner_id == practitioner_id,
                    Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                )
            )
        )


def _police_item(db: Database, family: Family, subtype: str) -> ItemOut:
    return item(
        db, family.officer, family.records["police"], "Officers attended the home",
        subtype=subtype, occurred_on=date(2026, 3, 14),
    )  # fmt: skip


def test_the_shipped_default_covers_the_usual_names() -> None:
    types = shipped_types()
    assert types.version
    for kind in ("domestic_abuse_incident", "domestic_violence", "domestic_abuse"):
        assert types.includes(kind), kind
    assert types.includes("Domestic violence")
    assert types.includes(" domestic-abuse-incident ")
    assert not types.includes("missing_episode")
    assert not types.includes("marac_referral")  # a referral, not an incident attended


def test_types_are_compared_without_case_spaces_or_hyphens() -> None:
    assert normalise("Domestic - Violence") == "domestic_violence"
    assert normalise("DOMESTIC_ABUSE__INCIDENT") == "domestic_abuse_incident"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version: '1'\n", "types: is needed"),
        ("version: '1'\ntypes: {}\n", "types: must not be empty"),
        ("version: '1'\ntypes: {a: A}\ncolour: red\n", "unknown key colour"),
        (
            "version: '1'\ntypes: {domestic_violence: A, Domestic-Violence: B}\n",
            "is the same type as",
        ),
        ("version: ' '\ntypes: {a: A}\n", "version: must not be empty"),
    ],
)
def test_a_wrong_file_is_refused_saying_where(text: str, problem: str) -> None:
    with pytest.raises(DataProblems) as refused:
        parse(text, "authority.yaml")
    assert any(problem in p and p.startswith("authority.yaml") for p in refused.value.problems)


def test_domestic_violence_tells_the_school(db: Database, family: Family) -> None:
    before = len(_encompass_notices(db, family.dsl.practitioner_id))
    incident = _police_item(db, family, "domestic_violence")
    notices = _encompass_notices(db, family.dsl.practitioner_id)
    assert len(notices) == before + 1
    assert notices[-1].object_id == incident.id
    assert _encompass_notices(db, family.teacher.practitioner_id) == []
    with db.sessions() as session:
        logged = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.ENCOMPASS_NOTIFIED.value,
                AuditEntry.object_id == str(incident.id),
            )
        ).one()
    # The disclosure is recorded: for what purpose, what was disclosed, which list matched.
    assert logged.purpose == "domestic_abuse_notification"
    assert logged.refs["disclosed"] == "occurred_on,police_contact"
    assert logged.refs["types_version"] == shipped_types().version


def test_an_authority_list_replaces_the_default(
    db: Database, family: Family, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "encompass.yaml"
    own.write_text('version: "local-1"\ntypes:\n  marac_alert: MARAC alert\n')
    monkeypatch.setenv("JIGSAW_ENCOMPASS_TYPES_FILE", str(own))
    get_settings.cache_clear()
    assert current_types().version == "local-1"

    _police_item(db, family, "domestic_abuse_incident")
    assert _encompass_notices(db, family.dsl.practitioner_id) == []
    incident = _police_item(db, family, "marac_alert")
    assert [n.object_id for n in _encompass_notices(db, family.dsl.practitioner_id)] == [
        incident.id
    ]


def test_an_item_recorded_as_other_is_matched_on_the_words_given(
    db: Database, family: Family
) -> None:
    incident = item(
        db, family.officer, family.records["police"], "Officers attended the home",
        subtype="other", subtype_other="Domestic incident",
    )  # fmt: skip
    assert [n.object_id for n in _encompass_notices(db, family.dsl.practitioner_id)] == [
        incident.id
    ]


def test_the_notice_shows_the_date_and_police_contact_to_the_school_alone(
    db: Database, world: World, family: Family
) -> None:
    incident = _police_item(db, family, "domestic_abuse_incident")
    (notice,) = _encompass_notices(db, family.dsl.practitioner_id)
    shown = encompass.notice(db, family.dsl, notice.id)
    assert shown.incident_on == date(2026, 3, 14)
    assert shown.agency_record_id == family.records["school"]
    assert shown.given_name == "Maisie"
    officer = family.accounts["officer"]
    assert shown.police.name == officer.name
    assert shown.police.email == officer.email
    assert shown.police.agency_name == family.police.name
    assert not shown.withdrawn
    with db.sessions() as session:
        read = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.ENCOMPASS_NOTICE_VIEWED.value,
                AuditEntry.object_id == str(incident.id),
            )
        ).one()
    assert read.refs["agency_record"] == family.records["school"]

    # Not the teacher it was not addressed to, nor another school's lead.
    other = world.actor(world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL))
    for outsider in (family.teacher, other, family.officer):
        with pytest.raises(NotFound):
            encompass.notice(db, outsider, notice.id)
