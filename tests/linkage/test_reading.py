"""``features.READING`` names the reading of the records: a change that reads a record
differently and leaves it where it was would leave the match index's rows as the earlier
code wrote them, and a search would compare those records otherwise than a run."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from jigsaw.linkage.features import READING, PersonDetails, features_of

RECORDS = [
    PersonDetails("Mrs Jo", "Okafor", date(1988, 5, 2), "unknown", "NB4 2AB",
                  "Flat 2, 4 Mill Rd, Millbrook", "943 476 5919", "parent"),
    PersonDetails("J.", "Smith-Jones", date(2014, 7, 4), "male", "nb42ab", "12 High St"),
    PersonDetails("Libby", "O'Brien", None, "female", "", "Mill Road 12, Leeds, UK"),
    PersonDetails("", "Gill", date(2016, 3, 9), "female", "ZZ99 9ZZ",
                  "australia 6233 act eaves street 125"),
    PersonDetails("Master Alfie James", "Webb", date(2019, 1, 13), "", "NB7 7EG", "king s road 3"),
    PersonDetails("Mr and Mrs J", "Khan", date(1979, 12, 25), None, "", "", None, "child"),
]  # fmt: skip
"""Records each feature reads something of."""

READINGS = {2: "74b2505f38740336"}
"""What ``RECORDS`` read as under each reading (a digest of their features)."""


def _digest() -> str:
    features = [features_of(r).as_row() for r in RECORDS]
    text = json.dumps(features, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_a_change_to_the_reading_raises_the_reading() -> None:
    assert _digest() == READINGS.get(READING), (
        "The records read differently: raise features.READING and add the new digest "
        f"{_digest()!r} to READINGS under it (the match index then rewrites its rows)"
    )
