"""Seeking advice before a decision: from a role or a named colleague, anonymised if possible.

Golden rule 4 asks practitioners to seek advice without disclosing the person's
identity where possible. An anonymised request keeps the link to the child for the
asker's own record, but the adviser never sees it, and the case summary and question
are refused if they identify the child as the asker's agency knows them
(``identifying_details``). A request to another agency must say which child it is
about, or there would be nothing to check it against.

Where advice may go is the policy's (``policy.cedar`` F4, Q2a, Q2b): a request that
is not anonymised stays within the asker's agency, because telling another agency who
the child is would be a disclosure, and a disclosure needs a sharing decision. Every
request, answer and read is audited with the ids it touched: the child's record, the
colleague or role asked, and their agency.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.audit.service import RefValue
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, InvalidInput, NotFound
from jigsaw.identity.models import Practitioner
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_subject
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import Role
from jigsaw.sharing import notices
from jigsaw.sharing.models import AdviceAnswer, AdviceRequest, AdviceRole
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn, AdviceOut

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = (
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d)"), ("d", "m", "y")),
    (
        re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})"),
        ("d", "mon", "y"),
    ),
    (
        re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)"),
        ("mon", "d", "y"),
    ),
)
_POSSESSIVE = re.compile(r"['\u2019\u02bc]s\b")


def identifying_details(text: str, record: AgencyRecord) -> list[str]:
    """What in ``text`` identifies the child of ``record``, worded for the asker to remove.

    A guard against slips, not a guarantee of anonymity. It refuses the child's names
    (each part of the given and family names), date of birth as commonly written
    (2016-03-04, 04/03/2016, 4/3/2016, 4 March 2016, 4 Mar 2016), NHS number (with or
    without spaces), postcode (with or without its space) and the first line of the
    address or its house number and street. Text is compared after Unicode NFKC
    normalisation and case folding, with accents set aside, possessives ("Oakenshaw's")
    stripped and words split on anything that is not a letter, so punctuation, accents
    and look-alike letters do not hide a name. Free text can still identify a child in
    ways no check sees (a rare condition, a sibling's name, a nickname), which is why
    every request to another agency is audited with the child's record for the DPO to
    review.
    """

    def fold(value: str) -> str:
        bare = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
        plain = "".join(c for c in bare if not unicodedata.combining(c))
        return _POSSESSIVE.sub("", unicodedata.normalize("NFKC", plain))

    def is_birthday(parts: dict[str, str]) -> bool:
        assert born is not None
        month = _MONTHS[parts["mon"]] if "mon" in parts else int(parts["m"])
        year = int(parts["y"])
        same_year = year == born.year or (len(parts["y"]) == 2 and year == born.year % 100)
        return same_year and month == born.month and int(parts["d"]) == born.day

    folded = fold(text)
    words = set(re.findall(r"[^\W\d_]+", folded))
    found = [
        part
        for name in (record.given_name, record.family_name)
        for part in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFKC", name))
        if len(part) > 1 and fold(part) in words
    ]
    born = record.date_of_birth
    if born is not None and any(
        is_birthday(dict(zip(order, match.groups(), strict=True)))
        for pattern, order in _DATES
        for match in pattern.finditer(folded)
    ):
        found.append("the child's date of birth")
    digits = re.sub(r"(?<=\d)[\s-]+(?=\d)", "", folded)
    if record.nhs_number and re.search(rf"(?<!\d){re.escape(record.nhs_number)}(?!\d)", digits):
        found.append("the child's NHS number")
    postcode = re.sub(r"\s+", "", record.postcode.casefold())
    if len(postcode) > 3 and re.search(
        rf"(?<![^\W_]){re.escape(postcode[:-3])}\s*{re.escape(postcode[-3:])}(?![^\W_])", folded
    ):
        found.append("the child's postcode")
    address = fold(record.address or "")
    street = re.search(r"(?<![^\W_])(\d+[a-z]?)\s+([^\d,\n]+)", address)
    lines = [re.split(r"[,\n]", address, maxsplit=1)[0], street.group(0) if street else ""]
    said = " ".join(["", *re.findall(r"[^\W_]+", folded), ""])
    if any(
        len(tokens) > 1 and " ".join(["", *tokens, ""]) in said
        for tokens in (re.findall(r"[^\W_]+", line) for line in lines)
    ):
        found.append("the child's address")
    return found


def _refuse_identifying(data: AdviceIn, subject: AgencyRecord) -> None:
    problems = [
        FieldProblem(field, "An anonymised request must not name the child: remove " + found)
        for field, text in (("case_summary", data.case_summary), ("question", data.question))
        if (found := ", ".join(dict.fromkeys(identifying_details(text, subject))))
    ]
    if problems:
        raise InvalidInput(*problems)


def ask(db: Database, actor: Actor, data: AdviceIn) -> AdviceOut:
    if (data.to_role is None) == (data.to_practitioner_id is None):
        raise InvalidInput.one("to_role", "Ask either a role or a named colleague")
    with db.transaction() as session:
        subject = None
        if data.subject_record_id is not None:
            subject = own_subject(session, actor, data.subject_record_id)
        assert actor.practitioner_id is not None and actor.agency_id is not None
        adviser_agency_id = actor.agency_id
        adviser_role: AdviceRole | Role | None = data.to_role
        if data.to_practitioner_id is not None:
            colleague = session.get(Practitioner, data.to_practitioner_id)
            if colleague is None or not colleague.active:
                raise InvalidInput.one("to_practitioner_id", "There is no such colleague")
            adviser_agency_id, adviser_role = colleague.agency_id, colleague.role
        assert adviser_role is not None
        policy.check(
            actor,
            Permission.ASK_ADVICE,
            policy.advice_request(
                0,
                agency_id=actor.agency_id,
                asked_by_id=actor.practitioner_id,
                to_practitioner_id=data.to_practitioner_id,
                to_role=data.to_role.value if data.to_role is not None else None,
            ),
            {
                "anonymised": data.anonymised,
                "adviser_agency": policy.agency_ref(adviser_agency_id),
                "adviser_role": adviser_role.value,
            },
        )
        if subject is None and adviser_agency_id != actor.agency_id:
            raise InvalidInput.one(
                "subject_record_id",
                "Say which child the request is about, so it can be checked for details that "
                "identify them; the adviser is not shown who the child is",
            )
        if subject is not None and data.anonymised:
            _refuse_identifying(data, subject)
        row = AdviceRequest(
            asked_by_id=actor.practitioner_id,
            agency_id=actor.agency_id,
            subject_record_id=subject.id if subject else None,
            to_role=data.to_role,
            to_practitioner_id=data.to_practitioner_id,
            anonymised=data.anonymised,
            case_summary=data.case_summary,
            question=data.question,
            asked_at=utcnow(),
        )
        refs = _refs(row, adviser_agency_id)
        audit.append_new(
            session, actor, row, AuditAction.ADVICE_REQUESTED, "advice_request", refs=refs
        )
        notify(
            session,
            NotificationKind.ADVICE_REQUESTED,
            f"advice-{row.id}",
            "advice_request",
            row.id,
            notices.advisers(session, row, _grant(row)),
        )
        return _out(session, row, actor)


def _refs(row: AdviceRequest, adviser_agency_id: int | None = None) -> dict[str, RefValue]:
    """The ids an advice event touched: the child's record (if any) and who was asked."""
    refs: dict[str, RefValue] = {"agency": row.agency_id}
    if row.subject_record_id is not None:
        refs["agency_record"] = row.subject_record_id
    if row.to_practitioner_id is not None:
        refs["to_practitioner"] = row.to_practitioner_id
    if row.to_role is not None:
        refs["to_role"] = row.to_role.value
    if adviser_agency_id is not None:
        refs["to_agency"] = adviser_agency_id
    return refs


def _adviser_agency(session: Session, row: AdviceRequest) -> int:
    if row.to_practitioner_id is None:
        return row.agency_id
    return (
        session.scalar(
            select(Practitioner.agency_id).where(Practitioner.id == row.to_practitioner_id)
        )
        or row.agency_id
    )


def _grant(row: AdviceRequest) -> policy.Entity:
    return policy.advice_request(
        row.id,
        agency_id=row.agency_id,
        asked_by_id=row.asked_by_id,
        to_practitioner_id=row.to_practitioner_id,
        to_role=row.to_role.value if row.to_role is not None else None,
    )


def visible_to(session: Session, actor: Actor, advice_id: int) -> AdviceRequest:
    """A request asked of or by the actor; any other answers as missing, not forbidden."""
    row = session.get(AdviceRequest, advice_id)
    if row is None or not policy.allowed(actor, Permission.VIEW_ADVICE, _grant(row)):
        raise NotFound("advice request", advice_id)
    return row


def _audit(session: Session, actor: Actor, action: AuditAction, row: AdviceRequest) -> None:
    audit.append(
        session,
        actor,
        action,
        "advice_request",
        row.id,
        refs=_refs(row, _adviser_agency(session, row)),
    )


def answer(db: Database, actor: Actor, advice_id: int, data: AdviceAnswerIn) -> AdviceOut:
    with db.transaction() as session:
        row = visible_to(session, actor, advice_id)
        policy.check(actor, Permission.ANSWER_ADVICE, _grant(row))
        if session.scalar(select(AdviceAnswer.id).where(AdviceAnswer.advice_request_id == row.id)):
            raise Conflict("This advice request has already been answered")
        assert actor.practitioner_id is not None
        session.add(
            AdviceAnswer(
                advice_request_id=row.id,
                answered_by_id=actor.practitioner_id,
                answer=data.answer,
                answered_at=utcnow(),
            )
        )
        session.flush()
        _audit(session, actor, AuditAction.ADVICE_GIVEN, row)
        notify(
            session,
            NotificationKind.ADVICE_ANSWERED,
            f"advice-{row.id}-answered",
            "advice_request",
            row.id,
            notices.asker(session, row, _grant(row)),
        )
        return _out(session, row, actor)


@audited_read(AuditAction.ADVICE_VIEWED)
def view_advice(db: Database, actor: Actor, advice_id: int) -> AdviceOut:
    """One request for advice, to the colleague asked or the asker; the read is audited.

    A request that was not asked of or by the actor answers as missing.
    """
    with db.transaction() as session:
        row = visible_to(session, actor, advice_id)
        _audit(session, actor, AuditAction.ADVICE_VIEWED, row)
        return _out(session, row, actor)


@audited_read(AuditAction.ADVICE_LIST_VIEWED)
def advice_inbox(db: Database, actor: Actor) -> list[AdviceOut]:
    """Advice the actor has been asked for, or has asked, newest first.

    The list shows case summaries, so reading it is audited like opening each request:
    one entry naming every request and child's record listed.
    """
    with db.transaction() as session:
        rows = session.scalars(
            select(AdviceRequest).where(in_scope(actor)).order_by(AdviceRequest.asked_at.desc())
        ).all()
        audit.append(
            session,
            actor,
            AuditAction.ADVICE_LIST_VIEWED,
            "advice_request",
            None,
            refs={
                "advice_requests": [r.id for r in rows],
                "agency_records": sorted(
                    {r.subject_record_id for r in rows if r.subject_record_id is not None}
                ),
            },
        )
        return [_out(session, r, actor) for r in rows]


def _out(session: Session, row: AdviceRequest, viewer: Actor) -> AdviceOut:
    out = AdviceOut.model_validate(row)
    if row.anonymised and viewer.practitioner_id != row.asked_by_id:
        out.subject_record_id = None
    reply = session.scalar(select(AdviceAnswer).where(AdviceAnswer.advice_request_id == row.id))
    if reply is not None:
        out.answer = reply.answer
        out.answered_by_id = reply.answered_by_id
        out.answered_at = reply.answered_at
    return out


def in_scope(actor: Actor) -> ColumnElement[bool]:
    """The requests for advice the policy lets the actor see (rule Q2), as SQL."""
    return scopes.advice(
        actor,
        agency=AdviceRequest.agency_id,
        asked_by=AdviceRequest.asked_by_id,
        to_practitioner=AdviceRequest.to_practitioner_id,
        to_role=AdviceRequest.to_role,
        roles=[role.value for role in AdviceRole],
    )
