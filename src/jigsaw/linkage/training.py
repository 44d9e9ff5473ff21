"""Training the person model without labels: u from random pairs, m by EM.

Real deployments have no ground truth, so the model learns as Splink recommends:
u (how often a level occurs among non-matching pairs) from a large random sample
of pairs, which are nearly all non-matches; m (how often among matches) by
expectation maximisation over blocked pairs; and the prior from the model's own
posteriors over the pairs it scores (``prior_from_posteriors``). The synthetic truth
is never read here.

Why not Splink's estimate of the prior alone: it counts the pairs a few deterministic
rules find (same NHS number, or name, birthday and postcode all equal) and divides by a
guess of those rules' recall. How many true pairs the rules find depends on how the
records were kept, not on the model: 35% of FEBRL4's, 23% of FEBRL3's, 10% of FEBRL4's
with UK-style corruptions, 40% of the generator's hard profile's, and about the guessed
60% of the generator's ordinary records. With the one guess (``DETERMINISTIC_RECALL``)
the prior came out 0.8, 1.4, 2.5 and 0.6 bits too low on the first four (within 0.1 of
the truth on the fifth), every pair weighed that much less, and true pairs that held
enough to link waited for a reviewer (``bench/results/linkage.md``). Splink's count is
now only where the estimate starts.

The ``shared_child`` comparison needs linked children, which need a model: so the
model is trained twice. The first time ``linked_children`` is empty everywhere and
the comparison learns nothing; that model links the training records (first pass
only), their adults are given the persons of their children (``relational``), and
the model is trained again from scratch on the filled table, so every comparison,
the new one included, is estimated as a run will see it. Each time the prior is
estimated from the pairs that model scores; the first pass's clusters are made at
Splink's starting prior, since they only give adults their children's persons.
"""

# ruff: noqa: S608 - SQL here is assembled from the edge store's own table name and a
# number of the guards', never from input.

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from splink import Linker, SettingsCreator

from jigsaw.linkage import relational
from jigsaw.linkage.engine import Workspace
from jigsaw.linkage.guards import REVIEW_CAP
from jigsaw.linkage.person_model import (
    U_FLOOR,
    LinkageModel,
    Thresholds,
    floor_parameters,
    probability_to_bits,
)
from jigsaw.linkage.predict import EdgeStore
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
NHS number or differ somewhere): it scales Splink's estimate of how common matches
are, which is where ``prior_from_posteriors`` starts."""

PRIOR_FLOOR = 0.01
"""The least probability a pair scored in training may have and still be kept for the
prior's estimate. A pair the starting prior puts below it would need that prior more
than six bits too low to count for much; measured on FEBRL4 with UK-style corruptions,
where it was 2.5 bits too low, keeping every pair down to 0.0001 moved the estimate by
0.002 bits, and keeping only those from 0.5 by 0.03."""

PRIOR_ITERATIONS = 500
"""Steps of the fixed point at most; it settles in a few dozen on every data set tried."""


def prior_from_posteriors(
    bayes_factor_bits: npt.NDArray[np.float64],
    start: float,
    all_pairs: float,
    held: float = 0.0,
) -> float:
    """The share of all pairs that match, as the model's own posteriors tell it.

    With m and u held, the prior that makes the data most likely is the one equal to the
    mean posterior over every pair: the step expectation maximisation takes for the
    prior, iterated to its fixed point, ``pi = (sum_i P(match | pair i, pi) + held) /
    all pairs``. ``bayes_factor_bits`` are the scored pairs' weights without the prior,
    after the guards; ``held`` is the summed probability of pairs a guard set outright
    (``guards.REVIEW_CAP``), which no prior moves; ``all_pairs`` is n(n-1)/2. A weight
    that is not a number says nothing and is left out.

    Two biases, both measured (``bench/results/linkage.md``): pairs never scored (no
    blocking rule joins them) count as two people, which pulls the estimate down a
    little; and pairs of two people the model scores above zero bits (brothers and
    sisters at one home, namesakes) add their posteriors to the true pairs', which
    pushes it up, by little where a table holds many of one person's records and by
    most where it holds few (three in 1,500 records read 0.8 bits high).
    """
    finite = bayes_factor_bits[~np.isnan(bayes_factor_bits)]
    if all_pairs <= 0 or (finite.size == 0 and held <= 0) or not 0.0 < start < 1.0:
        return start
    ratios = np.exp2(np.clip(finite, -1000.0, 1000.0))
    prior = start
    for _ in range(PRIOR_ITERATIONS):
        odds = prior / (1.0 - prior)
        found = (float(np.sum(odds * ratios / (1.0 + odds * ratios))) + held) / all_pairs
        found = min(max(found, 1e-300), 0.5)
        if not math.isfinite(found):
            return start
        if abs(math.log2(found / prior)) < 1e-6:
            return found
        prior = found
    return prior


def _prior_of(space: Workspace, model: LinkageModel, store: EdgeStore) -> float:
    """``prior_from_posteriors`` over the pairs ``model`` scored into ``store``; a pair
    the guard capped (``REVIEW_CAP``) counts with the probability the cap gives it."""
    start = model.prior_for(space.count)
    capped = f"match_weight = {REVIEW_CAP!r}"
    scored = (
        f"SELECT match_weight FROM {store.table} "
        f"WHERE match_weight IS NOT NULL AND NOT isnan(match_weight) AND NOT ({capped})"
    )
    weights = space.con.execute(scored).fetchnumpy()["match_weight"]
    bits = np.asarray(weights, dtype=np.float64) - probability_to_bits(start)
    held = store.scalar(
        f"SELECT coalesce(sum(match_probability), 0) FROM {store.table} WHERE {capped}"
    )
    return prior_from_posteriors(bits, start, space.count * (space.count - 1) / 2, float(held))


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
    starting: dict[str, Any] | None = None,
    *,
    without_frequencies: bool = True,
) -> dict[str, Any]:
    linker.training.estimate_probability_two_random_records_match(
        as_splink(deterministic), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_max_pairs, seed=options.seed
    )
    for rule in as_splink(em_rules):
        # The person model's levels are learned for a typical value: how common each name
        # is changes a pair's weight only when it is scored (``frequencies``).
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule,
            max_pairs=options.em_max_pairs,
            estimate_without_term_frequencies=without_frequencies,
        )
    # Splink saves the blocking rules too; prediction ignores them and takes the code's
    # (``LinkageModel.splink_settings_for``), so they record only what training saw.
    saved: dict[str, Any] = linker.misc.save_model_to_json()
    if starting is not None:
        keep_untrained_levels(saved, starting)
    return floor_parameters(saved)


def keep_untrained_levels(settings: dict[str, Any], starting: dict[str, Any]) -> dict[str, Any]:
    """Give each level whose m or u training did not estimate the starting model's value.

    A level never seen among the blocked pairs EM learns m from, or among the random
    pairs u comes from, is not estimated at all: Splink saves it without that
    probability. Records that lack a field entirely (FEBRL has no sex, no NHS number, no
    children) put every pair on the null level, so "different sex" or "one a child, the
    other an adult" is never seen; left to ``person_model.M_FLOOR`` over ``U_FLOOR`` each
    such disagreement became worth +10 bits, evidence *for* a match. Records that never
    show a level say nothing about it, so what the starting model (the shipped one, as a
    rule) knew stands. Levels are matched by comparison and label; one the starting model
    lacks is left to the floors. Changes ``settings`` in place and returns it.
    """
    known = {
        (comparison["output_column_name"], level.get("label_for_charts")): level
        for comparison in starting["comparisons"]
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    }
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            before = known.get((comparison["output_column_name"], level.get("label_for_charts")))
            if before is None:
                continue
            for key in ("m_probability", "u_probability"):
                if not _is_probability(level.get(key)) and _is_probability(before.get(key)):
                    level[key] = float(before[key])
    return settings


def _is_probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


REALISTIC_M_FLOORS: dict[str, dict[str, float]] = {
    "given_name": {
        "nickname": 0.02,  # Alfie at school, Alfred at the GP
        "similar": 0.01,  # a letter keyed wrong or doubled
        "typo": 0.01,
        "sounds_alike": 0.005,  # a name taken down as it was heard (Shaun, Sean)
        "crossed": 0.005,  # names entered the wrong way round, one of them since changed
        "initial": 0.005,  # a form with room for one letter
        "loosely_similar": 0.005,
        "different": 0.02,  # a middle name used as the first, an anglicised name
    },
    "family_name": {
        "part": 0.01,  # one half of a double-barrelled name
        "similar": 0.01,
        "typo": 0.01,
        "sounds_alike": 0.005,
        "different": 0.05,  # marriage, divorce, a step-parent's name
    },
    "date_of_birth": {
        "swapped": 0.005,  # a date read in the American order
        "near": 0.01,  # one digit keyed wrong
        "two_slips": 0.003,
        "same_year": 0.003,  # day and month unknown, entered as 1 January
        "different": 0.002,  # another family member's date keyed on the record
    },
    "address": {
        "shared_words": 0.01,  # a home's line written another way, its postcode lost
        "different": 0.05,  # a move, or an old address never updated
    },
}
"""The least m each level may take: how often, at the least, one person's two records
at two English agencies differ in that way. Unsupervised training learns m from the
records it is given, and a population in which some disagreement never happens (a
generator that never writes a wrong date of birth, FEBRL that never writes a
nickname) drives that level's m to ``person_model.M_FLOOR`` and makes the disagreement
all but a veto: a wholly different date of birth cost -13.2 bits, more than a given
and a family name together earn. Real records do differ in each of these ways (the
comments say how), so a disagreement a clerk or a life can make is never weighed as
one nobody ever makes. The figures are set, as the NHS number's disagreement is, from
what is known of how such records go wrong, and are deliberately low: only a floor,
so where the records show a level is commoner the learned m stands. A wrong date of
birth then costs about -9 bits rather than -13, and the household guard
(``guards.two_birthdays_at_home``) keeps a father and the son named after him from
linking once it does.

The address's partial levels (the same postcode, one a character out, the sector) are
left as learned: what they are worth rests on u, how many people a postcode holds,
which differs between a UK postcode (a street's worth of homes) and a foreign one (a
town), so a floor on m would make a shared foreign postal code strong evidence under a
model trained on UK records. Three words shared by two lines (``shared_words``: the
street's name, the locality and the town) have a floor: that is one street in one
place, which a line written number last, with a flat's name added or its postcode lost
keeps, as often as a clerk writes an address so; its u, learned where the model is used,
says how many people such a street holds. Applied by
``apply_realistic_m_floors`` after ``person_model.M_FLOOR`` and, like it, unnormalised:
taking the few hundredths a floor adds back from the other levels would lower every
agreement a little for no better fit."""


def apply_realistic_m_floors(
    settings: dict[str, Any], floors: dict[str, dict[str, float]] | None = None
) -> dict[str, Any]:
    """Raise each level's m to its floor in ``REALISTIC_M_FLOORS`` where training left it
    lower (a fixed m, such as the NHS number's, is never touched)."""
    from jigsaw.linkage.comparisons import COMPARISONS

    floors = REALISTIC_M_FLOORS if floors is None else floors
    by_name = {c.name: c for c in COMPARISONS}
    for saved in settings["comparisons"]:
        name = saved["output_column_name"]
        wanted = floors.get(name)
        if not wanted or name not in by_name:
            continue
        keys = [level.key for level in by_name[name].levels]
        levels = saved["comparison_levels"]
        free = [
            i
            for i, level in enumerate(levels)
            if not level.get("is_null_level")
            and not level.get("fix_m_probability")
            and not (keys[i] == SWAPPED_LEVEL and name in NAME_COMPARISONS)
        ]
        raised = {
            i: float(levels[i]["m_probability"])
            for i in free
            if keys[i] in wanted and float(levels[i]["m_probability"]) < wanted[keys[i]]
        }
        for i in raised:
            levels[i]["m_probability"] = wanted[keys[i]]
        _no_level_above_exact(levels, keys, raised)
    return settings


def _no_level_above_exact(
    levels: list[dict[str, Any]], keys: list[str], raised: dict[int, float]
) -> None:
    """No level a floor raised may weigh more than the comparison's exact agreement: a
    floor on m over a u that random pairs never showed (so left at ``U_FLOOR``) would
    otherwise make a partial agreement count for more than the whole. ``raised`` holds
    each raised level's learned m, below which this never goes: a floor only raises, and
    an m under ``person_model.M_FLOOR`` would be weighed differently by Splink and by
    the online match, which reads m no lower than that."""
    exact = keys.index("exact") if "exact" in keys else keys.index("same_address")
    ceiling = float(levels[exact]["m_probability"]) / max(
        float(levels[exact]["u_probability"]), U_FLOOR
    )
    for i, level in enumerate(levels):
        if i not in raised or i == exact:
            continue
        u = max(float(level["u_probability"]), U_FLOOR)
        level["m_probability"] = max(raised[i], min(float(level["m_probability"]), ceiling * u))


SWAPPED_LEVEL = "swapped"
NAME_COMPARISONS = frozenset({"given_name", "family_name"})
"""Where the swapped level is set from the exact one (``swapped_names_weigh_as_exact``),
so never floored nor counted among the learned levels."""


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
    start: LinkageModel | None = None,
) -> LinkageModel:
    """Train the person model on ``space``'s records. ``start`` (the shipped model unless
    given) supplies any level's m or u these records never show (``keep_untrained_levels``)."""
    from jigsaw.linkage.batch import score_and_cluster, scored_edges

    options = options or TrainingOptions()
    starting = (start or LinkageModel.load()).splink_settings
    floor = min(PRIOR_FLOOR, thresholds.review)

    def trained() -> LinkageModel:
        linker = space.duckdb_linker(_creator_dict(person_settings()))
        settings = swapped_names_weigh_as_exact(
            apply_realistic_m_floors(
                _train(linker, deterministic_rules(), training_rules(), options, starting)
            )
        )
        prior = float(settings["probability_two_random_records_match"])
        return LinkageModel(
            version=version,
            splink_settings=settings,
            thresholds=thresholds,
            expected_matches_per_record=prior * max(space.count - 1, 1),
        )

    def with_prior_estimated(model: LinkageModel, store: EdgeStore) -> LinkageModel:
        """The model with the prior its posteriors over ``store`` give."""
        prior = _prior_of(space, model, store)
        space.con.execute(f"DROP TABLE {store.table}")
        return replace(model, expected_matches_per_record=prior * max(space.count - 1, 1))

    first = trained()
    # The first pass's clusters (at the starting prior) only give adults their
    # children's persons; the second pass needs none.
    clustering, store = score_and_cluster(space, first, relational_pass=False, floor=floor)
    model = with_prior_estimated(first, store)
    if relational.fill_linked_children(space, clustering):
        first = trained()
        model = with_prior_estimated(first, scored_edges(space, first, floor=floor))
    return replace(
        model,
        trained={
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "records": space.count,
            "source": source,
            "seed": options.seed,
            "u_max_pairs": options.u_max_pairs,
            "em_max_pairs": options.em_max_pairs,
            # Where the prior's estimate started (``prior_from_posteriors``): Splink's
            # count of the deterministic rules' pairs, over their guessed recall.
            "expected_matches_per_record_by_rules": first.expected_matches_per_record,
        },
    )


def train_generic_settings(
    space: Workspace, options: TrainingOptions | None = None
) -> dict[str, Any]:
    """The tutorial-style model trained the same way, for the evaluation's comparison."""
    options = options or TrainingOptions()
    linker = space.duckdb_linker(_creator_dict(generic_settings()))
    return _train(
        linker,
        generic_deterministic_rules(),
        generic_training_rules(),
        options,
        without_frequencies=False,  # as Splink's tutorials train
    )


def _creator_dict(creator: SettingsCreator) -> dict[str, Any]:
    return creator.create_settings_dict("duckdb")
