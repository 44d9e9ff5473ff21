"""A deployment's first day without the demo: the walk-through in ``docs/deployment.md``,
its commands read from the page and run in order on an empty database (PostgreSQL when
``JIGSAW_DATABASE_URL`` names one, SQLite otherwise), ending with the designated
safeguarding lead signing in over the API with the printed enrolment code, and the
printed token reading the agency's records. Then the admin commands' own rules: the same
as the web administration's, audited, and no token for another agency's account."""

from __future__ import annotations

import re
import secrets
import shlex
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.app import create_app
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.clock import utcnow
from jigsaw.config import get_settings
from jigsaw.db import Database
from jigsaw.identity import totp
from jigsaw.identity.models import ApiToken, Practitioner
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World, unique

WALK_THROUGH = Path(__file__).parents[2] / "docs" / "deployment.md"
HEADING = "## From nothing to a running service"
NEW_PASSWORD = "lanterns drift across the harbour at dusk"
DSL_EMAIL = "p.shah@northfield.example.org"


IMPORTING = "Once an agency is set up"
EXAMPLES = Path(__file__).parents[2] / "examples"
EXPORTS = {
    "pupils.csv": "agency-records.csv",
    "families.csv": "relationships.csv",
    "support.csv": "involvements.csv",
    "concerns.jsonl": "items.jsonl",
}
"""The walk-through's files, and the example each is (the agency's own export)."""


def walk_through_commands(after: str = HEADING) -> list[list[str]]:
    """The shell lines of the page's walk-through (or of the block after ``after``), as
    words, comments dropped."""
    text = WALK_THROUGH.read_text()
    section = text[text.index(after) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the walk-through has no commands"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line]


def _run(runner: CliRunner, words: list[str]) -> str:
    assert words[0] == "jigsaw", words
    get_settings.cache_clear()
    result = runner.invoke(cli, words[1:])
    assert result.exit_code == 0, (words, result.output, result.exception)
    return result.output


def _walk(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Run the walk-through up to `jigsaw serve`; each command's output by its words."""
    runner = CliRunner()
    outputs: dict[str, str] = {}
    served = False
    for words in walk_through_commands():
        assert not served, "serving is the last step"
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            if name == "JIGSAW_DATABASE_URL":
                assert value.startswith("postgresql+psycopg://")
                value = empty_database_url  # this run's own empty database
            elif value.startswith("$(jigsaw "):
                value = _run(runner, shlex.split(value[2:-1])).strip()
            else:
                assert name == "JIGSAW_SECRET_KEY" and "secrets.token_urlsafe(48)" in value
                value = secrets.token_urlsafe(48)
            monkeypatch.setenv(name, value)
        elif words[1] == "serve":
            served = True
        else:
            outputs[shlex.join(words[1:])] = _run(runner, words)
    assert served
    return outputs


def _one(outputs: dict[str, str], *words: str) -> str:
    found = [out for command, out in outputs.items() if all(w in command for w in words)]
    assert len(found) == 1, words
    return found[0]


def test_the_deployment_walk_through_runs_from_nothing_to_a_signed_in_dsl(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outputs = _walk(empty_database_url, monkeypatch)

    agency = _one(outputs, "agency add")
    assert agency.strip() == "Agency 1: Northfield Primary School (school)"
    dsl = _one(outputs, "practitioner add", "--role dsl")
    assert "(dsl) in agency 1" in dsl
    code = dsl.split("Enrolment code: ")[1].split()[0]
    until = re.search(r"until (\d{2} \w+ \d{4} \d{2}:\d{2}) UTC", dsl)
    assert until is not None
    expires = datetime.strptime(until.group(1), "%d %B %Y %H:%M")
    assert abs(expires - utcnow().replace(tzinfo=None) - timedelta(days=7)) < timedelta(hours=1)
    assert "Enrolment code: " in _one(outputs, "practitioner add", "--role admin")
    token = _one(outputs, "token create").strip().splitlines()[-1]
    assert token.startswith("jgs_")

    # `jigsaw serve` serves this app, made from the same settings.
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.database_url == empty_database_url
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        body = {"email": DSL_EMAIL, "code": code, "new_password": NEW_PASSWORD}
        assert client.post("/api/password-reset", json=body).status_code == 204
        started = client.post("/api/session", json={"email": DSL_EMAIL, "password": NEW_PASSWORD})
        assert started.status_code == 200, started.text
        assert started.json()["second_factor"] == "enrolment_required"
        secret = client.post("/api/session/enrolment").json()["secret"]
        now_code = totp.code_for_step(secret, totp.step_at(utcnow()))
        done = client.post("/api/session/second-factor", json={"totp_code": now_code})
        assert done.status_code == 200, done.text
        assert done.json()["second_factor"] == "verified"
        me = client.get("/api/me").json()
        assert (me["role"], me["agency_id"], me["email"]) == ("dsl", 1, DSL_EMAIL)
        client.delete("/api/session")
        client.cookies.clear()

        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/agency-records", headers=bearer).status_code == 200
        assert client.get("/api/agency-records").status_code == 401

    # Then the agency's own records, and what it knows about them, as the page says.
    imported = _import_as_documented(tmp_path)
    assert "of records for agency 1, 7 rows: created 4" in imported["pupils.csv"]
    assert "of relationships for agency 1, 5 rows: created 2" in imported["families.csv"]
    assert "of involvements for agency 1, 4 rows: created 2" in imported["support.csv"]
    assert "of items for agency 1, 3 rows: created 2" in imported["concerns.jsonl"]
    assert (tmp_path / "out" / "pupils.quarantine.csv").is_file()
    get_settings.cache_clear()
    with TestClient(create_app(get_settings()), base_url="https://testserver") as client:
        feed = client.post(
            "/api/imports/items",
            content=(EXAMPLES / "items.jsonl").read_bytes(),
            headers={**bearer, "Content-Type": "application/x-ndjson"},
        )
        assert feed.status_code == 200, feed.text
        assert (feed.json()["unchanged"], feed.json()["rejected"]) == (2, 1)
        records = client.get("/api/agency-records", headers=bearer).json()
        assert {"SCH-0001", "SCH-0002", "SCH-0003"} <= {r["local_id"] for r in records["records"]}


def _import_as_documented(folder: Path) -> dict[str, str]:
    """Run the page's import commands on copies of the examples; each file's report."""
    out = folder / "out"
    out.mkdir()
    for name, example in EXPORTS.items():
        (folder / name).write_bytes((EXAMPLES / example).read_bytes())
    runner = CliRunner()
    reports: dict[str, str] = {}
    for words in walk_through_commands(IMPORTING):
        words = [str(out) if w == "/var/lib/jigsaw/imports" else w for w in words]
        words = [str(folder / w) if w in EXPORTS else w for w in words]
        output = _run(runner, words)
        for name in EXPORTS:
            for line in output.splitlines():
                if line.startswith(f"{name}: import "):
                    reports[name] = line
    assert set(reports) == set(EXPORTS), reports
    return reports


def _cli(db: Database, *words: str) -> tuple[int, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, [*words, "--database", url])
    return result.exit_code, result.output


def _audited(db: Database, action: AuditAction, entity_id: int) -> int:
    with db.sessions() as session:
        found = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action.value, AuditEntry.object_id == str(entity_id))
        )
    return int(found or 0)


def test_the_admin_commands_add_list_and_deactivate_audited(db: Database, world: World) -> None:
    name = unique("Eastwick Health Visiting")
    status, out = _cli(db, "admin", "agency", "add", "--name", name, "--kind", "health")
    assert status == 0, out
    agency_id = int(out.split()[1].rstrip(":"))
    assert _audited(db, AuditAction.AGENCY_CREATED, agency_id) == 1
    status, listed = _cli(db, "admin", "agency", "list")
    assert status == 0 and any(
        line.split()[:2] == [str(agency_id), "health"] and line.endswith(name)
        for line in listed.splitlines()
    )
    again = _cli(db, "admin", "agency", "add", "--name", name, "--kind", "health")
    assert again[0] == 1 and "already exists" in again[1] and len(again[1].splitlines()) == 1

    email = f"{unique('hv').replace(' ', '.')}@example.org"
    add = ["admin", "practitioner", "add", "--agency", str(agency_id), "--name", "Kit Lowe"]
    status, out = _cli(db, *add, "--email", email, "--role", "admin")
    assert status == 0, out
    account_id = int(out.split()[1].rstrip(":"))
    assert _audited(db, AuditAction.PRACTITIONER_CREATED, account_id) == 1
    with db.sessions() as session:
        made = session.get(Practitioner, account_id)
        assert made is not None and made.password_hash is None  # nobody chose a password
    chosen = _cli(db, *add, "--email", f"x{email}", "--role", "system")
    assert chosen[0] == 1 and "system's role" in chosen[1]

    status, out = _cli(db, "admin", "practitioner", "list", "--agency", str(agency_id))
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == [str(account_id)]
    assert "active" in out and email in out

    status, out = _cli(db, "admin", "practitioner", "deactivate", str(account_id))
    assert status == 0, out
    assert _audited(db, AuditAction.PRACTITIONER_CHANGED, account_id) == 1
    status, out = _cli(db, "admin", "practitioner", "list", "--agency", str(agency_id))
    assert "disabled" in out
    missing = _cli(db, "admin", "practitioner", "deactivate", "2147483000")
    assert missing == (1, "Not found: No practitioner with id 2147483000\n")


def test_a_token_is_made_for_one_agencys_service_account_and_no_other(
    db: Database, world: World
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    theirs = world.service_account(police)
    create = ["admin", "token", "create", "--name", "Pupil feed", "--scope", "records:read"]

    status, out = _cli(db, *create, "--agency", str(school.id), "--service-account", str(theirs.id))
    assert status == 1
    assert out == (
        f"Not accepted: practitioner_id: There is no active service account with id "
        f"{theirs.id} in agency {school.id}\n"
    )
    with db.sessions() as session:
        issued = session.scalars(select(ApiToken).where(ApiToken.practitioner_id == theirs.id))
        assert list(issued) == []

    person = world.practitioner(agency=school)
    status, out = _cli(db, *create, "--agency", str(school.id), "--service-account", str(person.id))
    assert status == 1 and "only for service accounts" in out

    status, out = _cli(db, *create, "--agency", str(police.id), "--service-account", str(theirs.id))
    assert status == 0, out
    assert out.strip().splitlines()[-1].startswith("jgs_")

    status, out = _cli(db, *create, "--agency", str(school.id))
    assert status == 0, out
    made = int(out.split()[2].rstrip(":"))
    with db.sessions() as session:
        account = session.get(Practitioner, made)
        assert account is not None
        assert (account.agency_id, account.service_account) == (school.id, True)
        token = session.scalars(select(ApiToken).where(ApiToken.practitioner_id == made)).one()
    assert token.scopes == ["records:read"]
    assert _audited(db, AuditAction.API_TOKEN_CREATED, token.id) == 1
