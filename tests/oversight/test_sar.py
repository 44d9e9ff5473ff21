"""``jigsaw sar``: the disclosure register for one person across their linked records,
written as a CSV and a PDF for a subject access response, audited as one entry."""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.oversight.register import NOT_SHARED, WITHHELD
from jigsaw.oversight.subject_access import FREE_TEXT_WITHHELD, subject_access_export
from jigsaw.policy.actor import Actor
from jigsaw.sharing import disclosures, standalone
from jigsaw.sharing.models import DecisionOutcome, RequesterKind, StandaloneKind
from jigsaw.sharing.schemas import DisclosedItemIn, DisclosureOut, StandaloneDecisionIn
from tests.scene import Scene, _item
from tests.singleview.helpers import item, link, new_person, record, share
from tests.web.helpers import entries_about

FORMULA = '=HYPERLINK("http://example.invalid","Open")'
"""A reason a spreadsheet would run as a formula if it were written as typed."""


@dataclass
class Shared:
    person: int
    school_disclosure: DisclosureOut
    mash_disclosure: DisclosureOut
    refused_id: int
    standalone_id: int
    other_persons_summary: str


def _shared(db: Database, scene: Scene) -> Shared:
    """Lily, known to the school and to the MASH, linked as one person; each agency has
    shared something about her, the school has refused once, and the school has also
    refused her mother's question about who referred her."""
    person = new_person(db)
    mash_record = record(db, scene.social_worker, "Lily", "Barnes")
    link(db, person, scene.child_record_id, mash_record)
    protected = _item(
        db,
        scene.dsl,
        scene.child_record_id,
        protected_identity=True,
        summary="Shouting heard from the home late at night",
        detail="Reported by Mrs Neighbour at number 4",
        source="Neighbour at number 4",
    )
    school_disclosure = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            scene.share(db).id,
            items=[
                DisclosedItemIn(item_id=scene.items[0].id, fields=["occurred_on", "category"]),
                DisclosedItemIn(item_id=protected.id, fields=["summary", "detail", "source"]),
            ],
        ),
    )
    refused = scene.share(
        db,
        outcome=DecisionOutcome.DO_NOT_SHARE,
        departure_reason="The MASH already holds this from the police.",
        reasons=FORMULA,
    )
    seen = item(db, scene.social_worker, mash_record, "Home visit: Lily well and settled")
    mash_disclosure = share(db, scene.social_worker, mash_record, [seen], to_agency=scene.school.id)
    other = record(db, scene.social_worker, "Sam", "Other")
    link(db, new_person(db), other)
    elsewhere = item(db, scene.social_worker, other, "Another child's bruise, not Lily's")
    share(db, scene.social_worker, other, [elsewhere], to_agency=scene.school.id)
    asked = standalone.record_standalone(
        db,
        scene.dsl,
        StandaloneDecisionIn(
            kind=StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
            subject_record_id=scene.child_record_id,
            recipient_or_requester="Kerry Barnes-Whitlock",
            requester_kind=RequesterKind.PARENT_OR_CARER,
            information="Who made the referral about Lily",
            stated_purpose="To speak to them",
            outcome=DecisionOutcome.DO_NOT_SHARE,
            reasons="The referrer's identity is protected.",
        ),
    )
    return Shared(
        person, school_disclosure, mash_disclosure, refused.id, asked.id, elsewhere.summary
    )


def _sar(db: Database, *words: str) -> Result:
    return CliRunner().invoke(cli, ["sar", *words, "--database", db.url])


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: fpdf2 deflates each page's content stream."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            # A decompressor object, not ``zlib.decompress``: a stream whose last byte is
            # a carriage return loses it to the pattern's optional ``\r``, and only the
            # checksum is cut short, which the object does not insist on.
            text.append(zlib.decompressobj().decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "".join(text)


def _exports(db: Database, person: int) -> list[AuditEntry]:
    return entries_about(db, AuditAction.SUBJECT_ACCESS_EXPORTED, person)


def test_sar_writes_the_persons_register_as_csv_and_pdf_and_audits_it_once(
    db: Database, scene: Scene, tmp_path: Path
) -> None:
    shared = _shared(db, scene)
    out = tmp_path / "sar"
    result = _sar(db, "--person", str(shared.person), "--out", str(out))
    assert result.exit_code == 0, result.output
    csv_path = out / f"subject-access-person-{shared.person}.csv"
    pdf_path = out / f"subject-access-person-{shared.person}.pdf"
    assert str(csv_path) in result.output and str(pdf_path) in result.output

    text = csv_path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_disclosure = {r["disclosure_id"]: r for r in rows if r["disclosure_id"]}
    # Both agencies' disclosures about her, across her linked records; nobody else's.
    assert set(by_disclosure) == {
        str(shared.school_disclosure.id),
        str(shared.mash_disclosure.id),
    }
    assert shared.other_persons_summary not in text
    school = by_disclosure[str(shared.school_disclosure.id)]
    assert school["sharing_agency"] and school["recipient_agency"]
    assert school["purpose"] == "child_protection_enquiry" and school["lawful_basis"] == "6(1)(e)"
    assert (
        f"item {scene.items[0].id} version 1: date: 2025-03-03; category: child_welfare"
        in (school["items"])
    )
    assert f"summary: {NOT_SHARED}" in school["items"]
    assert "fact or opinion: fact" in school["items"]
    assert scene.items[0].summary not in text, "a summary that was not shared never appears"
    assert f"detail: {WITHHELD}" in school["items"] and "Neighbour" not in text
    mash = by_disclosure[str(shared.mash_disclosure.id)]
    assert "Home visit: Lily well and settled" in mash["items"]

    refused = next(r for r in rows if r["decision_id"] == str(shared.refused_id))
    assert refused["outcome"] == "do_not_share" and not refused["disclosure_id"]
    assert refused["reasons"] == FREE_TEXT_WITHHELD and FORMULA not in text
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)

    asked = next(r for r in rows if r["decision_id"] == f"standalone {shared.standalone_id}")
    assert asked["outcome"] == "do_not_share"
    assert asked["recipient_practitioner"] == WITHHELD and "Kerry" not in text

    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    drawn = _pdf_text(pdf)
    assert f"Disclosure {shared.school_disclosure.id}," in drawn
    assert f"Disclosure {shared.mash_disclosure.id}," in drawn
    assert f"Decision {shared.refused_id}," in drawn
    assert "Not shared" in drawn and "Withheld \\(protected identity\\)" in drawn
    assert "Neighbour" not in drawn and scene.items[0].summary not in drawn

    (entry,) = _exports(db, shared.person)
    assert entry.actor_id is None, "run as the data controller"
    assert entry.refs["disclosures"] == 2 and entry.refs["standalone_decisions"] == 1
    assert entry.refs["items"] == 3 and len(entry.refs["records"]) == 2
    logged = json.dumps(entry.refs)
    assert "Lily" not in logged and "Barnes" not in logged and "Bruise" not in logged


def test_an_unknown_person_is_one_line_and_a_failure(
    db: Database, scene: Scene, tmp_path: Path
) -> None:
    result = _sar(db, "--person", "987654321", "--out", str(tmp_path / "sar"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == ["Not found: No person with id 987654321"], result.output
    assert not list((tmp_path / "sar").glob("*"))
    assert _exports(db, 987654321) == []


@pytest.mark.parametrize("where", ["a-file/sar", "a-file"])
def test_a_folder_that_cannot_be_written_is_one_line_and_nothing_is_read(
    db: Database, scene: Scene, tmp_path: Path, where: str
) -> None:
    shared_person = new_person(db)
    link(db, shared_person, scene.child_record_id)
    (tmp_path / "a-file").write_text("not a folder")
    result = _sar(db, "--person", str(shared_person), "--out", str(tmp_path / where))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Not accepted: --out: Cannot write to {tmp_path / where}")
    assert "Traceback" not in result.output
    assert _exports(db, shared_person) == []


def test_free_text_about_decisions_is_withheld_for_the_dpo_to_review(
    db: Database, scene: Scene
) -> None:
    """What a practitioner wrote about a decision can name other people: a standalone
    decision's information, stated purpose and reasons, and every decision's reasons, are
    withheld with a marker in both documents; the DPO reads them in the register."""
    person = new_person(db)
    link(db, person, scene.child_record_id)
    standalone.record_standalone(
        db,
        scene.dsl,
        StandaloneDecisionIn(
            kind=StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
            subject_record_id=scene.child_record_id,
            recipient_or_requester="Mother",
            requester_kind=RequesterKind.PARENT_OR_CARER,
            information="Asked who referred: the referrer was Mrs Neighbour",
            stated_purpose="Wants to confront Mrs Neighbour",
            outcome=DecisionOutcome.DO_NOT_SHARE,
            reasons="Mrs Neighbour at 12 Acacia Road is protected",
        ),
    )
    refused = scene.share(
        db,
        outcome=DecisionOutcome.DO_NOT_SHARE,
        departure_reason="Already held.",
        reasons="Mr Referrer at flat 3 told us; the MASH holds it already.",
    )
    export = subject_access_export(db, Actor.system(), person)
    drawn = _pdf_text(export.pdf)
    for document in (export.csv, drawn):
        for said in ("Neighbour", "Acacia", "confront", "Referrer"):
            assert said not in document, said
    rows = list(csv.DictReader(io.StringIO(export.csv)))
    (other,) = [r for r in rows if r["decision_id"].startswith("standalone ")]
    assert other["purpose"] == other["items"] == other["reasons"] == FREE_TEXT_WITHHELD
    (decided,) = [r for r in rows if r["decision_id"] == str(refused.id)]
    assert decided["reasons"] == FREE_TEXT_WITHHELD
    assert "review before release" in drawn
    (kept,) = [s for s in export.standalone]
    assert kept.information == kept.reasons == FREE_TEXT_WITHHELD
