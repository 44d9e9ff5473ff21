"""Every list filtered in SQL shows exactly what the policy allows row by row.

The lists (requests for information, advice, notices, the access log, the link review
queue, and the lists of an agency's own rows) filter in SQL with filters worked out from
``policy.cedar`` (``jigsaw.policy.scopes``), while single rows are put to the policy
itself. Here random rows (between random agencies, by and to random practitioners, with
random roles asked, addressed or not) are written to a real database and, for every
practitioner of every role, with and without a second factor, holding an API token or
not, and for the system, the rows each filter finds must be exactly those the policy
allows when asked about them one by one. Each service that lists them is then called as
one of those viewers, and must show exactly the allowed rows it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.deadlines.values import Rag
from jigsaw.errors import NotPermitted
from jigsaw.identity.models import Agency
from jigsaw.linkage import service as linking
from jigsaw.linkage.models import LinkReview, ReviewStatus
from jigsaw.notifications import service as notices
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.oversight import access_log
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing import advice, requests
from jigsaw.sharing.decisions import request_grant
from jigsaw.sharing.models import AdviceRequest, AdviceRole, InformationRequest, RagRating
from tests.conftest import SYSTEM, World, unique
from tests.singleview.helpers import record

ROLES = [
    Role.PRACTITIONER,
    Role.DSL,
    Role.MASH,
    Role.CALDICOTT,
    Role.DPO,
    Role.AUDITOR,
    Role.ADMIN,
    Role.LINKAGE_REVIEWER,
    Role.LADO,
]
AGENCIES = 3
ADVICE_ROLES = [None, *AdviceRole]


@dataclass
class Cast:
    agencies: list[int]
    practitioners: list[tuple[int, int, Role]]
    """(practitioner id, agency id, role), in a fixed order."""
    records: dict[int, int]
    """An agency record of each agency, for requests to be about."""

    def agency_of(self, practitioner: int) -> int:
        return next(a for p, a, _ in self.practitioners if p == practitioner)


@pytest.fixture(scope="module")
def cast(db: Database, world: World) -> Cast:
    kinds = [AgencyKind.SCHOOL, AgencyKind.POLICE, AgencyKind.SOCIAL_CARE]
    agencies = [world.agency(kinds[n]) for n in range(AGENCIES)]
    practitioners: list[tuple[int, int, Role]] = []
    records: dict[int, int] = {}
    for agency in agencies:
        for role in ROLES:
            account = world.practitioner(agency, role, second_factor=False)
            practitioners.append((account.id, agency.id, role))
            if role is Role.DSL:
                records[agency.id] = record(db, world.actor(account), "Rowan", "Scope")
    return Cast([a.id for a in agencies], practitioners, records)


def _viewers(cast: Cast) -> list[Actor]:
    return [
        *(
            Actor(ident, agency, role, mfa_verified=mfa, token_id=token)
            for ident, agency, role in cast.practitioners
            for mfa, token in ((True, None), (False, None), (True, 1))
        ),
        SYSTEM,
    ]


def _viewer(cast: Cast, n: int) -> Actor:
    viewers = _viewers(cast)
    return viewers[n % len(viewers)]


def _by_sql(db: Database, column: Any, made: Iterable[int], scope: ColumnElement[bool]) -> set[int]:
    with db.sessions() as session:
        return set(session.scalars(select(column).where(column.in_(sorted(made)), scope)))


def _by_policy(
    viewer: Actor, permission: Permission, grants: Sequence[tuple[int, policy.Entity]]
) -> set[int]:
    """Each row's grant put to the policy, in one batch: the rows it allows."""
    answers = policy.allowed_each(viewer, permission, [g for _, g in grants])
    return {ident for (ident, _), ok in zip(grants, answers, strict=True) if ok}


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
agency_pairs = st.tuples(st.integers(0, AGENCIES - 1), st.integers(0, AGENCIES - 1)).filter(
    lambda pair: pair[0] != pair[1]
)
someone = st.integers(0, AGENCIES * len(ROLES) - 1)
any_viewer = st.integers(0, AGENCIES * len(ROLES) * 3)


# Requests for information (rule Q1)


def _write_requests(db: Database, cast: Cast, plans: list[tuple[int, int]]) -> set[int]:
    now = utcnow()
    made: set[int] = set()
    with db.transaction() as session:
        for source, target in plans:
            requester, target_agency = cast.agencies[source], cast.agencies[target]
            asker = next(p for p, a, r in cast.practitioners if a == requester and r is Role.DSL)
            row = InformationRequest(
                requester_id=asker,
                requester_agency_id=requester,
                subject_record_id=cast.records[requester],
                recipient_agency_id=target_agency,
                purpose="child_protection_enquiry",
                categories=[],
                question="What do you know of this child's attendance?",
                created_at=now,
            )
            session.add(row)
            session.flush()
            session.add(
                RagRating(
                    request_id=row.id,
                    rag=Rag.GREEN,
                    due_at=now + timedelta(days=3),
                    rationale="",
                    rated_by_id=asker,
                    rated_at=now,
                )
            )
            made.add(row.id)
    return made


def _request_grants(db: Database, made: set[int]) -> list[tuple[int, policy.Entity]]:
    with db.sessions() as session:
        rows = session.scalars(
            select(InformationRequest).where(InformationRequest.id.in_(sorted(made)))
        )
        return [(r.id, request_grant(r)) for r in rows]


@SETTINGS
@given(plans=st.lists(agency_pairs, min_size=1, max_size=5), who=any_viewer)
def test_requests_listed_are_exactly_those_the_policy_allows(
    db: Database, cast: Cast, plans: list[tuple[int, int]], who: int
) -> None:
    made = _write_requests(db, cast, plans)
    grants = _request_grants(db, made)
    for viewer in _viewers(cast):
        assert _by_sql(
            db,
            InformationRequest.id,
            made,
            scopes.requests(
                viewer,
                InformationRequest.requester_agency_id,
                InformationRequest.recipient_agency_id,
            ),
        ) == _by_policy(viewer, Permission.VIEW_REQUEST, grants), viewer
    viewer = _viewer(cast, who)
    allowed = _by_policy(viewer, Permission.VIEW_REQUEST, grants)
    with db.sessions() as session:
        to_us = set(
            session.scalars(
                select(InformationRequest.id).where(
                    InformationRequest.id.in_(sorted(made)),
                    InformationRequest.recipient_agency_id == viewer.agency_id,
                )
            )
        )
    incoming = {r.id for r in requests.incoming_requests(db, viewer)} & made
    outgoing = {r.id for r in requests.outgoing_requests(db, viewer)} & made
    if viewer.agency_id is None:
        # The service itself may see every request (rule S1) but belongs to no agency,
        # so none is incoming to it or outgoing from it: the split is by agency.
        assert incoming == outgoing == set()
    else:
        assert incoming == allowed & to_us
        assert outgoing == allowed - to_us
        assert incoming | outgoing == allowed


# Advice (rules Q2 and Q2a/b)


advice_plans = st.lists(
    st.fixed_dictionaries(
        {
            "asker": someone,
            "named": st.booleans(),
            "adviser": someone,
            "role": st.sampled_from(ADVICE_ROLES),
        }
    ),
    min_size=1,
    max_size=5,
)


def _write_advice(db: Database, cast: Cast, plans: list[dict[str, Any]]) -> set[int]:
    made: set[int] = set()
    with db.transaction() as session:
        for plan in plans:
            asker, agency, _ = cast.practitioners[plan["asker"]]
            adviser = cast.practitioners[plan["adviser"]][0] if plan["named"] else None
            row = AdviceRequest(
                asked_by_id=asker,
                agency_id=agency,
                subject_record_id=None,
                to_role=None if adviser is not None else plan["role"],
                to_practitioner_id=adviser,
                anonymised=True,
                case_summary="A child who is often late and hungry.",
                question="Is this a safeguarding concern?",
                asked_at=utcnow(),
            )
            session.add(row)
            session.flush()
            made.add(row.id)
    return made


def _advice_grants(db: Database, made: set[int]) -> list[tuple[int, policy.Entity]]:
    with db.sessions() as session:
        rows = session.scalars(select(AdviceRequest).where(AdviceRequest.id.in_(sorted(made))))
        return [
            (
                r.id,
                policy.advice_request(
                    r.id,
                    agency_id=r.agency_id,
                    asked_by_id=r.asked_by_id,
                    to_practitioner_id=r.to_practitioner_id,
                    to_role=r.to_role.value if r.to_role is not None else None,
                ),
            )
            for r in rows
        ]


@SETTINGS
@given(plans=advice_plans, who=any_viewer)
def test_advice_listed_is_exactly_what_the_policy_allows(
    db: Database, cast: Cast, plans: list[dict[str, Any]], who: int
) -> None:
    made = _write_advice(db, cast, plans)
    grants = _advice_grants(db, made)
    for viewer in _viewers(cast):
        assert _by_sql(db, AdviceRequest.id, made, advice.in_scope(viewer)) == _by_policy(
            viewer, Permission.VIEW_ADVICE, grants
        ), viewer
    viewer = _viewer(cast, who)
    listed = {a.id for a in advice.advice_inbox(db, viewer)} & made
    assert listed == _by_policy(viewer, Permission.VIEW_ADVICE, grants)


# Notices (rule N1)


notice_plans = st.lists(
    st.fixed_dictionaries(
        {"agency": st.integers(0, AGENCIES - 1), "named": st.booleans(), "who": someone}
    ),
    min_size=1,
    max_size=5,
)


def _write_notices(db: Database, cast: Cast, plans: list[dict[str, Any]]) -> set[int]:
    made: set[int] = set()
    with db.transaction() as session:
        for plan in plans:
            named = cast.practitioners[plan["who"]][0] if plan["named"] else None
            row = Notification(
                practitioner_id=named,
                agency_id=cast.agency_of(named) if named else cast.agencies[plan["agency"]],
                kind=NotificationKind.REQUEST_RECEIVED,
                object_type="information_request",
                object_id=1,
                dedupe_key=unique("scope-agreement"),
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            made.add(row.id)
    return made


def _notice_grants(db: Database, made: set[int]) -> list[tuple[int, policy.Entity]]:
    with db.sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.id.in_(sorted(made))))
        return [(n.id, policy.notification(n.id, n.agency_id, n.practitioner_id)) for n in rows]


@SETTINGS
@given(plans=notice_plans, who=any_viewer)
def test_notices_listed_are_exactly_those_the_policy_allows(
    db: Database, cast: Cast, plans: list[dict[str, Any]], who: int
) -> None:
    made = _write_notices(db, cast, plans)
    grants = _notice_grants(db, made)
    for viewer in _viewers(cast):
        assert _by_sql(
            db,
            Notification.id,
            made,
            scopes.notifications(viewer, Notification.agency_id, Notification.practitioner_id),
        ) == _by_policy(viewer, Permission.VIEW_NOTIFICATION, grants), viewer
    viewer = _viewer(cast, who)
    allowed = _by_policy(viewer, Permission.VIEW_NOTIFICATION, grants)
    assert {n.id for n in notices.inbox(db, viewer)} & made == allowed
    for ident in sorted(made):
        notices.mark_read(db, viewer, ident)
    with db.sessions() as session:
        marked = set(
            session.scalars(
                select(Notification.id).where(
                    Notification.id.in_(sorted(made)), Notification.read_at.is_not(None)
                )
            )
        )
    assert marked == allowed


# The access log (rule O1)


def _write_entries(db: Database, cast: Cast, who: list[int | None]) -> set[int]:
    made: set[int] = set()
    with db.transaction() as session:
        for n in who:
            actor = SYSTEM
            if n is not None:
                ident, agency, role = cast.practitioners[n]
                actor = Actor(ident, agency, role, mfa_verified=True)
            entry = audit.append(
                session, actor, AuditAction.AGENCY_RECORD_VIEWED, "agency_record", 1
            )
            session.flush()
            made.add(entry.seq)
    return made


@SETTINGS
@given(who=st.lists(st.one_of(st.none(), someone), min_size=1, max_size=5), viewer_n=any_viewer)
def test_the_access_log_shows_exactly_the_entries_the_policy_allows(
    db: Database, cast: Cast, who: list[int | None], viewer_n: int
) -> None:
    made = _write_entries(db, cast, who)
    with db.sessions() as session:
        agencies = {
            seq: agency
            for seq, agency in session.execute(
                select(AuditEntry.seq, AuditEntry.actor_agency_id).where(
                    AuditEntry.seq.in_(sorted(made))
                )
            )
        }
    grants = [(seq, policy.agency(agency)) for seq, agency in sorted(agencies.items())]
    for viewer in _viewers(cast):
        assert _by_sql(
            db, AuditEntry.seq, made, scopes.access_log(viewer, AuditEntry.actor_agency_id)
        ) == _by_policy(viewer, Permission.VIEW_ACCESS_LOG, grants), viewer
    viewer = _viewer(cast, viewer_n)
    allowed = _by_policy(viewer, Permission.VIEW_ACCESS_LOG, grants)
    try:
        shown = {e.seq for e in access_log.access_log(db, viewer, limit=10_000)} & made
    except NotPermitted:
        assert not policy.is_permitted(viewer, Permission.VIEW_ACCESS_LOG, viewer.agency_id)
        assert allowed == set()
    else:
        assert shown == allowed


# The link review queue (rule A3): all of it, or none


@SETTINGS
@given(
    statuses=st.lists(st.sampled_from(list(ReviewStatus)), min_size=1, max_size=4),
    viewer_n=any_viewer,
)
def test_the_link_review_queue_is_shown_exactly_when_the_policy_allows(
    db: Database, cast: Cast, statuses: list[ReviewStatus], viewer_n: int
) -> None:
    made: set[int] = set()
    records = [cast.records[a] for a in cast.agencies]
    with db.transaction() as session:
        for n, status in enumerate(statuses):
            row = LinkReview(
                record_id=records[n % len(records)],
                candidate_record_id=records[(n + 1) % len(records)],
                match_probability=0.5,
                match_weight=0.0,
                evidence={},
                status=status,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            made.add(row.id)
    for viewer in _viewers(cast):
        grants = [(ident, policy.service()) for ident in sorted(made)]
        assert _by_sql(db, LinkReview.id, made, scopes.link_reviews(viewer)) == _by_policy(
            viewer, Permission.REVIEW_LINKS, grants
        ), viewer
    viewer = _viewer(cast, viewer_n)
    open_made = {i for i, s in zip(sorted(made), statuses, strict=True) if s is ReviewStatus.OPEN}
    if policy.is_permitted(viewer, Permission.REVIEW_LINKS):
        shown = {r.id for r in linking.open_reviews(db, viewer, limit=100_000)}
        assert shown & made == open_made
    else:
        with pytest.raises(NotPermitted):
            linking.open_reviews(db, viewer)


# Lists of an agency's own rows: every permission whose resource is an agency


AGENCY_PERMISSIONS = [
    Permission.VIEW_COLLEAGUES,
    Permission.READ_OWN_AGENCY_RECORDS,
    Permission.RECORD_ABOUT_PEOPLE,
    Permission.EXPORT_DECISIONS,
    Permission.VIEW_REGISTER,
    Permission.VIEW_ACCESS_LOG,
    Permission.OVERSEE_API_TOKENS,
]


@pytest.mark.parametrize("permission", AGENCY_PERMISSIONS)
def test_an_agency_filter_finds_exactly_the_agencies_the_policy_allows(
    db: Database, cast: Cast, permission: Permission
) -> None:
    for viewer in _viewers(cast):
        grants = [(a, policy.agency(a)) for a in cast.agencies]
        found = _by_sql(
            db, Agency.id, cast.agencies, scopes.of_agency(viewer, permission, Agency.id)
        )
        assert found == _by_policy(viewer, permission, grants), viewer


def test_whole_actor_questions_agree_with_the_policy(cast: Cast) -> None:
    """The yes-or-no questions lists start from are the policy's answers about rows of
    the actor's own: an active disclosure to them, their own break-glass session, a
    record a colleague made."""
    now = utcnow()
    for viewer in _viewers(cast):
        if viewer.is_system:
            continue
        assert viewer.agency_id is not None and viewer.practitioner_id is not None
        to_them = [
            policy.disclosure(
                n,
                disclosing_agency_id=-1,
                recipient_agency_id=viewer.agency_id,
                recipient_practitioner_id=named,
                expires_at=now + timedelta(days=1),
                revoked=False,
            )
            for n, named in enumerate((viewer.practitioner_id, None))
        ]
        receives = any(
            policy.allowed_each(viewer, Permission.VIEW_DISCLOSURE, to_them, {"now": now})
        )
        assert scopes.receives_disclosures(viewer) == receives, viewer
        own_session = policy.break_glass_session(
            1,
            practitioner_id=viewer.practitioner_id,
            person_id=1,
            expires_at=now + timedelta(hours=1),
            ended=False,
        )
        assert scopes.uses_break_glass(viewer) == policy.allowed(
            viewer, Permission.USE_BREAK_GLASS, own_session, {"now": now}
        ), viewer
        colleagues = policy.agency_record(1, viewer.agency_id, -1)
        assert scopes.confirms_records(viewer) == policy.allowed(
            viewer, Permission.CONFIRM_AGENCY_RECORD, colleagues, {"account_settling": False}
        ), viewer
    for role in Role:
        person = Actor(1, 1, role, mfa_verified=True)
        assert (role in scopes.recipient_roles()) == (
            not person.is_system and scopes.receives_disclosures(person)
        )


def test_rows_of_no_class_the_policy_allows_are_never_found(cast: Cast) -> None:
    """A filter with nothing permitted is the constant false, not an empty ``OR``."""
    nobody = Actor(cast.practitioners[0][0], cast.agencies[0], Role.DSL, mfa_verified=False)
    filters = (
        scopes.requests(
            nobody, InformationRequest.requester_agency_id, InformationRequest.recipient_agency_id
        ),
        advice.in_scope(nobody),
        scopes.notifications(nobody, Notification.agency_id, Notification.practitioner_id),
        scopes.access_log(nobody, AuditEntry.actor_agency_id),
    )
    for found in filters:
        assert str(found.compile(compile_kwargs={"literal_binds": True})) == "false"
