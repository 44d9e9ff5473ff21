"""The audit log through its API and its command line."""

import base64

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jigsaw.audit.merkle import verify_inclusion
from jigsaw.audit.signing import VerifierKey, open_note
from jigsaw.cli import app as cli
from jigsaw.db import Database
from tests.audit.test_log import SIGNER, populate
from tests.conftest import AUDIT_KEY, World


def test_checkpoint_and_inclusion_proof_over_the_api(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner())
    key = VerifierKey.parse(client.get("/api/audit/verifier-key").text)
    made = client.post("/api/audit/checkpoint")
    assert made.status_code == 201
    checkpoint = open_note(made.text, key)
    assert client.get("/api/audit/checkpoint").text == made.text
    proof = client.get(
        "/api/audit/proofs/inclusion", params={"entry": 0, "tree_size": checkpoint.size}
    ).json()
    verify_inclusion(
        0,
        checkpoint.size,
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(p) for p in proof["proof"]],
        checkpoint.root,
    )
    too_far = client.get("/api/audit/proofs/inclusion", params={"entry": checkpoint.size + 10**6})
    assert too_far.status_code == 422


def test_cli_checkpoint_prove_and_verify(private_database: Database, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    populate(private_database)
    runner = CliRunner()
    url = private_database.url
    made = runner.invoke(cli, ["audit", "checkpoint", "--database", url])
    assert made.exit_code == 0, made.output
    assert open_note(made.stdout, SIGNER.verifier).size > 0
    held = tmp_path / "checkpoint.txt"
    held.write_text(made.stdout)
    proved = runner.invoke(cli, ["audit", "prove", "--entry", "2", "--database", url])
    assert proved.exit_code == 0 and '"leaf_index": 2' in proved.stdout
    ok = runner.invoke(cli, ["audit", "verify", "--checkpoint", str(held), "--database", url])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    from tests.audit.test_log import without_guards

    without_guards(private_database, "UPDATE audit_entries SET purpose = 'x' WHERE seq = 1")
    bad = runner.invoke(cli, ["audit", "verify", "--checkpoint", str(held), "--database", url])
    assert bad.exit_code == 1
    assert "altered" in bad.output and "entry 1" in bad.output
