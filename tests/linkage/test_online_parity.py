"""Online and batch blocking agree: a pair a batch rule compares, a search finds."""

from __future__ import annotations

import copy
import random
from datetime import date

from jigsaw.db import Database
from jigsaw.linkage import identifiers
from jigsaw.linkage.batch import RunSummary
from jigsaw.linkage.engine import workspace
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.online import CANDIDATE_KEYS, candidate_records, keys_for
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.settings import blocking_rules
from tests.linkage.helpers import search_details

Linked = tuple[Database, RunSummary]

PAIRS_PER_RULE = 15
SHARED_IDENTIFIER_KEY = "shared_identifier"
"""Not a match-key look-up: the identifiers' own (scheme, value) index
(``identifiers.candidate_ids``)."""
NOT_MIRRORED = "linked_children"
"""The one rule a search cannot bring: a search has no linked children (``online``)."""

MIRROR_KEYS = (
    "nhs_number",
    "dob_family",
    "dob_given",
    "dob_district",
    "swapped_dob_family",
    "swapped_dob_family",
    "given_family_soundex",
    "family_given_metaphone",
    "swapped_names",
    "dob_name_or_house",
    "swapped_dob_name_or_house",
    "swapped_dob_name_or_house",
    "address",
    "street",
    "postcode",
    "given_house",
    "family_house",
    "dob_street_name",
    "sector_given",
    "family_year_given",
    None,
    SHARED_IDENTIFIER_KEY,
)
"""The search key mirroring each of ``settings.blocking_rules()``, in its order, then
the shared identifier's rule the model adds (``identifiers.configure``)."""


def _rule_sql(entry: object) -> str:
    return entry["blocking_rule"] if isinstance(entry, dict) else str(entry)


def _blocked_pairs(
    db: Database, model: LinkageModel
) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """For each batch rule (with its mirror key), a sample of the record pairs it
    blocks together, as the batch run's own Splink blocking finds them."""
    found: dict[tuple[str, str], list[tuple[int, int]]] = {}
    rng = random.Random(33)
    with workspace(db) as space:
        settings = model.splink_settings_for(space.count)
        rules = settings["blocking_rules_to_generate_predictions"]
        assert len(rules) == len(MIRROR_KEYS)
        for entry, key in zip(rules, MIRROR_KEYS, strict=True):
            sql = _rule_sql(entry)
            if key is None:
                assert NOT_MIRRORED in sql
                continue
            one_rule = copy.deepcopy(settings)
            one_rule["blocking_rules_to_generate_predictions"] = [entry]
            blocked = space.duckdb_linker(one_rule).inference.compute_blocked_pairs_for_predict()
            pairs = space.query(
                f"SELECT DISTINCT join_key_l, join_key_r FROM {blocked.physical_name} ORDER BY 1, 2"
            )
            blocked.drop_table_from_database_and_remove_from_cache()
            sample = rng.sample(pairs, min(PAIRS_PER_RULE, len(pairs)))
            found[(sql, key)] = [(int(left), int(right)) for left, right in sample]
    return found


def _found_by_identifier(db: Database, details: PersonDetails) -> set[int]:
    with db.reading() as session:
        return identifiers.candidate_ids(session, features_of(details))


def test_every_pair_a_batch_rule_blocks_is_found_by_an_online_search_for_either_record(
    linked_once: Linked, test_model: LinkageModel
) -> None:
    db, _summary = linked_once
    pairs = _blocked_pairs(db, test_model)
    assert len(pairs) == len(blocking_rules()), (
        "every rule but linked children is checked, and the shared identifier's"
    )
    by_name = {key.name: key for key in CANDIDATE_KEYS}
    missed: list[str] = []
    checked = 0
    for (sql, key), sample in pairs.items():
        for left, right in sample:
            for searched, wanted in ((left, right), (right, left)):
                checked += 1
                details = search_details(db, searched)
                if wanted not in candidate_records(db, details):
                    missed.append(f"{sql}: search for {searched} misses {wanted}")
                # Found by the rule's own key, not only by another that overlaps it.
                if key == SHARED_IDENTIFIER_KEY:
                    if wanted not in _found_by_identifier(db, details):
                        missed.append(f"{sql}: identifiers for {searched} miss {wanted}")
                elif wanted not in candidate_records(db, details, (by_name[key],)):
                    missed.append(f"{sql}: key {key} for {searched} misses {wanted}")
    assert not missed, missed[:10]
    rules_with_pairs = sum(1 for sample in pairs.values() if sample)
    assert rules_with_pairs >= len(pairs) - 2, "the population gives most rules pairs to check"
    assert checked >= 100
    assert any(key == SHARED_IDENTIFIER_KEY and sample for (_sql, key), sample in pairs.items()), (
        "the generated population's UPNs give the shared identifier's rule pairs to check"
    )


def test_the_postcode_alone_street_and_phonetic_names_each_bring_a_record_in() -> None:
    """The four keys only the new indexes serve, each the only thing shared."""
    search = features_of(
        PersonDetails(
            given_name="Ada",
            family_name="Quill",
            date_of_birth=date(2015, 3, 4),
            postcode="ZZ9 9ZZ",
            address="12 Mill Rd, Leeds",
        )
    )
    names = {key.name for key in keys_for(search)}
    assert {"postcode", "street", "given_family_soundex", "family_given_metaphone"} <= names
    assert {"dob_name_or_house", "sector_given", "dob_district"} <= names
    no_dob = features_of(PersonDetails(given_name="Ada", family_name="Quill"))
    assert {key.name for key in keys_for(no_dob)} == {
        "given_family_soundex",
        "family_given_metaphone",
        "swapped_names",
        "given_family",
    }
    assert len(CANDIDATE_KEYS) == len(blocking_rules()) - 3 + 1, (
        "one key per rule, each rule on a swapped date's two directions as one, no linked "
        "children, "
        "and exact names without a date of birth"
    )
