"""Shared helpers: synthetic records as model features, without a database."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pyarrow as pa

from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.source import FEATURE_SCHEMA, feature_row
from jigsaw.synthetic.households import households

SEED = 23


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
                ),
            )


@cache
def population(children: int = 120, seed: int = SEED) -> tuple[pa.Table, dict[int, str]]:
    """Features of a small population (ids from 1) and the truth for each id."""
    rows = []
    truth: dict[int, str] = {}
    for record_id, (key, details) in enumerate(drafts(children, seed), start=1):
        rows.append(feature_row(record_id, details, features_of(details)))
        truth[record_id] = key
    return pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA), truth
