"""Shared helpers: synthetic records as model features, without a database."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pyarrow as pa

from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.source import FEATURE_SCHEMA, feature_row
from jigsaw.synthetic.catalogue import AGENCIES
from jigsaw.synthetic.households import households

SEED = 23
AGENCY_NUMBER = {spec.code: number for number, spec in enumerate(AGENCIES, start=1)}


def drafts(children: int, seed: int = SEED) -> Iterator[tuple[str, PersonDetails]]:
    """(true person key, details) for each agency record of a generated population."""
    for household in households(seed, children):
        for draft in household.records:
            yield (
                draft.person.key,
                PersonDetails(
                    given_name=draft.given_name,
                    family_name=draft.family_name,
                    date_of_birth=draft.date_of_birth,
                    sex=draft.sex.value,
                    postcode=draft.postcode,
                    address=draft.address,
                    nhs_number=draft.nhs_number,
                    role=draft.person.role.value,
                    agency=AGENCY_NUMBER[draft.agency.code],
                ),
            )


@cache
def population(
    children: int = 120, seed: int = SEED, *, with_linked_children: bool = False
) -> tuple[pa.Table, dict[int, str]]:
    """Features of a small population (ids from 1) and the truth for each id.

    ``with_linked_children`` gives each adult record one of its household's first two
    child slots as a linked child (by record id, so a record's two copies may share it
    or not), as a batch run's second pass would: enough to put pairs on every level of
    ``shared_child``.
    """
    rows = []
    truth: dict[int, str] = {}
    for record_id, (key, details) in enumerate(drafts(children, seed), start=1):
        row = feature_row(record_id, details, features_of(details))
        if with_linked_children and details.role != "child":
            household = int(key.split(":")[1])
            row["linked_children"] = [household * 8 + 2 + record_id % 2]
        rows.append(row)
        truth[record_id] = key
    return pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA), truth
