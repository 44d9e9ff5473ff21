"""An imported record is linked by the UPN another agency's import holds, as a run would
link it; the same text as a local case number links nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.linkage import identifiers
from jigsaw.people.identifiers import normalise_upn, upn_check_letter
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World

HEADER = (
    "local_id,role,given_name,family_name,date_of_birth,sex,address,postcode,nhs_number,"
    "identifier:upn,identifier:local_case_number"
)
_BODY = "201000424242"
UPN = normalise_upn(upn_check_letter(_BODY) + _BODY)


def _import(database_url: str, agency: int, source: Path) -> None:
    result = CliRunner().invoke(
        cli, ["import", "--agency", str(agency), "--database", database_url, str(source)]
    )
    assert result.exit_code == 0, (result.output, result.exception)


def _person(db: Database, agency: int, local_id: str) -> int | None:
    with db.reading() as session:
        return session.scalar(
            select(AgencyRecord.person_id).where(
                AgencyRecord.agency_id == agency, AgencyRecord.local_id == local_id
            )
        )


def test_a_renamed_child_who_moved_is_linked_by_the_upn_both_imports_hold(
    private_database: Database, tmp_path: Path
) -> None:
    db = private_database
    url = str(db.engine.url.render_as_string(hide_password=False))
    world = World(db)
    school = world.agency(AgencyKind.SCHOOL).id
    council = world.agency(AgencyKind.SOCIAL_CARE).id
    identifiers.forget_counts()
    pupils = tmp_path / "pupils.csv"
    pupils.write_text(
        f"{HEADER}\n"
        f"P-1,child,Tamsin,Brookes,,female,3 Orchard Way,NB1 1AA,,{UPN},\n"
        "P-2,child,Imogen,Brookes,,female,3 Orchard Way,NB1 1AA,,,LA/2024/0042\n"
    )
    _import(url, school, pupils)
    children = tmp_path / "children.csv"
    # A new surname, another home in another town, no date of birth: only the given name
    # and the number agree, and no other blocking rule would bring the pair together.
    children.write_text(
        f"{HEADER}\n"
        f"C-1,child,Tamsin,Okafor,,female,17 Station Road,ZE9 4QQ,,{UPN},\n"
        "C-2,child,Imogen,Okafor,,female,17 Station Road,ZE9 4QQ,,,LA/2024/0042\n"
    )
    _import(url, council, children)
    assert _person(db, school, "P-1") is not None
    assert _person(db, council, "C-1") == _person(db, school, "P-1")
    assert _person(db, council, "C-2") is not None
    assert _person(db, council, "C-2") != _person(db, school, "P-2")


def test_the_searches_after_an_import_count_the_numbers_it_brought(
    private_database: Database, tmp_path: Path
) -> None:
    """Searches hold the counts of distinct numbers for five minutes; an import's own
    linking, and the searches after it in the process, count afresh."""
    db = private_database
    url = str(db.engine.url.render_as_string(hide_password=False))
    school = World(db).agency(AgencyKind.SCHOOL).id
    identifiers.forget_counts()
    with db.reading() as session:
        assert identifiers.cached_counts(session).get("upn", 0) == 0  # now held
    pupils = tmp_path / "pupils.csv"
    pupils.write_text(f"{HEADER}\nP-1,child,Tamsin,Brookes,,female,3 Orchard Way,NB1 1AA,,{UPN},\n")
    _import(url, school, pupils)
    with db.reading() as session:
        assert identifiers.cached_counts(session) == {"upn": 1}
