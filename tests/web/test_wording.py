"""Words on the pages that read as sentences, not as stored codes: each case found by
using the service, fixed where the words come from (labels, rules data, templates)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from jigsaw.audit.actions import ALERTS, READS, REFUSALS, AuditAction
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.records.models import Category
from jigsaw.sharing import requests
from jigsaw.sharing.models import DecisionOutcome
from jigsaw.sharing.schemas import RequestIn
from jigsaw.singleview.flags import describe
from jigsaw.singleview.rules import shipped_rules
from jigsaw.web import labels
from tests.conftest import World
from tests.scene import Scene, school_child
from tests.web.sharing_steps import sign_in_as


@pytest.mark.parametrize(
    ("outcome", "says"),
    [
        (DecisionOutcome.SHARE, "You decided <strong>to share</strong> information"),
        (DecisionOutcome.DO_NOT_SHARE, "You decided <strong>not to share</strong> information"),
        # The sentence runs over lines in the page source; spaces are compared as one.
    ],
)
def test_the_decision_page_says_what_was_decided_in_a_sentence(
    client: TestClient, db: Database, world: World, scene: Scene, outcome: str, says: str
) -> None:
    extra = {"departure_reason": "Police already hold it."} if outcome == "do_not_share" else {}
    decided = scene.share(db, outcome=outcome, purpose=SharingPurpose.MASH_SCREENING, **extra)
    sign_in_as(client, world, db, scene.dsl)
    page = " ".join(client.get(f"/decisions/{decided.id}").text.split())
    assert says in page
    assert "for MASH screening of a referral." in page
    assert "do not share</strong>" not in page and "mash screening" not in page


def test_every_outcome_and_purpose_reads_inside_a_sentence() -> None:
    for outcome in (DecisionOutcome.SHARE, DecisionOutcome.SHARE_IN_PART):
        assert labels.decided(outcome).startswith("to share")
    assert labels.decided(DecisionOutcome.DO_NOT_SHARE) == "not to share"
    assert labels.in_sentence(labels.purpose(SharingPurpose.MASH_SCREENING)).startswith("MASH")
    encompass = labels.in_sentence(labels.purpose(SharingPurpose.DOMESTIC_ABUSE_NOTIFICATION))
    assert encompass == "domestic abuse notification (Operation Encompass)"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("mash_contact", "MASH contact"),
        ("camhs_dna", "CAMHS dna"),
        ("gp_visit", "GP visit"),
        ("school_attendance", "School attendance"),
    ],
)
def test_acronyms_in_a_type_stay_in_capitals(code: str, words: str) -> None:
    assert labels.subtype(code) == words


def test_no_flag_rule_repeats_itself() -> None:
    rules = shipped_rules()
    for rule in rules.flags:
        text = describe(rule, rules.indicators)
        words = text.lower().rstrip(".").replace(",", "").split()
        for size in range(2, 5):
            for start in range(len(words) - 2 * size + 1):
                first = words[start : start + size]
                assert first != words[start + size : start + 2 * size], (rule.id, text)
    concerns = next(r for r in rules.flags if r.id == "multi_agency_concerns")
    assert "record a concern about the child, all within 90 days" in describe(
        concerns, rules.indicators
    )


def test_every_action_the_access_log_and_alerts_show_has_words() -> None:
    shown = READS | REFUSALS | ALERTS | {AuditAction.BREAK_GLASS_ENDED}
    missing = sorted(a.value for a in shown if labels.access_action(a.value) == a.value)
    assert missing == []
    assert labels.access_action("person.chronology_viewed") == "Looked at a child's chronology"


def test_parts_shared_never_lists_what_it_then_says_is_withheld() -> None:
    fields = ["occurred_on", "summary", "detail", "source"]
    withheld = labels.parts_shared(fields, protected_identity=True, revealed=False)
    assert withheld.startswith("Parts shared: Date and summary.")
    assert "Detail and source withheld" in withheld
    assert not re.search(r"Parts shared:[^.]*(detail|source)", withheld)
    assert labels.parts_shared(fields, protected_identity=False, revealed=False) == (
        "Parts shared: Date, summary, detail and source."
    )
    revealed = labels.parts_shared(fields, protected_identity=True, revealed=True)
    assert "detail and source" in revealed and "revealed" in revealed


def test_the_request_page_shows_the_childs_name_in_bold_not_as_markup(
    client: TestClient, db: Database, world: World, scene: Scene
) -> None:
    theirs = school_child(db, scene.social_worker, scene.mash.id, date(2017, 6, 1))
    asked = requests.make_request(
        db,
        scene.social_worker,
        RequestIn(
            subject_record_id=theirs.id,
            recipient_agency_id=scene.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="What has the school seen this term?",
            rag=Rag.AMBER,
        ),
        load_profile("default"),
    )
    sign_in_as(client, world, db, scene.dsl)
    page = client.get(f"/requests/{asked.id}/decide").text
    assert "&lt;strong&gt;" not in page, "markup is never shown as text"
    assert "The request is about <strong>Lily Barnes</strong>, born 1 June 2017." in page
