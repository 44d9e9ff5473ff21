"""A long import's later records are weighed against the names its earlier ones brought."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.imports import service as imports
from jigsaw.linkage import frequencies
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World

HEADER = "local_id,role,given_name,family_name,date_of_birth,sex,address,postcode,nhs_number"


def test_an_import_counts_its_own_names_again_as_it_links_them(
    private_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each record is indexed as it is linked; every ``RECOUNT_NAMES_EVERY`` records the
    counts are read again, so the sixth Oliver's search counts the five before it (with
    the counts of the first search kept, it would count none)."""
    assert imports.RECOUNT_NAMES_EVERY == 1_000  # as the README says
    monkeypatch.setattr(imports, "RECOUNT_NAMES_EVERY", 2)
    db = private_database
    url = str(db.engine.url.render_as_string(hide_password=False))
    school = World(db).agency(AgencyKind.SCHOOL).id
    rows = [
        f"S-{n},child,Oliver,Family{n},2015-0{n}-1{n},male,{n} Mill Road,NB{n} 1AA,"
        for n in range(1, 7)
    ]
    source = tmp_path / "pupils.csv"
    source.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    frequencies.forget()
    result = CliRunner().invoke(
        cli, ["import", "--agency", str(school), "--database", url, str(source)]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    database = db.engine.url.render_as_string()
    held = {k[2]: value for k, value in frequencies._held.values().items() if k[0] == database}
    assert held["oliver"] == 5
    assert held[None]["given"] == 5
