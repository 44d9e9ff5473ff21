"""The demo's agreements are valid, load in force, and answer as a partnership expects.

In a database of its own: the protocol covers every kind of agency, and would cover
every other test's agencies in the shared one.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from rich.console import Console

from jigsaw.agreements import service
from jigsaw.agreements.models import AgreementStatus
from jigsaw.agreements.terms import check_document, demo_documents
from jigsaw.agreements.validity import Verdict, evaluate
from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.demo import _load_agreements
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World


def test_the_shipped_demo_documents_are_valid() -> None:
    documents = demo_documents()
    assert [d["tier"] for d in documents] == [1, 2, 3]
    for document in documents:
        check_document(document)


def test_the_demo_agreements_load_in_force_and_decide(private_database: Database) -> None:
    db = private_database
    world = World(db)
    agencies = {kind: world.agency(kind) for kind in AgencyKind}
    dpo = world.actor(world.practitioner(agencies[AgencyKind.SOCIAL_CARE], Role.DPO))
    out = StringIO()
    _load_agreements(db, dpo, lambda kind: agencies[kind].id, Console(file=out))
    assert out.getvalue().count("Agreement in force") == 3
    loaded = service.list_agreements(db, dpo)
    assert [a.status for a in loaded] == [AgreementStatus.IN_FORCE] * 3
    at = utcnow() + timedelta(minutes=1)

    def judge(
        provider: AgencyKind,
        recipient: AgencyKind,
        purpose: SharingPurpose,
        categories: list[str],
        *,
        onward: bool = False,
    ) -> tuple[Verdict, str | None, str]:
        with db.reading() as session:
            found = evaluate(
                session,
                provider_agency_id=agencies[provider].id,
                recipient_agency_id=agencies[recipient].id,
                purpose=purpose,
                categories=categories,
                at=at,
                onward=onward,
            )
        return found.verdict, found.agreement_reference, found.reasons[0].code

    police, school = AgencyKind.POLICE, AgencyKind.SCHOOL
    health, council = AgencyKind.HEALTH, AgencyKind.SOCIAL_CARE
    encompass = SharingPurpose.DOMESTIC_ABUSE_NOTIFICATION
    assert judge(police, school, encompass, ["domestic_abuse_incident"]) == (
        Verdict.PERMIT,
        "OE-POLICE-SCHOOLS",
        "covered",
    )
    assert judge(health, council, SharingPurpose.MASH_SCREENING, ["child_welfare"]) == (
        Verdict.PERMIT,
        "HEALTH-MASH",
        "covered",
    )
    # Only the protocol covers a school telling housing about early help.
    assert judge(school, AgencyKind.HOUSING, SharingPurpose.EARLY_HELP, ["child_welfare"]) == (
        Verdict.REVIEW,
        "LSP-ISP",
        "protocol_only",
    )
    # Encompass prohibits use in court, and the protocol's silence does not reopen it.
    assert judge(police, school, SharingPurpose.COURT_PROCEEDINGS, ["domestic_incident"]) == (
        Verdict.DENY,
        "OE-POLICE-SCHOOLS",
        "purpose_prohibited",
    )
    assert (
        judge(health, council, SharingPurpose.MASH_SCREENING, ["child_welfare"], onward=True)[0]
        is Verdict.DENY
    )
    # The protocol names no agency of the kind "other": nothing covers one.
    assert judge(AgencyKind.OTHER, school, SharingPurpose.EARLY_HELP, ["child_welfare"]) == (
        Verdict.DENY,
        None,
        "no_agreement",
    )
