"""Answers in progress on question pages, kept on the server with the body sealed.

Only ``drafts.service`` reads and writes it; the pages reach it through ``web.drafts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.db import Base, UTCDateTime
from jigsaw.protection.keyring import AGENCY, Subject
from jigsaw.protection.sealed import sealed


class PageDraft(Base):
    """One practitioner's answers so far in one question journey (a decision, a disclosure).

    Nothing here is on the record: the service writes the decision or disclosure only
    when the practitioner confirms. The row lives no longer than the session that
    started it (``expires_at``) and goes as soon as the journey ends.
    """

    __tablename__ = "page_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    seal_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _draft_subject(_session: Session, draft: PageDraft) -> Subject:
    """The agency of the practitioner writing it, not the child's agency record.

    A draft is the practitioner's unfinished work, which their agency answers for, and
    nothing yet recorded about the child. Agency keys are never shredded, so a draft
    stays readable until it is finished or expires, which is within one session's
    lifetime even if the child's record is erased meanwhile.
    """
    return Subject(AGENCY, draft.agency_id)


sealed(PageDraft, "body", subject=_draft_subject)
