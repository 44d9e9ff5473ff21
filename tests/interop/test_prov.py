"""A request's life as W3C PROV-O: each step an activity tied to its audit entry, each
thing made an entity derived from what it answered, no personal data, and only for
those who may see the request.

``rdflib`` is not a dependency, so the JSON-LD is checked for its structure here: every
node has an ``@id`` and a ``@type``, every relation names a node in the graph, and every
time is an ISO 8601 date-time in UTC.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.audit import service as audit
from jigsaw.audit.canonical import entry_leaf_hash
from jigsaw.audit.merkle import verify_inclusion
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.deadlines.values import Rag
from jigsaw.errors import NotFound
from jigsaw.interop import mais, prov
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing import disclosures, requests
from jigsaw.sharing.schemas import RerateIn, RevocationIn
from tests.conftest import World
from tests.interop.test_mais import PROFILE, QUESTION, SYSTEM, Asking, asking

PROV_RELATIONS = (
    "prov:used",
    "prov:wasGeneratedBy",
    "prov:wasAssociatedWith",
    "prov:wasAttributedTo",
    "prov:wasDerivedFrom",
    "prov:wasRevisionOf",
    "prov:actedOnBehalfOf",
)
TIMES = ("prov:startedAtTime", "prov:endedAtTime", "prov:generatedAtTime")


def _targets(value: Any) -> list[str]:
    links = value if isinstance(value, list) else [value]
    return [link["@id"] for link in links]


def check_structure(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The graph's nodes by id, once every structural rule is seen to hold."""
    assert document["@context"]["prov"] == "http://www.w3.org/ns/prov#"
    nodes = {node["@id"]: node for node in document["@graph"]}
    assert len(nodes) == len(document["@graph"]), "each node appears once"
    for node in nodes.values():
        assert node["@id"] and node["@type"], node
        assert all(t.startswith("prov:") for t in node["@type"])
        for relation in PROV_RELATIONS:
            for target in _targets(node.get(relation, [])):
                assert target in nodes, f"{node['@id']} {relation} {target} names no node"
        for name in TIMES:
            if name in node:
                assert node[name]["@type"] == "xsd:dateTime"
                value = node[name]["@value"]
                assert value.endswith("Z")
                assert datetime.fromisoformat(value).utcoffset() is not None
    return nodes


def of_kind(nodes: dict[str, dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [n for n in nodes.values() if n.get("kind") == kind]


def full_life(db: Database, mash: Asking) -> int:
    """A request imported for the MASH, answered by the school with a decision to share,
    disclosed, and the disclosure acknowledged by the social worker."""
    made = mais.import_request(db, mash.actor, mash.mais(), PROFILE, system=SYSTEM)
    scene = mash.scene
    decision = scene.share(db, request_id=made.request_id)
    shared = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    disclosures.acknowledge(db, scene.social_worker, shared.id)
    return made.request_id


@pytest.fixture
def mash(db: Database, world: World) -> Asking:
    return asking(db, world)


def test_a_requests_whole_life_is_one_graph_tied_to_the_log(db: Database, mash: Asking) -> None:
    request_id = full_life(db, mash)
    document = prov.export_provenance(db, mash.actor, request_id, system=SYSTEM)
    nodes = check_structure(document)

    activities = sorted(
        (n for n in nodes.values() if "prov:Activity" in n["@type"]), key=lambda n: n["auditSeq"]
    )
    assert [a["action"] for a in activities] == [
        "request.made",
        "decision.recorded",
        "disclosure.made",
        "disclosure.acknowledged",
    ]
    with db.sessions() as session:
        for activity in activities:
            entry = session.scalars(
                select(AuditEntry).where(AuditEntry.seq == activity["auditSeq"])
            ).one()
            assert entry.action == activity["action"]
            assert activity["prov:startedAtTime"]["@value"] == (
                entry.occurred_at.isoformat().replace("+00:00", "Z")
            )
            # The hash is the entry's own, worked out again from what the entry says,
            # and the log's inclusion proof leads from it to the tree's root.
            leaf = base64.b64decode(activity["leafHash"])
            assert leaf == entry_leaf_hash(entry)
            proof = audit.prove_inclusion(db, entry.seq)
            verify_inclusion(
                entry.seq,
                proof.tree_size,
                leaf,
                [base64.b64decode(p) for p in proof.proof],
                base64.b64decode(proof.root_hash),
            )

    (request,) = of_kind(nodes, "information_request")
    (decision,) = of_kind(nodes, "sharing_decision")
    (disclosure,) = of_kind(nodes, "disclosure")
    (acknowledgement,) = of_kind(nodes, "acknowledgement")
    (sent,) = of_kind(nodes, "mais_request_object")
    assert request["purpose"] == "dpv:LegalCompliance"
    assert decision["outcome"] == "share"
    assert _targets(acknowledgement["prov:wasDerivedFrom"]) == [disclosure["@id"]]
    assert _targets(disclosure["prov:wasDerivedFrom"]) == [decision["@id"]]
    assert _targets(decision["prov:wasDerivedFrom"]) == [request["@id"]]
    assert _targets(request["prov:wasDerivedFrom"]) == [sent["@id"]]
    assert sent["agreementReference"] == "DSA-COUNTY-T1/v3"
    for entity, activity in zip(
        (request, decision, disclosure, acknowledgement), activities, strict=True
    ):
        assert _targets(entity["prov:wasGeneratedBy"]) == [activity["@id"]]
        assert (entity["auditSeq"], entity["leafHash"]) == (
            activity["auditSeq"],
            activity["leafHash"],
        )
    # Who acted, for which agency: the MASH asked and acknowledged, the school decided.
    acted_for = {
        a["action"]: nodes[_targets(a["prov:wasAssociatedWith"])[0]]["prov:actedOnBehalfOf"]
        for a in activities
    }
    assert acted_for["request.made"]["@id"] == f"{SYSTEM}#agency/{mash.scene.mash.id}"
    assert acted_for["decision.recorded"]["@id"] == f"{SYSTEM}#agency/{mash.scene.school.id}"
    assert acted_for["disclosure.acknowledged"] == acted_for["request.made"]


def test_a_rerating_and_a_revocation_are_steps_of_the_life(db: Database, mash: Asking) -> None:
    request_id = full_life(db, mash)
    requests.rerate(
        db,
        mash.actor,
        request_id,
        RerateIn(rag=Rag.RED, rationale="The child disclosed at school"),
        PROFILE,
    )
    (disclosure_id,) = [d.id for d in disclosures.made_by_agency(db, mash.scene.dsl)]
    disclosures.revoke(
        db, mash.scene.dsl, disclosure_id, RevocationIn(reason="Sent to the wrong team")
    )
    nodes = check_structure(prov.export_provenance(db, mash.actor, request_id, system=SYSTEM))
    steps = sorted(
        (n for n in nodes.values() if "prov:Activity" in n["@type"]), key=lambda n: n["auditSeq"]
    )
    assert [s["action"] for s in steps][-2:] == ["request.rerated", "disclosure.revoked"]
    (request,) = of_kind(nodes, "information_request")
    (disclosure,) = of_kind(nodes, "disclosure")
    assert _targets(steps[-2]["prov:used"]) == [request["@id"]]
    (revocation,) = of_kind(nodes, "revocation")
    assert _targets(revocation["prov:wasDerivedFrom"]) == [disclosure["@id"]]
    assert "wrong team" not in json.dumps(nodes)


def test_the_agreement_relied_on_is_in_the_graph_where_the_log_has_it(
    db: Database, mash: Asking
) -> None:
    request_id = full_life(db, mash)
    nodes = check_structure(prov.export_provenance(db, mash.actor, request_id, system=SYSTEM))
    with db.sessions() as session:
        made = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "request.made", AuditEntry.object_id == str(request_id)
            )
        ).one()
    evaluations = of_kind(nodes, "agreement_evaluation")
    (evaluation,) = [e for e in evaluations if e["auditSeq"] == made.seq]
    assert evaluation["verdict"] == made.refs["agreement_verdict"] == "permit"
    agreement = nodes[_targets(evaluation["prov:wasDerivedFrom"])[0]]
    assert agreement["@id"] == (
        f"{SYSTEM}#agreement/{made.refs['agreement']}/version/{made.refs['agreement_version']}"
    )
    assert "prov:Plan" in agreement["@type"]
    activity = nodes[_targets(evaluation["prov:wasGeneratedBy"])[0]]
    assert agreement["@id"] in _targets(activity["prov:used"])


def test_the_graph_holds_no_personal_data(db: Database, mash: Asking) -> None:
    request_id = full_life(db, mash)
    written = json.dumps(prov.export_provenance(db, mash.actor, request_id, system=SYSTEM))
    for detail in ("Lily", "Barnes", QUESTION, "9434765919", "duty.worker", "Bruise", "@example"):
        assert detail not in written


def test_only_those_who_may_see_the_request_may_export_its_trail(
    db: Database, world: World, mash: Asking
) -> None:
    request_id = full_life(db, mash)
    expected = prov.export_provenance(db, mash.actor, request_id, system=SYSTEM)
    for agency, role in ((mash.scene.school, Role.DPO), (mash.scene.mash, Role.AUDITOR)):
        overseer = world.actor(world.practitioner(agency, role))
        assert prov.export_provenance(db, overseer, request_id, system=SYSTEM) == expected
    assert prov.export_provenance(db, mash.scene.dsl, request_id, system=SYSTEM) == expected
    for role in (Role.DPO, Role.MASH):
        outsider = world.actor(world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), role))
        with pytest.raises(NotFound):
            prov.export_provenance(db, outsider, request_id, system=SYSTEM)


def test_the_trail_over_the_api_and_the_command_line(
    client: TestClient, world: World, db: Database, mash: Asking
) -> None:
    request_id = full_life(db, mash)
    world.sign_in(client, world.practitioner(mash.scene.mash, Role.DPO))
    answered = client.get(f"/api/requests/{request_id}/prov")
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("application/ld+json")
    nodes = check_structure(answered.json())
    assert len(of_kind(nodes, "acknowledgement")) == 1
    client.delete("/api/session")
    client.cookies.clear()
    world.sign_in(client, world.practitioner(world.agency(AgencyKind.HEALTH), Role.DPO))
    assert client.get(f"/api/requests/{request_id}/prov").status_code == 404

    printed = CliRunner().invoke(
        cli, ["prov", "export", "--request", str(request_id), "--database", db.url]
    )
    assert printed.exit_code == 0, printed.output
    assert len(of_kind(check_structure(json.loads(printed.stdout)), "disclosure")) == 1
