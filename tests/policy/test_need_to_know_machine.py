"""Need to know, checked against a model over random multi-agency histories.

A Hypothesis state machine drives the real JSON API: agencies of every kind,
practitioners in every role with and without a second factor, service accounts with API
tokens, records linked (or not) to children, items recorded, corrected and retracted, decisions and
disclosures of random items and fields to a practitioner or an agency's inbox,
revocations, break-glass started, ended and running out, and the clock (the database's own,
held through ``db.clock.hold``) moving past expiry dates. After every step one practitioner's
reads (the inbox, one child's chronology and two more at random) are compared field by
field with ``need_to_know_model``, which is written from the rules, not from the policy
code; a rule reads everything the API offers one practitioner (inbox, each disclosure,
disclosures made, decisions, items, records, chronology, who knows, pattern flags,
notifications).

CI runs a short history; ``JIGSAW_MACHINE_EXAMPLES`` and ``JIGSAW_MACHINE_STEPS`` ask
for a long one, and ``--hypothesis-seed`` repeats one exactly. The counts of examples,
steps and reads actually run are printed at the end (``-s`` shows them).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jigsaw import clock
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity import tokens
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.identity.tokens import TokenIn
from jigsaw.policy.roles import HUMAN_ROLES, AgencyKind, Role
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.sharing.disclosures import WITHHELD
from jigsaw.sharing.lawful_basis import Art9Condition, Art10Condition
from jigsaw.sharing.models import ConsentPosition, NotToldReason
from tests.conftest import PASSWORD, SYSTEM, World, unique
from tests.policy.need_to_know_model import (
    BREAK_GLASS_ROLES,
    DECISION_READERS,
    FIELDS,
    FRONTLINE,
    SAFEGUARDING_KINDS,
    Agency,
    BreakGlass,
    Carried,
    Chain,
    Decision,
    Disclosure,
    Json,
    Model,
    Practitioner,
    Record,
    Version,
    end_of,
)
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import link, new_person

EXAMPLES = int(os.environ.get("JIGSAW_MACHINE_EXAMPLES", "10"))
STEPS = int(os.environ.get("JIGSAW_MACHINE_STEPS", "25"))
PROGRESS = os.environ.get("JIGSAW_MACHINE_PROGRESS", "")
"""A file to append running counts to after each example, for long runs."""


MAX_AGENCIES = 4
MAX_PRACTITIONERS = 10
MAX_CHILDREN = 3
MAX_RECORDS = 8
MAX_ITEMS = 14
MAX_DECISIONS = 8
MAX_DISCLOSURES = 12

GOOD_REASON = "Child reported missing overnight; police need what every agency knows now"
BREAK_GLASS_LIMIT_MINUTES = 60
RECORDS_READ = "records:read"
SHARING_READ = "sharing:read"

TEXT = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHÉéøß'-0123456789", max_size=24)
    .map(str.strip)
    .filter(bool)
)
SUBTYPES = (
    "injury",
    "attendance",
    "missed_appointment",
    "domestic_abuse_incident",
    "substance_misuse",
    "home_visit",
    "registration",
)
ITEM_CONTENT = st.fixed_dictionaries(
    {
        "category": st.sampled_from([c.value for c in Category]),
        "subtype": st.sampled_from(SUBTYPES),
        "occurred_on": st.dates(datetime(2020, 1, 1).date(), datetime(2025, 12, 31).date()).map(
            lambda d: d.isoformat()
        ),
        "summary": TEXT,
        "detail": st.one_of(st.just(""), TEXT),
        "nature": st.sampled_from([n.value for n in Nature]),
        "source": TEXT,
        "verification": st.sampled_from([v.value for v in Verification]),
        "special_category": st.sampled_from([False, False, False, True]),
        "criminal_offence": st.sampled_from([False, False, False, True]),
        "protected_identity": st.booleans(),
    }
)
FLAGS = ("special_category", "criminal_offence", "protected_identity")
CLOCK_STEPS = (
    timedelta(minutes=20),
    timedelta(hours=1),
    timedelta(hours=9),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=4),
)


Read = tuple[str, str, Callable[[httpx.Response], None]]
"""The scope a token needs, the path, and what the answer must be."""


@dataclass
class Tally:
    """What a run actually did, for the record of long runs."""

    examples: int = 0
    steps: int = 0
    reads: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def saw(self, what: str) -> None:
        """Count an outcome worth knowing a run reached (also a Hypothesis event)."""
        self.outcomes[what] += 1
        event(what)


TALLY = Tally()


class Mismatch(AssertionError):
    pass


def same(what: str, expected: object, got: object) -> None:
    if expected != got:
        raise Mismatch(f"{what}\n  the model says: {expected!r}\n  the API says:   {got!r}")


def _version(response_id: int, number: int, content: Json) -> Version:
    return Version(
        id=response_id,
        number=number,
        values={f: content[f] for f in FIELDS},
        special_category=content["special_category"],
        criminal_offence=content["criminal_offence"],
        protected_identity=content["protected_identity"],
    )


class NeedToKnow(RuleBasedStateMachine):
    """The product as practitioners use it, and the model of what each may see."""

    app: FastAPI
    db: Database
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.clients: dict[int, TestClient] = {}
        self.signed_in_at: dict[int, datetime] = {}
        self.accounts: dict[int, PractitionerOut] = {}
        self.agency_records: dict[int, AgencyOut] = {}
        self.leads: dict[int, Practitioner] = {}
        self.feeds: dict[int, Practitioner] = {}
        """Each agency's service account, by agency: the only holders of API tokens."""
        self.systems = self.stack.enter_context(TestClient(self.app))
        self.model = Model(now=clock.utcnow())
        self.rng = random.Random(0)

    # Set-up and the clock

    @initialize(
        rng=st.randoms(use_true_random=False),
        kinds=st.lists(st.sampled_from(sorted(SAFEGUARDING_KINDS)), min_size=2, max_size=2),
        contents=st.lists(ITEM_CONTENT, min_size=2, max_size=2),
        urgent_role=st.sampled_from(sorted(BREAK_GLASS_ROLES)),
    )
    def begin(
        self, rng: random.Random, kinds: list[str], contents: list[Json], urgent_role: str
    ) -> None:
        """Two agencies that each know one child and hold an item about them, and someone
        who could use break-glass: the rest is up to the rules."""
        TALLY.examples += 1
        self.rng = rng
        self.model.now = clock.utcnow().replace(microsecond=0)
        self.db.clock.hold(self.model.now)
        child = new_person(self.db)
        self.model.people.append(child)
        for kind, content in zip(kinds, contents, strict=True):
            agency = self._agency(kind)
            lead = self.leads[agency.id]
            record = self._record(lead, agency, "Maisie", "Ashworth", child)
            self._item(lead, record, content)
        self._practitioner(agency, urgent_role, second_factor=True)

    def teardown(self) -> None:
        self.stack.close()
        self.db.clock.hold(None)
        if PROGRESS:
            with open(PROGRESS, "a", encoding="utf-8") as log:
                log.write(
                    f"{datetime.now(UTC).isoformat(timespec='seconds')} examples={TALLY.examples} "
                    f"steps={TALLY.steps} reads={TALLY.reads}\n"
                )

    @rule(by=st.sampled_from(CLOCK_STEPS))
    def time_passes(self, by: timedelta) -> None:
        TALLY.steps += 1
        before = self.model.now
        self.model.now += by
        self.db.clock.hold(self.model.now)
        for d in self.model.disclosures.values():
            if d.active(before) and not d.active(self.model.now):
                TALLY.saw("disclosure expired")
        for b in self.model.break_glass.values():
            if b.active(before) and not b.active(self.model.now):
                TALLY.saw("break-glass ran out")

    # People and agencies

    def _agency(self, kind: str) -> Agency:
        made = self.world.agency(AgencyKind(kind))
        self.agency_records[made.id] = made
        agency = self.model.agencies[made.id] = Agency(made.id, made.name, made.kind.value)
        self.leads[agency.id] = self._practitioner(agency, Role.DSL.value, second_factor=True)
        return agency

    def _practitioner(self, agency: Agency, role: str, *, second_factor: bool) -> Practitioner:
        made = self.world.practitioner(
            self.agency_records[agency.id], Role(role), second_factor=second_factor
        )
        self.accounts[made.id] = made
        found = self.model.practitioners[made.id] = Practitioner(
            made.id, agency.id, role, made.email, second_factor
        )
        return found

    @precondition(lambda self: len(self.model.agencies) < MAX_AGENCIES)
    @rule(kind=st.sampled_from([k.value for k in AgencyKind]))
    def new_agency(self, kind: str) -> None:
        TALLY.steps += 1
        self._agency(kind)

    @precondition(lambda self: len(self.model.practitioners) < MAX_PRACTITIONERS)
    @rule(data=st.data(), role=st.sampled_from([r.value for r in HUMAN_ROLES]), mfa=st.booleans())
    def new_practitioner(self, data: st.DataObject, role: str, mfa: bool) -> None:
        TALLY.steps += 1
        agency = data.draw(st.sampled_from(sorted(self.model.agencies.values(), key=_id)))
        self._practitioner(agency, role, second_factor=mfa)

    @precondition(lambda self: any(not p.second_factor for p in self.model.practitioners.values()))
    @rule(data=st.data())
    def second_factor_set_up(self, data: st.DataObject) -> None:
        """A first sign-in that sets up an authenticator app over the API."""
        TALLY.steps += 1
        who = data.draw(
            st.sampled_from([p for p in self._people() if not p.second_factor]),
            label="practitioner",
        )
        client = self._client(who)
        client.cookies.clear()
        self.world.sign_in(client, self.accounts[who.id])
        who.second_factor = True
        self.signed_in_at[who.id] = self.model.now

    @precondition(lambda self: len(self.feeds) < len(self.model.agencies))
    @rule(
        data=st.data(),
        scopes=st.sets(st.sampled_from([RECORDS_READ, SHARING_READ]), min_size=1),
    )
    def api_token_issued(self, data: st.DataObject, scopes: set[str]) -> None:
        """Another system's feed: a service account of one agency, with a token. It acts as
        a practitioner of that agency and never as a person."""
        TALLY.steps += 1
        agency = data.draw(
            st.sampled_from(
                [a for a in sorted(self.model.agencies.values(), key=_id) if a.id not in self.feeds]
            ),
            label="agency of the feed",
        )
        account = self.world.service_account(self.agency_records[agency.id])
        made = tokens.create_token(
            self.db,
            SYSTEM,
            TokenIn(
                practitioner_id=account.id,
                name=unique("Case system"),
                scopes=sorted(scopes),  # type: ignore[arg-type]
                expires_in_days=366,
            ),
        )
        self.feeds[agency.id] = Practitioner(
            account.id,
            agency.id,
            account.role.value,
            account.email,
            second_factor=True,
            token=made.token,
            token_scopes=frozenset(scopes),
        )

    @precondition(lambda self: len(self.model.people) < MAX_CHILDREN)
    @rule()
    def new_child(self) -> None:
        TALLY.steps += 1
        self.model.people.append(new_person(self.db))

    # Records and items

    @precondition(lambda self: len(self.model.records) < MAX_RECORDS)
    @rule(data=st.data(), linked=st.integers(0, 4), given=TEXT, family=TEXT)
    def new_record(self, data: st.DataObject, linked: int, given: str, family: str) -> None:
        """Mostly linked to a child, as linkage would leave it; sometimes not (yet).
        Mostly confirmed at once by a colleague, when the agency has one who may."""
        TALLY.steps += 1
        agency = data.draw(st.sampled_from(sorted(self.model.agencies.values(), key=_id)))
        writer = self._writer(data, agency.id)
        person = data.draw(st.sampled_from(self.model.people), label="child") if linked else None
        record = self._record(writer, agency, given, family, person)
        vouchers = [
            p for p in self._people() if p.second_factor and self.model.may_confirm(p, record)
        ]
        if vouchers and data.draw(st.integers(0, 3), label="confirmed at once"):
            self._confirm(data.draw(st.sampled_from(vouchers), label="confirmer"), record)

    @precondition(lambda self: any(not r.confirmed for r in self.model.records.values()))
    @rule(data=st.data())
    def record_confirmed(self, data: st.DataObject) -> None:
        """Anyone of the agency tries to confirm a colleague's record: only a DSL, MASH
        practitioner or Caldicott Guardian who did not make it may."""
        TALLY.steps += 1
        waiting = sorted((r for r in self.model.records.values() if not r.confirmed), key=_id)
        record = data.draw(st.sampled_from(waiting), label="unconfirmed record")
        able = [p for p in self._people() if p.agency_id == record.agency_id and p.second_factor]
        self._confirm(data.draw(st.sampled_from(able), label="confirmer"), record)

    def _confirm(self, who: Practitioner, record: Record) -> None:
        response = self._as(who, "POST", f"/api/agency-records/{record.id}/confirmation")
        if self.model.may_confirm(who, record):
            same("confirming a colleague's record", 201, response.status_code)
            record.confirmed = True
            TALLY.saw("record confirmed")
        elif who.frontline:
            same("confirming a record one may not", 403, response.status_code)
        else:
            same("confirming a record one cannot see", 404, response.status_code)

    def _record(
        self, writer: Practitioner, agency: Agency, given: str, family: str, person: int | None
    ) -> Record:
        response = self._as(
            writer,
            "POST",
            "/api/agency-records",
            json={
                "agency_id": agency.id,
                "local_id": unique("L").replace(" ", "-"),
                "role": "child",
                "given_name": given,
                "family_name": family,
                "date_of_birth": "2016-05-01",
            },
        )
        same("recording a child", 201, response.status_code)
        record_id = response.json()["id"]
        if person is not None:
            link(self.db, person, record_id, confirmed=False)
        record = Record(record_id, agency.id, person, given, family, writer.id, confirmed=False)
        self.model.records[record_id] = record
        return record

    @precondition(lambda self: self.model.records and len(self.model.chains) < MAX_ITEMS)
    @rule(data=st.data(), content=ITEM_CONTENT)
    def item_recorded(self, data: st.DataObject, content: Json) -> None:
        TALLY.steps += 1
        record = data.draw(st.sampled_from(sorted(self.model.records.values(), key=_id)))
        self._item(self._writer(data, record.agency_id), record, content)

    def _item(self, writer: Practitioner, record: Record, content: Json) -> None:
        response = self._as(
            writer, "POST", "/api/items", json={"subject_record_id": record.id, **content}
        )
        same("recording an item", 201, response.status_code)
        made = response.json()
        self.model.chains[made["id"]] = Chain(
            made["id"], record.agency_id, record.id, [_version(made["id"], 1, content)]
        )

    @precondition(lambda self: self.model.chains)
    @rule(data=st.data(), content=ITEM_CONTENT, stale=st.integers(0, 3), reason=TEXT)
    def item_corrected(self, data: st.DataObject, content: Json, stale: int, reason: str) -> None:
        """A correction restates the item; sometimes it is made to an older version."""
        TALLY.steps += 1
        chain = data.draw(st.sampled_from(sorted(self.model.chains.values(), key=_id)))
        target = chain.latest
        if stale == 0 and len(chain.versions) > 1:
            target = data.draw(st.sampled_from(chain.versions[:-1]), label="older version")
        writer = self._writer(data, chain.agency_id)
        body = {"subject_record_id": chain.record_id, "reason": reason, **content}
        response = self._as(writer, "POST", f"/api/items/{target.id}/corrections", json=body)
        if chain.retracted:
            same(f"correcting withdrawn item {chain.id}", 409, response.status_code)
            return
        if target is not chain.latest:
            same(
                f"correcting version {target.number} of item {chain.id}", 409, response.status_code
            )
            return
        same(f"correcting item {chain.id}", 201, response.status_code)
        made = response.json()
        version = _version(made["id"], target.number + 1, content)
        version.reason, version.recorded_at = made["correction_reason"], made["recorded_at"]
        chain.versions.append(version)

    @precondition(lambda self: self.model.chains)
    @rule(data=st.data(), reason=TEXT)
    def item_retracted(self, data: st.DataObject, reason: str) -> None:
        TALLY.steps += 1
        chain = data.draw(st.sampled_from(sorted(self.model.chains.values(), key=_id)))
        version = data.draw(st.sampled_from(chain.versions), label="version")
        writer = self._writer(data, chain.agency_id)
        response = self._as(
            writer, "POST", f"/api/items/{version.id}/retraction", json={"reason": reason}
        )
        if chain.retracted:
            same(f"retracting item {chain.id} again", 409, response.status_code)
            return
        same(f"retracting item {chain.id}", 201, response.status_code)
        chain.retraction_reason = reason

    @precondition(lambda self: self.model.chains or self.model.disclosures)
    @rule(data=st.data())
    def someone_without_the_right_tries_to_change_it(self, data: st.DataObject) -> None:
        """Another agency's practitioner, a role that cannot record, or someone who has not
        proved a second factor, tries to retract an item or revoke a disclosure; nothing changes."""
        TALLY.steps += 1
        targets: list[tuple[str, int, int]] = [
            ("item", c.agency_id, c.latest.id) for c in self.model.chains.values()
        ]
        targets += [
            ("disclosure", d.decision.agency_id, d.id) for d in self.model.disclosures.values()
        ]
        kind, agency_id, target = data.draw(st.sampled_from(sorted(targets)), label="target")
        outsiders = [
            p
            for p in self._people()
            if p.agency_id != agency_id
            or not p.second_factor
            or (kind == "item" and not p.frontline)
        ]
        if not outsiders:
            return
        who = data.draw(st.sampled_from(outsiders), label="outsider")
        if kind == "item":
            path, body = f"/api/items/{target}/retraction", {"reason": "Not mine to retract"}
        else:
            path, body = f"/api/disclosures/{target}/revocation", {"reason": "Not ours"}
        response = self._as(who, "POST", path, json=body)
        expected = 401 if not who.second_factor else 404
        same(f"{self._describe(who, 'session')} tries POST {path}", expected, response.status_code)

    # Decisions, disclosures and revocations

    @precondition(lambda self: self.model.records and len(self.model.decisions) < MAX_DECISIONS)
    @rule(
        data=st.data(),
        named=st.booleans(),
        art9=st.booleans(),
        art10=st.booleans(),
        reveal=st.booleans(),
    )
    def decision_to_share(
        self, data: st.DataObject, named: bool, art9: bool, art10: bool, reveal: bool
    ) -> None:
        TALLY.steps += 1
        record = data.draw(st.sampled_from(sorted(self.model.records.values(), key=_id)))
        self._decide(data, record, named=named, art9=art9, art10=art10, reveal=reveal)

    def _decide(
        self,
        data: st.DataObject,
        record: Record,
        *,
        named: bool,
        art9: bool,
        art10: bool,
        reveal: bool,
    ) -> Decision | None:
        to_agency = data.draw(
            st.sampled_from(sorted(self.model.agencies.values(), key=_id)), label="to agency"
        )
        to_practitioner: Practitioner | None = None
        if named:
            likely = [p for p in self._people() if p.agency_id == to_agency.id and p.frontline]
            anyone = not likely or not data.draw(st.integers(0, 3), label="anyone")
            to_practitioner = data.draw(
                st.sampled_from(self._people() if anyone else likely), label="to practitioner"
            )
        writer = self._writer(data, record.agency_id)
        response = self._as(
            writer,
            "POST",
            "/api/decisions",
            json={
                "subject_record_id": record.id,
                "recipient_agency_id": to_agency.id,
                "recipient_practitioner_id": to_practitioner.id if to_practitioner else None,
                "purpose": SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
                "answers": dict(HARM_ANSWERS),
                "outcome": "share",
                "reasons": "Bruising seen twice in a week; the MASH is screening a referral.",
                "lawful_basis": "6(1)(e)",
                "art9_condition": Art9Condition.SAFEGUARDING_SCH1_PARA18.value if art9 else None,
                "art10_condition": Art10Condition.SAFEGUARDING_SCH1_PARA18.value if art10 else None,
                "consent_position": ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK.value,
                "family_informed": False,
                "not_told_reason": NotToldReason.RISK_TO_CHILD.value,
                "not_told_review_on": "2099-01-01",
                "reveal_protected_reason": "To contact the witness." if reveal else "",
            },
        )
        allowed = to_agency.kind in SAFEGUARDING_KINDS and (
            to_practitioner is None
            or (to_practitioner.agency_id == to_agency.id and to_practitioner.frontline)
        )
        what = f"a decision to share with {to_agency.kind} agency {to_agency.id}" + (
            f", naming {self._describe(to_practitioner, 'session')}" if to_practitioner else ""
        )
        same(what, 201 if allowed else 422, response.status_code)
        TALLY.saw(f"decision {'recorded' if allowed else 'refused'}")
        if not allowed:
            return None
        made = response.json()["id"]
        decision = self.model.decisions[made] = Decision(
            made,
            record.agency_id,
            record.id,
            to_agency.id,
            to_practitioner.id if to_practitioner else None,
            art9,
            art10,
            reveal,
        )
        return decision

    @precondition(lambda self: len(self.model.disclosures) < MAX_DISCLOSURES and self.model.chains)
    @rule(
        data=st.data(),
        days=st.sampled_from([0, 0, 1, 1, 2, 3, 5, -1, 367]),
        onward=st.booleans(),
        fresh=st.booleans(),
    )
    def disclosure_made(self, data: st.DataObject, days: int, onward: bool, fresh: bool) -> None:
        """On an earlier decision, or on one made for it (most disclosures are)."""
        TALLY.steps += 1
        decisions = [
            d
            for d in self.model.decisions.values()
            if any(c.agency_id == d.agency_id for c in self.model.chains.values())
        ]
        if fresh or not decisions:
            chain = data.draw(
                st.sampled_from(sorted(self.model.chains.values(), key=_id)), label="about item"
            )
            made = self._decide(
                data,
                self.model.records[chain.record_id],
                named=data.draw(st.booleans(), label="named"),
                art9=data.draw(st.booleans(), label="art9"),
                art10=data.draw(st.booleans(), label="art10"),
                reveal=data.draw(st.booleans(), label="reveal reason"),
            )
            if made is None:
                return
            decision = made
        else:
            decision = data.draw(st.sampled_from(sorted(decisions, key=_id)), label="decision")
        held = sorted(
            (c for c in self.model.chains.values() if c.agency_id == decision.agency_id), key=_id
        )
        about = [c for c in held if c.record_id == decision.record_id]
        pool = about if about and data.draw(st.integers(0, 4), label="off-topic") else held
        chosen = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3), label="items")
        wanted: list[tuple[int, tuple[str, ...], bool]] = []
        for chain in chosen:
            version = chain.latest
            if len(chain.versions) > 1 and not data.draw(st.integers(0, 3), label="stale"):
                version = data.draw(st.sampled_from(chain.versions[:-1]), label="older version")
            fields = data.draw(
                st.lists(st.sampled_from(FIELDS), min_size=1, max_size=len(FIELDS), unique=True),
                label="fields",
            )
            wanted.append((version.id, tuple(fields), data.draw(st.booleans(), label="reveal")))
        self._disclose(decision, wanted, days, onward=onward)

    def _disclose(
        self,
        decision: Decision,
        wanted: list[tuple[int, tuple[str, ...], bool]],
        days: int,
        *,
        onward: bool,
    ) -> None:
        expires_on = self.model.now.date() + timedelta(days=days)
        writer = self.leads[decision.agency_id]
        response = self._as(
            writer,
            "POST",
            "/api/disclosures",
            json={
                "decision_id": decision.id,
                "items": [
                    {"item_id": v, "fields": list(f), "reveal_protected": r} for v, f, r in wanted
                ],
                "expires_on": expires_on.isoformat(),
                "onward_sharing_allowed": onward,
                # These agencies have signed nothing (``agreements.validity`` says DENY):
                # what is under test is who may see what, so the reason is always given.
                "agreement_override_reason": "To protect a child; the law allows it.",
            },
        )
        problems = self.model.disclosure_problems(decision, wanted, expires_on)
        same(
            f"disclosing {wanted} on decision {decision.id}, expiring {expires_on} "
            f"(the model's problems: {problems or 'none'})",
            422 if problems else 201,
            response.status_code,
        )
        TALLY.saw(f"disclosure {'refused' if problems else 'made'}")
        if problems:
            return
        made = response.json()
        disclosure = Disclosure(
            made["id"],
            decision,
            [
                Carried(
                    self.model.version(v)[0].id,
                    # Whether it is fact or opinion goes with every item shared.
                    tuple(f for f in FIELDS if f in fs or f == "nature"),
                    r,
                    self.model.version(v)[0].latest.number,  # the newest version goes out
                )
                for v, fs, r in wanted
            ],
            end_of(expires_on),
        )
        self.model.disclosures[disclosure.id] = disclosure
        same(
            f"the items of new disclosure {disclosure.id}",
            [self.model.received_item(c) for c in disclosure.carried],
            made["items"],
        )

    @precondition(lambda self: len(self.model.disclosures) < MAX_DISCLOSURES and self.model.chains)
    @rule(data=st.data(), days=st.sampled_from([0, 1, 2, 3]))
    def disclosure_of_everything_about_one_item(self, data: st.DataObject, days: int) -> None:
        """The common case: one item, on a decision made for it, every field, no reveal."""
        TALLY.steps += 1
        chain = data.draw(
            st.sampled_from(sorted(self.model.chains.values(), key=_id)), label="item"
        )
        decision = self._decide(
            data,
            self.model.records[chain.record_id],
            named=data.draw(st.booleans(), label="named"),
            art9=True,
            art10=True,
            reveal=False,
        )
        if decision is not None:
            self._disclose(decision, [(chain.latest.id, FIELDS, False)], days, onward=False)

    @precondition(lambda self: self.model.disclosures)
    @rule(data=st.data(), reason=TEXT)
    def disclosure_revoked(self, data: st.DataObject, reason: str) -> None:
        TALLY.steps += 1
        disclosure = data.draw(
            st.sampled_from(sorted(self.model.disclosures.values(), key=_id)), label="disclosure"
        )
        writer = self._writer(data, disclosure.decision.agency_id)
        response = self._as(
            writer, "POST", f"/api/disclosures/{disclosure.id}/revocation", json={"reason": reason}
        )
        if disclosure.revoked:
            same(f"revoking disclosure {disclosure.id} again", 409, response.status_code)
            return
        same(f"revoking disclosure {disclosure.id}", 201, response.status_code)
        disclosure.revoked = True

    # Break-glass

    @rule(
        data=st.data(),
        reason=st.sampled_from([GOOD_REASON, GOOD_REASON, "Urgent, sorry"]),
        minutes=st.sampled_from([None, 30, 60, 61]),
    )
    def break_glass_started(self, data: st.DataObject, reason: str, minutes: int | None) -> None:
        """Anyone may try; only a MASH practitioner or Caldicott Guardian, signed in just
        now with a second factor, giving a real reason, for no more than the limit."""
        TALLY.steps += 1
        who = data.draw(st.sampled_from(self._people()), label="practitioner")
        person = data.draw(st.sampled_from(self.model.people), label="child")
        body: Json = {"category": "missing_child", "reason": reason}
        if minutes is not None:
            body["minutes"] = minutes
        response = self._as(who, "POST", f"/api/people/{person}/break-glass", json=body)
        if not who.second_factor:
            expected = 401
        elif who.role not in BREAK_GLASS_ROLES:
            expected = 403
        elif reason != GOOD_REASON or (minutes or 60) > BREAK_GLASS_LIMIT_MINUTES:
            expected = 422
        elif any(
            s.practitioner_id == who.id and s.active(self.model.now)
            for s in self.model.break_glass.values()
        ):
            expected = 409  # one child's emergency at a time, this child's or another's
        else:
            expected = 201
        same(
            f"{self._describe(who, 'session')} starts break-glass on child {person} "
            f"for {minutes or 'the default'} minutes, saying {reason!r}",
            expected,
            response.status_code,
        )
        TALLY.saw(f"break-glass start answered {expected}")
        if expected == 201:
            made = response.json()
            session = BreakGlass(
                made["id"], who.id, person, self.model.now + timedelta(minutes=minutes or 60)
            )
            same(
                "when the emergency access ends",
                session.expires_at,
                datetime.fromisoformat(made["expires_at"]),
            )
            self.model.break_glass[session.id] = session

    @precondition(lambda self: self.model.break_glass)
    @rule(data=st.data(), own=st.integers(0, 3))
    def break_glass_ended(self, data: st.DataObject, own: int) -> None:
        """Its owner ends it early (again, or after it ran out: a clash); others cannot."""
        TALLY.steps += 1
        session = data.draw(
            st.sampled_from(sorted(self.model.break_glass.values(), key=_id)), label="session"
        )
        owner = self.model.practitioners[session.practitioner_id]
        others = [p for p in self._people() if p.id != owner.id and p.second_factor]
        who = owner if own or not others else data.draw(st.sampled_from(others), label="other")
        response = self._as(who, "POST", f"/api/break-glass/{session.id}/end")
        active = session.active(self.model.now)
        expected = 404 if who is not owner else 200 if active else 409
        same(
            f"{self._describe(who, 'session')} ends break-glass {session.id} "
            f"(owner {owner.id}, {'active' if session.active(self.model.now) else 'over'})",
            expected,
            response.status_code,
        )
        TALLY.saw(f"break-glass end answered {expected}")
        if expected == 200:
            session.ended = True

    # Reading

    @rule(data=st.data())
    def practitioner_looks(self, data: st.DataObject) -> None:
        """One practitioner (or an agency's feed, with its token) reads everything the API
        offers."""
        TALLY.steps += 1
        who = data.draw(st.sampled_from(self._viewers()), label="viewer")
        self.check_reads(who, "token" if who.token else "session", everything=True)

    @invariant()
    def every_read_agrees_with_the_model(self) -> None:
        if not self.model.practitioners:
            return
        who = self.rng.choice(self._viewers())
        self.check_reads(who, "token" if who.token else "session", everything=False)

    def check_reads(self, who: Practitioner, via: str, *, everything: bool) -> None:
        """Every read the API offers them, or (after each step) the inbox, one child's
        chronology and two reads chosen at random, to keep a long history affordable."""
        viewer = self._describe(who, via)
        inbox: Read = (SHARING_READ, "/api/disclosures/received", lambda b: self._inbox(who, b))
        chronologies: list[Read] = [
            (RECORDS_READ, f"/api/people/{p}/chronology", self._chronology_check(who, p, via))
            for p in self.model.people
        ]
        others: list[Read] = [
            (SHARING_READ, "/api/disclosures/made", lambda b: self._made(who, b)),
            ("", "/api/notifications", lambda b: self._notifications(who, b)),
        ]
        others += [
            (SHARING_READ, f"/api/disclosures/received/{d.id}", self._disclosure_check(who, d))
            for d in self.model.disclosures.values()
        ]
        others += [
            (SHARING_READ, f"/api/decisions/{d.id}", self._decision_check(who, d))
            for d in self.model.decisions.values()
        ]
        for p in self.model.people:
            knows = self._who_knows_check(who, p, via)
            others.append((RECORDS_READ, f"/api/people/{p}/who-knows", knows))
            others.append((RECORDS_READ, f"/api/people/{p}/flags", self._flags_check(who, p, via)))
        others += [
            (RECORDS_READ, f"/api/items/{v.id}", self._item_check(who, v))
            for c in self.model.chains.values()
            for v in c.versions
        ]
        for record in self.model.records.values():
            others.append(
                (RECORDS_READ, f"/api/agency-records/{record.id}", self._record_check(who, record))
            )
            others.append(
                (
                    RECORDS_READ,
                    f"/api/agency-records/{record.id}/items",
                    self._record_items_check(who, record),
                )
            )
        if everything:
            reads = [inbox, *chronologies, *others]
        else:
            reads = [inbox, self.rng.choice(chronologies)]
            reads += self.rng.sample(others, min(2, len(others)))

        for scope, path, check in reads:
            TALLY.reads += 1
            response = self._read(who, via, path)
            if via == "session" and not who.second_factor:
                same(f"{viewer} without a second factor reads {path}", 401, response.status_code)
                continue
            if via == "token" and scope not in who.token_scopes:
                same(
                    f"{viewer} reads {path} with scopes {sorted(who.token_scopes)}",
                    403,
                    response.status_code,
                )
                continue
            try:
                check(response)
            except Mismatch as mismatch:
                raise Mismatch(f"{viewer} reads {path}: {mismatch}") from None

    # What each read must show

    def _inbox(self, who: Practitioner, response: httpx.Response) -> None:
        same("status", 200, response.status_code)
        got = {d["id"]: d for d in response.json()}
        expected = {d.id: d for d in self.model.inbox(who)}
        same("the active disclosures to them or their agency", sorted(expected), sorted(got))
        if expected:
            TALLY.saw("inbox read with disclosures in it")
        for disclosure_id, disclosure in expected.items():
            self._disclosure_body(disclosure, got[disclosure_id])

    def _disclosure_body(self, disclosure: Disclosure, body: Json) -> None:
        record = self.model.records[disclosure.decision.record_id]
        same(
            f"disclosure {disclosure.id}: who the child is",
            (record.given_name, record.family_name),
            (body["subject"]["given_name"], body["subject"]["family_name"]),
        )
        same(
            f"disclosure {disclosure.id}: expiry",
            disclosure.expires_at,
            datetime.fromisoformat(body["expires_at"]),
        )
        same(
            f"disclosure {disclosure.id}: revoked",
            disclosure.revoked,
            body["revoked_at"] is not None,
        )
        same(
            f"disclosure {disclosure.id}: its items, field by field",
            [self.model.received_item(c) for c in disclosure.carried],
            body["items"],
        )

    def _disclosure_check(
        self, who: Practitioner, disclosure: Disclosure
    ) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            if disclosure in self.model.inbox(who):
                same("status", 200, response.status_code)
                self._disclosure_body(disclosure, response.json())
            else:
                same(
                    f"status of disclosure {disclosure.id} ({self._state(disclosure)})",
                    404,
                    response.status_code,
                )

        return check

    def _made(self, who: Practitioner, response: httpx.Response) -> None:
        """Disclosures the agency made, with their items: its own records, so front-line only."""
        made = [d for d in self.model.disclosures.values() if d.decision.agency_id == who.agency_id]
        if not who.frontline:
            if response.status_code == 200:
                shown = [
                    (d["id"], i["item_chain_id"], f)
                    for d in response.json()
                    for i in d["items"]
                    for f in FIELDS
                    if i[f] is not None
                ]
                same(f"item fields shown to a {who.role} (not a front-line role)", [], shown)
            else:
                same("status", 403, response.status_code)
            return
        same("status", 200, response.status_code)
        got = {d["id"]: d for d in response.json()}
        same("the disclosures their agency made", sorted(d.id for d in made), sorted(got))
        for disclosure in made:
            self._disclosure_body(disclosure, got[disclosure.id])

    def _decision_check(
        self, who: Practitioner, decision: Decision
    ) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            if decision.agency_id != who.agency_id:
                same(
                    f"status of another agency's decision {decision.id}", 404, response.status_code
                )
            elif who.role in DECISION_READERS:
                same("status", 200, response.status_code)
                same("decision subject", decision.record_id, response.json()["subject_record_id"])
            else:
                same(
                    f"status of decision {decision.id} (its reasons are about a child) "
                    f"for a {who.role}",
                    404,
                    response.status_code,
                )

        return check

    def _chronology_check(
        self, who: Practitioner, person: int, via: str
    ) -> Callable[[httpx.Response], None]:
        as_person = via == "session"

        def check(response: httpx.Response) -> None:
            if not self.model.may_view_chronology(who, person, as_person=as_person):
                same(f"status of child {person}'s chronology", 403, response.status_code)
                return
            same(f"status of child {person}'s chronology", 200, response.status_code)
            entries = response.json()["entries"]
            for entry in entries:
                entry.pop("about", None)
            expected = self.model.chronology(who, person, as_person=as_person)
            same(
                "which items, in order",
                [e["item_chain_id"] for e in expected],
                [e["item_chain_id"] for e in entries],
            )
            for want, got in zip(expected, entries, strict=True):
                same(f"item {want['item_chain_id']}, field by field", want, _known(want, got))
                if want["break_glass_session_id"] is not None:
                    TALLY.saw("chronology item seen under break-glass")
                if WITHHELD in want.values():
                    TALLY.saw("chronology field withheld")
                if not want["own_agency"] and len(want["fields"]) < len(FIELDS):
                    TALLY.saw("chronology item with some fields only")

        return check

    def _who_knows_check(
        self, who: Practitioner, person: int, via: str
    ) -> Callable[[httpx.Response], None]:
        as_person = via == "session"

        def check(response: httpx.Response) -> None:
            if not self.model.may_view_who_knows(who, person, as_person=as_person):
                same(f"status of who knows child {person}", 403, response.status_code)
                return
            same(f"status of who knows child {person}", 200, response.status_code)
            body = response.json()
            if self.model.names_who_knows(who, person, as_person=as_person):
                same("whether names are withheld", False, body["names_withheld"])
                same(
                    "the agencies that know the child",
                    sorted(self.model.who_knows(person)),
                    sorted(a["agency_id"] for a in body["agencies"]),
                )
                return
            TALLY.saw("who knows by kind only, the record unconfirmed")
            same("whether names are withheld", True, body["names_withheld"])
            same(
                "the agencies named while the record is unconfirmed",
                [who.agency_id],
                [a["agency_id"] for a in body["agencies"]],
            )
            same(
                "the kinds of the other agencies",
                self.model.other_kinds(who, person),
                body["other_agency_kinds"],
            )

        return check

    def _flags_check(
        self, who: Practitioner, person: int, via: str
    ) -> Callable[[httpx.Response], None]:
        as_person = via == "session"

        def check(response: httpx.Response) -> None:
            if not self.model.may_view_chronology(who, person, as_person=as_person):
                same(f"status of child {person}'s pattern flags", 403, response.status_code)
                return
            same(f"status of child {person}'s pattern flags", 200, response.status_code)
            visible = {
                e["item_chain_id"]: e
                for e in self.model.chronology(who, person, as_person=as_person)
            }
            for flag in response.json()["flags"]:
                for group in flag["evidence"]:
                    for entry in group["entries"]:
                        entry.pop("about", None)
                        chain = entry["item_chain_id"]
                        want = visible.get(chain)
                        same(
                            f"flag {flag['id']}: evidence item {chain}",
                            want or "not visible to them",
                            _known(want, entry) if want else entry,
                        )

        return check

    def _item_check(self, who: Practitioner, version: Version) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            expected = self.model.own_item(who, version.id)
            if expected is None:
                same(f"status of item version {version.id}", 404, response.status_code)
                return
            same(f"status of item version {version.id}", 200, response.status_code)
            got = response.json()
            same("the item, field by field", expected, {k: got[k] for k in expected})

        return check

    def _record_check(self, who: Practitioner, record: Record) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            mine = who.frontline and record.agency_id == who.agency_id
            same(f"status of record {record.id}", 200 if mine else 404, response.status_code)
            if mine:
                same("the child's name", record.given_name, response.json()["given_name"])

        return check

    def _record_items_check(
        self, who: Practitioner, record: Record
    ) -> Callable[[httpx.Response], None]:
        def check(response: httpx.Response) -> None:
            expected = self.model.record_items(who, record.id)
            if expected is None:
                same(f"status of record {record.id}'s items", 404, response.status_code)
                return
            same(f"status of record {record.id}'s items", 200, response.status_code)
            got = response.json()
            same("the newest versions, newest event first", expected, [i["id"] for i in got])
            for item in got:
                own = self.model.own_item(who, item["id"])
                assert own is not None
                same(f"item {item['id']}", own, {k: item[k] for k in own})

        return check

    def _notifications(self, who: Practitioner, response: httpx.Response) -> None:
        """Notices name disclosures only to those they are addressed to."""
        same("status", 200, response.status_code)
        for notice in response.json():
            if notice["object_type"] != "disclosure":
                continue
            disclosure = self.model.disclosures.get(int(notice["object_id"]))
            if disclosure is None:
                continue
            decision = disclosure.decision
            same(
                f"notice {notice['id']} ({notice['kind']}) names disclosure {disclosure.id}, "
                "addressed to",
                True,
                decision.to_agency == who.agency_id and decision.to_practitioner in (None, who.id),
            )

    # Signing in and calling the API

    def _people(self) -> list[Practitioner]:
        return sorted(self.model.practitioners.values(), key=_id)

    def _viewers(self) -> list[Practitioner]:
        """People, and the feeds: the feeds read only through their tokens."""
        return self._people() + sorted(self.feeds.values(), key=_id)

    def _writer(self, data: st.DataObject, agency_id: int) -> Practitioner:
        """Someone who may record for the agency: front-line, second factor proved."""
        able = [
            p
            for p in self._people()
            if p.agency_id == agency_id and p.role in FRONTLINE and p.second_factor
        ]
        return data.draw(st.sampled_from(able), label="writer")

    def _client(self, who: Practitioner) -> TestClient:
        if who.id not in self.clients:
            self.clients[who.id] = self.stack.enter_context(TestClient(self.app))
        return self.clients[who.id]

    def _session(self, who: Practitioner) -> TestClient:
        """Their own browser, signed in at the current time (sessions end as time passes)."""
        client = self._client(who)
        if self.signed_in_at.get(who.id) == self.model.now:
            return client
        client.cookies.clear()
        if who.second_factor:
            self.world.sign_in(client, self.accounts[who.id])
        else:
            started = client.post("/api/session", json={"email": who.email, "password": PASSWORD})
            assert started.status_code == 200, started.text
            assert started.json()["second_factor"] == "enrolment_required", started.text
        self.signed_in_at[who.id] = self.model.now
        return client

    def _as(self, who: Practitioner, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._session(who).request(method, path, **kwargs)

    def _read(self, who: Practitioner, via: str, path: str) -> httpx.Response:
        if via == "token":
            return self.systems.get(path, headers={"Authorization": f"Bearer {who.token}"})
        return self._session(who).get(path)

    def _describe(self, who: Practitioner, via: str) -> str:
        agency = self.model.agencies[who.agency_id]
        proof = "with a second factor" if who.second_factor else "without a second factor"
        how = "API token" if via == "token" else f"session, {proof}"
        return f"practitioner {who.id} ({who.role} at {agency.kind} agency {agency.id}; {how})"

    def _state(self, disclosure: Disclosure) -> str:
        if disclosure.revoked:
            return "revoked"
        if not disclosure.active(self.model.now):
            return "expired"
        return f"active, to agency {disclosure.decision.to_agency}" + (
            f" naming practitioner {disclosure.decision.to_practitioner}"
            if disclosure.decision.to_practitioner
            else " inbox"
        )


def _known(expected: Json, got: Json) -> Json:
    """The answer's values for the keys the model speaks of (a missing key shows as such)."""
    return {k: got.get(k, "<missing>") for k in expected}


def _id(thing: Any) -> int:
    value: int = thing.id
    return value


def test_every_read_agrees_with_the_need_to_know_model(
    app: FastAPI, db: Database, world: World
) -> None:
    machine = type("NeedToKnowHere", (NeedToKnow,), {"app": app, "db": db, "world": world})
    before = Tally(TALLY.examples, TALLY.steps, TALLY.reads)
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        db.clock.hold(None)
    examples = TALLY.examples - before.examples
    steps = TALLY.steps - before.steps
    reads = TALLY.reads - before.reads
    print(f"\nneed-to-know machine: {examples} examples, {steps} steps, {reads} reads checked")
    print("outcomes reached:", dict(sorted(TALLY.outcomes.items())))
    assert steps > 0 and reads > 0
