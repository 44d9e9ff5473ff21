"""Training the person model without labels: u from random pairs, m by EM.

Real deployments have no ground truth, so the model learns as Splink recommends:
u (how often a level occurs among non-matching pairs) from a large random sample
of pairs, which are nearly all non-matches; m (how often among matches) by
expectation maximisation over blocked pairs; and the prior from pairs that are
almost certainly matches (same NHS number, or everything equal). The synthetic
truth is never read here.

The ``shared_child`` comparison needs linked children, which need a model: so the
model is trained twice. The first time ``linked_children`` is empty everywhere and
the comparison learns nothing; that model links the training records (first pass
only), their adults are given the persons of their children (``relational``), and
the model is trained again from scratch on the filled table, so every comparison,
the new one included, is estimated as a run will see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from splink import Linker, SettingsCreator

from jigsaw.linkage import relational
from jigsaw.linkage.engine import Workspace
from jigsaw.linkage.person_model import LinkageModel, Thresholds, floor_parameters
from jigsaw.linkage.settings import (
    BlockingRule,
    as_splink,
    deterministic_rules,
    generic_deterministic_rules,
    generic_settings,
    generic_training_rules,
    person_settings,
    training_rules,
)

DEFAULT_THRESHOLDS = Thresholds(auto=0.99, review=0.5)
"""Chosen on a synthetic population the model was not trained on (20,000 children,
seed 23): at 0.99 the automatic links keep pairwise precision at 1.0000 there, as at
0.9995, while the review queue shrinks by a quarter and loses mostly true matches
(0.9995 left 1,123 items, 520 of them true; 0.99 leaves 808, 207 true). The prior
scales with the table (``LinkageModel.prior_for``), so the same probability asks for
more evidence in a larger table: 19 bits at 10,000 records, 28 at 5 million, where
more people share a name and a birthday. Pairs from 0.5 up wait for a reviewer."""
DETERMINISTIC_RECALL = 0.6
"""Roughly how many true pairs the deterministic rules find (most records lack an
NHS number or differ somewhere); it scales the estimate of how common matches are."""


@dataclass(frozen=True)
class TrainingOptions:
    seed: int = 42
    u_max_pairs: float = 2e7
    em_max_pairs: float | None = 5e6


def _train(
    linker: Linker,
    deterministic: list[BlockingRule | str],
    em_rules: list[BlockingRule | str],
    options: TrainingOptions,
) -> dict[str, Any]:
    linker.training.estimate_probability_two_random_records_match(
        as_splink(deterministic), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_max_pairs, seed=options.seed
    )
    for rule in as_splink(em_rules):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=options.em_max_pairs
        )
    saved: dict[str, Any] = linker.misc.save_model_to_json()
    return floor_parameters(saved)


SWAPPED_LEVEL = "swapped"


def swapped_names_weigh_as_exact(settings: dict[str, Any]) -> dict[str, Any]:
    """Give the names-swapped level of each name comparison its exact level's m and u.

    A pair whose given and family names were entered the wrong way round agrees on the
    same two names as a pair entered the right way, so it is as strong a coincidence;
    only the order was lost. EM cannot learn it from records where nobody swapped (a
    population that never does would leave it at the floors, worth more than an exact
    match), so it is set, not learned.
    """
    from jigsaw.linkage.comparisons import FAMILY_NAME, GIVEN_NAME

    for comparison in (GIVEN_NAME, FAMILY_NAME):
        keys = [level.key for level in comparison.levels]
        saved = next(
            c for c in settings["comparisons"] if c["output_column_name"] == comparison.name
        )
        levels = saved["comparison_levels"]
        exact, swapped = levels[keys.index("exact")], levels[keys.index(SWAPPED_LEVEL)]
        for key in ("m_probability", "u_probability"):
            swapped[key] = exact[key]
    return settings


def train_person_model(
    space: Workspace,
    *,
    version: str,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    options: TrainingOptions | None = None,
    source: str = "",
) -> LinkageModel:
    from jigsaw.linkage.batch import score_and_cluster

    options = options or TrainingOptions()
    linker = space.duckdb_linker(_creator_dict(person_settings()))
    settings = swapped_names_weigh_as_exact(
        _train(linker, deterministic_rules(), training_rules(), options)
    )
    prior = float(settings["probability_two_random_records_match"])
    provisional = LinkageModel(
        version=version,
        splink_settings=settings,
        thresholds=thresholds,
        expected_matches_per_record=prior * max(space.count - 1, 1),
    )
    clustering, store = score_and_cluster(space, provisional, relational_pass=False)
    space.con.execute(f"DROP TABLE {store.table}")
    if relational.fill_linked_children(space, clustering):
        linker = space.duckdb_linker(_creator_dict(person_settings()))
        settings = swapped_names_weigh_as_exact(
            _train(linker, deterministic_rules(), training_rules(), options)
        )
        prior = float(settings["probability_two_random_records_match"])
    return LinkageModel(
        version=version,
        splink_settings=settings,
        thresholds=thresholds,
        expected_matches_per_record=prior * max(space.count - 1, 1),
        trained={
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "records": space.count,
            "source": source,
            "seed": options.seed,
            "u_max_pairs": options.u_max_pairs,
            "em_max_pairs": options.em_max_pairs,
        },
    )


def train_generic_settings(
    space: Workspace, options: TrainingOptions | None = None
) -> dict[str, Any]:
    """The tutorial-style model trained the same way, for the evaluation's comparison."""
    options = options or TrainingOptions()
    linker = space.duckdb_linker(_creator_dict(generic_settings()))
    return _train(linker, generic_deterministic_rules(), generic_training_rules(), options)


def _creator_dict(creator: SettingsCreator) -> dict[str, Any]:
    return creator.create_settings_dict("duckdb")
