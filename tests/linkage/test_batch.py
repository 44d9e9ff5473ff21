"""Batch linkage and reviewers' decisions on a generated population (SQLite or PostgreSQL).

What must hold whatever the model's quality: every agency record ends up with
exactly one person, uncertain pairs wait in the queue unlinked, every change is in
the history and the audit log, and merges and unmerges move agency records without
any of them (or anything hanging off one) being lost or moved to another record.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.linkage import service
from jigsaw.linkage.batch import RunSummary, run_linkage
from jigsaw.linkage.features import normalise_nhs_number
from jigsaw.linkage.metrics import score_clusters
from jigsaw.linkage.models import LinkageRun, LinkEvent, LinkReview, MatchKey, ReviewStatus
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.people.models import AgencyRecord, Involvement, LinkStatus, Relationship
from jigsaw.policy.roles import Role
from jigsaw.records.models import InformationItem
from jigsaw.synthetic.models import SyntheticTruth
from tests.linkage.conftest import actor_with_role

Linked = tuple[Database, RunSummary]


def _people(db: Database) -> dict[int, int | None]:
    with db.sessions() as session:
        return dict(session.execute(select(AgencyRecord.id, AgencyRecord.person_id)).all())  # type: ignore[arg-type]


def _attachments(db: Database) -> Counter[tuple[str, int]]:
    """What hangs off each agency record: items, relationships, involvements."""
    found: Counter[tuple[str, int]] = Counter()
    with db.sessions() as session:
        for (record,) in session.execute(select(InformationItem.subject_record_id)):
            found[("item", record)] += 1
        for (record,) in session.execute(select(Relationship.from_record_id)):
            found[("relationship", record)] += 1
        for (record,) in session.execute(select(Involvement.agency_record_id)):
            found[("involvement", record)] += 1
    return found


def _actions(db: Database) -> Counter[str]:
    with db.sessions() as session:
        return Counter(session.scalars(select(AuditEntry.action)))


def _open_review(db: Database) -> LinkReview:
    with db.sessions() as session:
        review = session.scalars(
            select(LinkReview)
            .where(LinkReview.status == ReviewStatus.OPEN)
            .order_by(LinkReview.match_probability.desc(), LinkReview.id)
        ).first()
    assert review is not None, "the test population should leave something to review"
    return review


def test_run_gives_every_record_one_person_and_records_how(linked_once: Linked) -> None:
    db, summary = linked_once
    people = _people(db)
    assert people and all(person is not None for person in people.values())
    with db.sessions() as session:
        statuses = Counter(session.scalars(select(AgencyRecord.link_status)))
        run = session.get(LinkageRun, summary.run_id)
        attach_events = session.scalar(
            select(func.count()).select_from(LinkEvent).where(LinkEvent.from_person_id.is_(None))
        )
        keys = session.scalar(select(func.count()).select_from(MatchKey))
    assert set(statuses) <= {LinkStatus.AUTO, LinkStatus.IN_REVIEW}
    assert run is not None and run.model_version == summary.model_version
    assert attach_events == len(people) == keys == summary.records
    assert summary.persons_created == len(set(people.values()))
    actions = _actions(db)
    assert actions[AuditAction.LINKAGE_RUN] == 1
    assert actions[AuditAction.LINK_MERGED] == 1


def test_automatic_links_are_precise_on_the_synthetic_truth(linked_once: Linked) -> None:
    db, _summary = linked_once
    people = _people(db)
    with db.sessions() as session:
        truth = dict(
            session.execute(
                select(SyntheticTruth.agency_record_id, SyntheticTruth.true_person_key)
            ).all()
        )
    metrics = score_clusters({r: p for r, p in people.items() if p is not None}, truth)
    assert metrics.precision >= 0.98  # a population this small has few pairs to get right
    assert metrics.recall >= 0.8


def test_uncertain_pairs_wait_in_the_queue_unlinked(
    linked_once: Linked, test_model: LinkageModel
) -> None:
    db, summary = linked_once
    assert summary.reviews_opened > 0
    people = _people(db)
    with db.sessions() as session:
        reviews = session.scalars(select(LinkReview)).all()
        in_review = set(
            session.scalars(
                select(AgencyRecord.id).where(AgencyRecord.link_status == LinkStatus.IN_REVIEW)
            )
        )
        numbers = session.execute(select(AgencyRecord.person_id, AgencyRecord.nhs_number)).all()
    held: dict[int | None, set[str]] = {}
    for person, number in numbers:
        valid = normalise_nhs_number(number)
        if valid:
            held.setdefault(person, set()).add(valid)
    for review in reviews:
        assert test_model.thresholds.review <= review.match_probability
        left, right = people[review.record_id], people[review.candidate_record_id]
        assert left != right
        if review.match_probability >= test_model.thresholds.auto:
            # Sure enough to link, but the two hold different NHS numbers: a reviewer decides.
            assert held.get(left) and held.get(right) and held[left] != held[right]
        assert review.record_id in in_review
        assert set(review.evidence) >= {"given_name", "date_of_birth", "nhs_number"}


def test_rerunning_changes_nothing_already_linked(linked: Linked, test_model: LinkageModel) -> None:
    db, _summary = linked
    before = _people(db)
    again = run_linkage(db, model=test_model)
    assert _people(db) == before
    assert again.records_linked == 0 and again.persons_created == 0
    assert again.reviews_opened == 0  # the same pairs are not asked about twice


def test_confirm_merges_and_keeps_everything_attached(linked: Linked) -> None:
    db, _summary = linked
    mash = actor_with_role(db, Role.LINKAGE_REVIEWER)
    review = _open_review(db)
    before, attached = _people(db), _attachments(db)
    source, target = before[review.record_id], before[review.candidate_record_id]
    moving = {r for r, p in before.items() if p == source}

    change = service.confirm_link(db, mash, review.id, reason="Same child: school confirmed")
    after = _people(db)
    assert set(change.records) == moving
    assert all(after[r] == target for r in moving)
    assert all(after[r] == p for r, p in before.items() if r not in moving)
    assert _attachments(db) == attached  # items, relationships, involvements stay put
    with db.sessions() as session:
        assert session.get(LinkReview, review.id).status is ReviewStatus.CONFIRMED  # type: ignore[union-attr]
        statuses = {session.get(AgencyRecord, r).link_status for r in moving}  # type: ignore[union-attr]
    assert statuses == {LinkStatus.CONFIRMED}
    actions = _actions(db)
    assert actions[AuditAction.LINK_CONFIRMED] == 1 and actions[AuditAction.LINK_MERGED] == 2
    with pytest.raises(Conflict):
        service.confirm_link(db, mash, review.id)


def test_reject_keeps_them_apart_for_good(linked: Linked, test_model: LinkageModel) -> None:
    db, _summary = linked
    reviewer = actor_with_role(db, Role.LINKAGE_REVIEWER)
    review = _open_review(db)
    before = _people(db)
    service.reject_link(db, reviewer, review.id, reason="Different children: twins")
    assert _people(db) == before
    with db.sessions() as session:
        record = session.get(AgencyRecord, review.record_id)
        assert record is not None
        assert record.link_status in (LinkStatus.REJECTED, LinkStatus.IN_REVIEW)
    assert _actions(db)[AuditAction.LINK_REJECTED] == 1
    run_linkage(db, model=test_model)
    after = _people(db)
    assert after[review.record_id] != after[review.candidate_record_id]


def test_unmerge_detaches_into_a_new_person_and_loses_nothing(linked: Linked) -> None:
    db, _summary = linked
    admin_like = actor_with_role(db, Role.LINKAGE_REVIEWER)
    before, attached = _people(db), _attachments(db)
    sizes = Counter(before.values())
    person, _size = next((p, n) for p, n in sizes.most_common() if n >= 2)
    records = sorted(r for r, p in before.items() if p == person)
    detached = records[:1]

    change = service.unmerge(db, admin_like, detached, reason="Different person")
    after = _people(db)
    assert len(after) == len(before)  # no agency record lost
    assert after[detached[0]] not in set(before.values())
    assert all(after[r] == person for r in records[1:])
    assert _attachments(db) == attached
    assert change.records == tuple(detached)
    assert (change.from_person_id, change.to_person_id) == (person, after[detached[0]])
    assert _actions(db)[AuditAction.LINK_UNMERGED] == 1
    history = service.history(db, admin_like, detached[0])
    assert [h["kind"] for h in history] == ["run", "unmerge"]

    with pytest.raises(InvalidInput, match="nothing would stay"):
        service.unmerge(db, admin_like, records[1:])


def test_only_linkage_reviewers_may_change_links(linked_once: Linked) -> None:
    db, _summary = linked_once
    review = _open_review(db)
    for role in (Role.PRACTITIONER, Role.DSL, Role.MASH, Role.ADMIN):
        someone = actor_with_role(db, role)
        with pytest.raises(NotPermitted):
            service.confirm_link(db, someone, review.id)
        with pytest.raises(NotPermitted):
            service.reject_link(db, someone, review.id)
        with pytest.raises(NotPermitted):
            service.unmerge(db, someone, [review.record_id])
        with pytest.raises(NotPermitted):
            service.review_pair(db, someone, review.id)
    assert _actions(db)[AuditAction.LINK_MERGED] == 1  # only the run's


def test_a_run_over_no_records_writes_an_empty_run(
    private_database: Database, test_model: LinkageModel
) -> None:
    summary = run_linkage(private_database, model=test_model)
    assert (summary.records, summary.records_linked, summary.reviews_opened) == (0, 0, 0)
    assert _actions(private_database)[AuditAction.LINKAGE_RUN] == 1


@pytest.mark.parametrize("table", ["link_changes", "link_events"])
def test_link_history_cannot_be_rewritten(linked_once: Linked, table: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    db, _summary = linked_once
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
