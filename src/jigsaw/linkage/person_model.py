"""The trained person model: Splink settings with m/u, a version, thresholds, in one JSON file.

The file carries two things: ``splink``, the settings dictionary Splink itself
saves and loads (so ``Linker(table, model.splink_settings_for(n))`` just works on
DuckDB or Spark), and ``jigsaw``, what the service adds: the version string every
linkage run records, the two thresholds, and the prior as *expected matches per
record* rather than Splink's "probability two random records match".

Why the prior is stored that way: the chance that two random records match falls
as the table grows (each person has a handful of records however many people there
are), so a prior learned on 200,000 records would overstate every match on two
million. Expected matches per record stays put; the prior for a table of ``n``
records is that number divided by ``n - 1``.

The online match scores in Python with the same numbers: the match weight is the
log2 prior odds plus, for each comparison, log2(m/u) of the level the pair falls on.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jigsaw.linkage import frequencies, guards, identifiers
from jigsaw.linkage.comparisons import COMPARISONS, CONFIGURED, INITIAL_SQL, Comparison
from jigsaw.linkage.features import Features

MODEL_DIR = Path(__file__).parent / "model"
SHIPPED_MODEL = MODEL_DIR / "person-model.json"
FORMAT = 1
FREQUENCY_KEYS = ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value")
"""A level's term-frequency settings as Splink saves them (``frequencies``)."""

M_FLOOR = 1e-4
"""Smallest m kept after training. EM on clean synthetic data can drive m for "NHS
numbers differ" to zero, which would make one transcription error veto a match
forever; a floor of 1 in 10,000 keeps that evidence strong (about -13 bits) but finite."""
U_FLOOR = 1e-7


class ModelError(ValueError):
    """The JSON is not a model this code can use (wrong format or comparisons)."""


@dataclass(frozen=True)
class Thresholds:
    """Match probabilities that split pairs into link / review / separate."""

    auto: float
    review: float

    def __post_init__(self) -> None:
        if not 0.0 < self.review < self.auto < 1.0:
            raise ModelError("Thresholds must satisfy 0 < review < auto < 1")


@dataclass(frozen=True)
class LevelEvidence:
    comparison: str
    title: str
    level: str
    label: str
    match_weight: float

    @property
    def agrees(self) -> bool:
        return self.match_weight > 0


@dataclass(frozen=True)
class Score:
    match_weight: float
    match_probability: float
    evidence: tuple[LevelEvidence, ...]

    @property
    def guarded(self) -> bool:
        return guards.is_twin_like({e.comparison: e.level for e in self.evidence})


def bits_to_probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)


def probability_to_bits(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


@dataclass
class LinkageModel:
    version: str
    splink_settings: dict[str, Any]
    thresholds: Thresholds
    expected_matches_per_record: float
    trained: dict[str, Any] = field(default_factory=dict)
    shared_values: dict[str, int] = field(default_factory=dict)
    """Distinct values per shared identifier scheme where the model is used: the u of
    the set ``shared_identifier`` comparison (``identifiers``). Not saved: it belongs
    to the data, not the model."""
    _weights: list[list[float]] = field(default_factory=list, repr=False)
    _evidence: list[list[LevelEvidence]] = field(default_factory=list, repr=False)
    """Each level's evidence, made once: a search scores hundreds of records and the
    evidence of a level never changes, so it is looked up rather than built per pair."""
    _frequency_levels: dict[tuple[int, int], frequencies.FrequencyLevel] = field(
        default_factory=dict, repr=False
    )
    _frequency_columns: Mapping[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._weights = self._level_weights()
        self._frequency_levels = {
            (level.comparison_index, level.level_index): level
            for level in frequencies.levels_of(self.splink_settings, (c.name for c in COMPARISONS))
        }
        for (ci, li), level in self._frequency_levels.items():
            # Only what the online match weighs as the batch run does: a level this code
            # adjusts, on its own column, with a u that is a probability.
            code = COMPARISONS[ci].levels[li]
            if code.frequency_column != level.column or not 0.0 < level.u < 1.0:
                raise ModelError(
                    f"The model weighs '{COMPARISONS[ci].name}' level {code.label!r} by how "
                    f"common '{level.column}' is, which this code does not: retrain it"
                )
        self._frequency_columns = {
            level.column: level.u for level in self._frequency_levels.values()
        }
        self._evidence = [
            [_evidence(comparison, n, weight) for n, weight in enumerate(weights)]
            for comparison, weights in zip(COMPARISONS, self._weights, strict=True)
        ]

    # --- loading and saving ---------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkageModel:
        meta = data.get("jigsaw")
        settings = data.get("splink")
        if not isinstance(meta, dict) or not isinstance(settings, dict):
            raise ModelError("A model file needs a 'jigsaw' and a 'splink' section")
        settings = _with_added_levels(settings)
        if meta.get("format") != FORMAT:
            raise ModelError(f"Unsupported model format {meta.get('format')!r}")
        thresholds = meta["thresholds"]
        return cls(
            version=str(meta["version"]),
            splink_settings=settings,
            thresholds=Thresholds(float(thresholds["auto"]), float(thresholds["review"])),
            expected_matches_per_record=float(meta["expected_matches_per_record"]),
            trained=dict(meta.get("trained", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "jigsaw": {
                "format": FORMAT,
                "version": self.version,
                "thresholds": {"auto": self.thresholds.auto, "review": self.thresholds.review},
                "expected_matches_per_record": self.expected_matches_per_record,
                "trained": self.trained,
            },
            "splink": copy.deepcopy(self.splink_settings),
        }

    @classmethod
    def load(cls, path: Path | str = SHIPPED_MODEL) -> LinkageModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    # --- parameters -------------------------------------------------------------------

    def prior_for(self, n_records: int) -> float:
        """Probability two random records match, for a table of ``n_records``."""
        pairs_per_record = max(n_records - 1, 1)
        return min(self.expected_matches_per_record / pairs_per_record, 0.5)

    def splink_settings_for(self, n_records: int, dialect: str = "duckdb") -> dict[str, Any]:
        """Settings for predicting over ``n_records`` in ``dialect``.

        The prior is scaled to the table and comparison vectors are kept (the review
        queue shows which levels agreed). The blocking rules are this code's, not those
        saved with the model: they are not trained, and the online match's look-ups
        (``online.CANDIDATE_KEYS``) mirror this code's, so a model saved before a rule was
        added still blocks as a search finds. So are the comparisons, in every dialect,
        carrying the trained m and u across level by level: the saved SQL is DuckDB's as
        the code that trained the model wrote it, and a search scores with this code's
        Python twins, which the batch run's SQL must match (a model trained before
        names of one letter were read as initials still reads them so).
        """
        settings = self._translated(copy.deepcopy(self.splink_settings), dialect)
        settings["blocking_rules_to_generate_predictions"] = _current_blocking_rules(dialect)
        identifiers.configure(settings, dialect, self.shared_values)
        settings["probability_two_random_records_match"] = self.prior_for(n_records)
        settings["retain_matching_columns"] = True
        settings.pop("linker_uid", None)
        return settings

    @staticmethod
    def _translated(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
        from jigsaw.linkage.settings import person_settings

        fresh = person_settings().create_settings_dict(dialect)
        trained = {c["output_column_name"]: c for c in settings["comparisons"]}
        for comparison in fresh["comparisons"]:
            if comparison["output_column_name"] not in trained:
                continue  # a set comparison (``identifiers.configure``)
            old_levels = trained[comparison["output_column_name"]]["comparison_levels"]
            for new, old in zip(comparison["comparison_levels"], old_levels, strict=True):
                for key in ("m_probability", "u_probability", *FREQUENCY_KEYS):
                    if key in old:
                        new[key] = old[key]
                    else:
                        new.pop(key, None)  # the trained model's, not this code's
        fresh["sql_dialect"] = dialect
        return fresh

    def _level_weights(self) -> list[list[float]]:
        by_name = {c["output_column_name"]: c for c in self.splink_settings["comparisons"]}
        weights: list[list[float]] = []
        for comparison in COMPARISONS:
            if comparison.name in CONFIGURED:
                weights.append(identifiers.level_weights(self.shared_values))
                continue
            saved = by_name.get(comparison.name)
            if saved is None:
                raise ModelError(f"The model has no '{comparison.name}' comparison")
            levels = saved["comparison_levels"]
            if [lv.get("label_for_charts") for lv in levels] != [
                lv.label for lv in comparison.levels
            ]:
                raise ModelError(
                    f"The model's '{comparison.name}' levels differ from this code's: retrain it"
                )
            weights.append([_log2_bayes_factor(level) for level in levels])
        return weights

    def with_shared_values(self, counts: dict[str, int]) -> LinkageModel:
        """This model weighing shared identifiers by these counts (``identifiers``)."""
        if counts == self.shared_values:
            return self
        return dataclasses.replace(self, shared_values=dict(counts))

    def level_weight(self, comparison_index: int, level_index: int) -> float:
        return self._weights[comparison_index][level_index]

    @property
    def frequency_columns(self) -> Mapping[str, float]:
        """Each column whose exact level is weighed by how common the value is, with the
        u its frequencies are smoothed toward (``frequencies``); made once, as every
        search asks for it."""
        return self._frequency_columns

    # --- scoring ----------------------------------------------------------------------

    def score(
        self,
        left: Features,
        right: Features,
        n_records: int,
        value_frequencies: Mapping[str, float] | None = None,
    ) -> Score:
        """Fellegi-Sunter: prior odds plus the weight of each comparison's level, a shared
        name's weighed by how common it is where ``value_frequencies`` says
        (``frequencies.search_frequencies``), as the batch run weighs it. The guards
        then act as a run's do where the run's table shows twins and a household at the
        pair's home; a search has no table, so it holds back the pairs a run may let
        through where the table shows neither (``guards.guarded_weight``)."""
        evidence = []
        weight = probability_to_bits(self.prior_for(n_records))
        # In this order, as the batch run adds them: each comparison's level, then what
        # the value's frequency adds to it.
        for ci, (comparison, levels) in enumerate(zip(COMPARISONS, self._evidence, strict=True)):
            li = comparison.level_index(left, right)
            level = levels[li]
            weight += level.match_weight
            adjusted = self._frequency_levels.get((ci, li))
            if adjusted is not None and value_frequencies:
                bits = adjusted.adjustment(value_frequencies.get(adjusted.column))
                if bits:
                    weight += bits
                    level = dataclasses.replace(level, match_weight=level.match_weight + bits)
            evidence.append(level)
        weight = guards.guarded_weight(weight, {e.comparison: e.level for e in evidence})
        return Score(weight, bits_to_probability(weight), tuple(evidence))


ADDED_LEVELS: dict[tuple[str, str], dict[str, Any]] = {
    ("given_name", "initial"): {
        "sql_condition": INITIAL_SQL,
        "m_probability": 0.005,
        "u_probability": 0.0004,
    },
}
"""Levels a release added, by comparison and level key, with what a model saved before
them takes for each on loading: the shipped model's m and u (``person-2026.12.7``). A
deployment's own model keeps every level it learned and gains the new one set, not
learned, until it is trained again, rather than being refused at the upgrade."""


def _with_added_levels(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with each of ``ADDED_LEVELS`` put in its place where the saved
    comparison has every level of this code's but the added ones."""
    by_name = {c.name: c for c in COMPARISONS}
    upgraded = None
    for index, saved in enumerate(settings.get("comparisons", [])):
        code = by_name.get(saved.get("output_column_name"))
        if code is None:
            continue
        added = {
            lv.label: (code.name, lv.key)
            for lv in code.levels
            if (code.name, lv.key) in ADDED_LEVELS
        }
        labels = [lv.get("label_for_charts") for lv in saved["comparison_levels"]]
        wanted = [lv.label for lv in code.levels]
        if not added or labels == wanted or labels != [w for w in wanted if w not in added]:
            continue
        found = iter(saved["comparison_levels"])
        levels = [
            {"label_for_charts": label, **ADDED_LEVELS[added[label]]}
            if label in added
            else next(found)
            for label in wanted
        ]
        upgraded = upgraded or copy.deepcopy(settings)
        upgraded["comparisons"][index] = {**saved, "comparison_levels": levels}
    return upgraded or settings


def _current_blocking_rules(dialect: str) -> list[dict[str, Any]]:
    """``settings.blocking_rules()`` as a settings dict holds them, in ``dialect``'s SQL."""
    from jigsaw.linkage.settings import blocking_rules

    return [rule.get_blocking_rule(dialect).as_dict() for rule in blocking_rules()]  # type: ignore[attr-defined]


def _evidence(comparison: Comparison, level_index: int, weight: float) -> LevelEvidence:
    level = comparison.levels[level_index]
    return LevelEvidence(comparison.name, comparison.title, level.key, level.label, weight)


def _log2_bayes_factor(level: dict[str, Any]) -> float:
    if level.get("is_null_level"):
        return 0.0
    m = level.get("m_probability")
    u = level.get("u_probability")
    if not isinstance(m, int | float) or not isinstance(u, int | float):
        raise ModelError(f"Level {level.get('label_for_charts')!r} is not trained")
    return math.log2(max(float(m), M_FLOOR) / max(float(u), U_FLOOR))


def floor_parameters(settings: dict[str, Any]) -> dict[str, Any]:
    """Apply the m and u floors in the saved settings, so Splink and Python agree."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            for key, floor in (("m_probability", M_FLOOR), ("u_probability", U_FLOOR)):
                value = level.get(key)
                if not isinstance(value, int | float):
                    value = floor
                level[key] = max(float(value), floor)
    return settings
