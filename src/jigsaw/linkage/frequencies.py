"""How common a name is: a shared rare name says more than a shared common one.

"Same given name" weighs the same in the trained model whether the name is Olivia or
Zainab-Rose, though two strangers share the first far more often than the second. The
model's u for the level is the chance for a typical name; a name's own frequency among
the deployment's records is the chance for that one. Splink's term-frequency
adjustment adds ``weight * (log2(u) - log2(frequency))`` to the level's weight, so a
common name loses bits and a rare one gains them; the batch run makes it in SQL and
the online match here, with the same frequencies (``frequency_sql``, ``smoothed``).

Two choices differ from Splink's defaults, for deployments Splink's examples never meet:

* **The frequency is smoothed** toward the model's u as if ``PRIOR_RECORDS`` more
  records held names at the typical rate: ``(count + PRIOR_RECORDS * u) / (total +
  PRIOR_RECORDS)``. A first import of a few dozen records, or a test's handful, says
  little about how common a name is in the population the next records come from; a
  raw count of two in twenty would read "Amelia" as one person in ten and take six bits
  off every Amelia. With the prior, small tables keep the trained weight and large
  ones are read by their own counts.
* **The gain is capped** (``MINIMUM_FREQUENCY``): the rarest names in five million
  records would otherwise each be worth a dozen bits on their own, and a name can be
  rare in the region yet common in one community or one school.
* **So is the loss** (``most_common``): only the exact levels are adjusted (the value is
  then one name on both sides; the frequency of a typo or a nickname pair is no one
  name's), so without a floor "Mohammed Khan" written alike would weigh less than
  "Muhammed Kahn" where both names are common. The exact level never falls below the
  strongest level beneath it; the names-swapped level, set to weigh as exact, may then
  weigh up to that much more than a common name written alike.
"""

# ruff: noqa: S608 - SQL here is assembled from column names the model's levels give
# and numbers, never from input.

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jigsaw.linkage.features import Features
from jigsaw.linkage.held import HeldCounts
from jigsaw.linkage.models import MatchKey

FREQUENCY_WEIGHT = 1.0
"""How much of the adjustment is made (Splink's ``tf_adjustment_weight``): all of it."""

PRIOR_RECORDS = 1_000
"""Records' worth of typical names the frequency is smoothed with (see above)."""

MINIMUM_FREQUENCY = 1e-4
"""The rarest a name is taken to be (Splink's ``tf_minimum_u_value``): with the trained
u of an exact given name (0.0037), at most 5.2 bits more than a typical name."""

FREQUENCY_COLUMNS = ("given", "family")
"""The features whose exact level is adjusted, each a column of ``match_keys``."""

LOSS_ONLY = frozenset({"family"})
"""Columns whose rarity takes nothing away from a pair but adds nothing either: a family
name is shared by everyone at a home, so a rare one says the two are related as much as
that they are one person (a brother and sister, a father and son, at 100,000 children:
see ``bench/results/linkage.md``). A common family name still counts for less."""

TTL_SECONDS = 300.0
"""How long a search reuses a count it read: a name's share of the records moves slowly."""


def tf_column(column: str) -> str:
    """The frequency's column in Splink's look-up table (``tf_given``)."""
    return f"tf_{column}"


def smoothed(count: int, total: int, u: float) -> float:
    """A name held by ``count`` of ``total`` named records, smoothed toward ``u``."""
    return (count + PRIOR_RECORDS * u) / (total + PRIOR_RECORDS)


def frequency_sql(records_table: str, level: FrequencyLevel) -> str:
    """Each value of the level's column with its smoothed frequency (``smoothed``), held
    between ``level.fewest`` and ``level.most``, as the look-up table Splink joins onto
    the pairs it scores."""
    column, u = level.column, level.u
    return (
        f"SELECT {column}, greatest(least(CAST(count(*) + {PRIOR_RECORDS * u!r} AS DOUBLE) / "
        f"((SELECT count({column}) FROM {records_table}) + {PRIOR_RECORDS}), "
        f"{level.most!r}), {level.fewest!r}) AS {tf_column(column)} FROM {records_table} "
        f"WHERE {column} IS NOT NULL GROUP BY {column}"
    )


@dataclass(frozen=True)
class FrequencyLevel:
    """A level whose weight depends on how common the pair's shared value is."""

    comparison_index: int
    level_index: int
    column: str
    u: float
    weight: float = FREQUENCY_WEIGHT
    minimum: float = MINIMUM_FREQUENCY
    most: float = 1.0
    """The commonest a value is taken to be (``most_common``): the frequency at which the
    level weighs as the next level below it."""

    @property
    def fewest(self) -> float:
        """The rarest a value is taken to be: the minimum, or u for a column whose rarity
        adds nothing (``LOSS_ONLY``)."""
        return max(self.u, self.minimum) if self.column in LOSS_ONLY else self.minimum

    def adjustment(self, frequency: float | None) -> float:
        """Bits added to the level's weight for a value this common, as Splink's SQL adds
        them (the look-up table holds frequencies already capped at ``most``); none when
        the value's frequency is unknown."""
        if frequency is None:
            return 0.0
        taken = max(min(frequency, self.most), self.fewest)
        return self.weight * (math.log2(self.u) - math.log2(taken))


def most_common(levels: list[dict[str, Any]], index: int, weight: float) -> float:
    """The frequency at which the adjusted level ``index`` weighs as the strongest level
    below it (a name one letter out, a nickname): an exact common name must never count
    for less than a misspelt one, which is not adjusted. The levels set to weigh as the
    exact one (``swapped``) are not below it, and are left out."""

    def bits(level: dict[str, Any]) -> float | None:
        m, u = level.get("m_probability"), level.get("u_probability")
        if level.get("is_null_level") or not m or not u:
            return None
        return math.log2(float(m) / float(u))

    exact = bits(levels[index])
    below = [b for b in map(bits, levels) if b is not None and exact is not None and b < exact]
    if exact is None or not below or weight <= 0:
        return 1.0
    return min(1.0, float(levels[index]["u_probability"]) * 2 ** ((exact - max(below)) / weight))


def levels_of(settings: Mapping[str, Any], comparison_names: Iterable[str]) -> list[FrequencyLevel]:
    """The adjusted levels a model's saved settings name, by the code's comparison order."""
    by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
    found = []
    for ci, name in enumerate(comparison_names):
        comparison = by_name.get(name)
        if comparison is None:
            continue
        for li, level in enumerate(comparison["comparison_levels"]):
            column = level.get("tf_adjustment_column")
            u = level.get("u_probability")
            weight = float(level.get("tf_adjustment_weight", 0) or 0)
            if not column or not weight or u is None:
                continue
            found.append(
                FrequencyLevel(
                    ci,
                    li,
                    str(column),
                    float(u),
                    weight,
                    float(level.get("tf_minimum_u_value", 0.0)),
                    most_common(comparison["comparison_levels"], li, weight),
                )
            )
    return found


def adjusted_columns(settings: Mapping[str, Any]) -> dict[str, FrequencyLevel]:
    """Each of this module's columns the settings adjust, with its level. Settings not yet
    trained (no u) adjust nothing: training estimates the levels without frequencies.
    Another configuration's adjusted columns (the generic one's ``first_name``) are left
    to Splink's own frequencies."""
    names = [c["output_column_name"] for c in settings["comparisons"]]
    return {
        level.column: level
        for level in levels_of(settings, names)
        if level.column in FREQUENCY_COLUMNS
    }


# --- The online match's counts ---------------------------------------------------------

HELD_MOST = 100_000
"""Counts kept at most; past it the expired ones go, then all if none had."""

_held: HeldCounts[tuple[str, str, str | None], Any] = HeldCounts(TTL_SECONDS, HELD_MOST)


def _named_records(session: Session) -> dict[str, int]:
    """How many indexed records hold each adjusted column, in one pass over the index."""
    keys = MatchKey.__table__
    row = session.execute(select(*(func.count(keys.c[c]) for c in FREQUENCY_COLUMNS))).one()
    return {c: int(n or 0) for c, n in zip(FREQUENCY_COLUMNS, row, strict=True)}


def _holding(session: Session, column: str, value: str) -> int:
    keys = MatchKey.__table__
    return int(
        session.scalar(select(func.count()).select_from(keys).where(keys.c[column] == value)) or 0
    )


def search_frequencies(
    session: Session, query: Features, columns: Mapping[str, float]
) -> dict[str, float]:
    """The smoothed frequency of each of the search's adjusted values among the indexed
    records, counting the search as one more record that holds it: a new record is
    searched for before it is indexed (``service.link_recorded``), so this is what a
    batch run over the index and the new record counts. Counts are read through the
    index leading with the column and reused for ``TTL_SECONDS``."""
    database = sys.intern(session.get_bind().engine.url.render_as_string())  # one per engine
    found: dict[str, float] = {}
    totals: dict[str, int] | None = None
    for column, u in columns.items():
        value = getattr(query, column, None)
        if value is None or column not in FREQUENCY_COLUMNS:
            continue
        if totals is None:
            totals = _held.get((database, "", None), partial(_named_records, session))
        count = _held.get((database, column, value), partial(_holding, session, column, value))
        found[column] = smoothed(count + 1, totals[column] + 1, u)
    return found


def forget() -> None:
    """Drop the held counts, so the next search counts afresh (after a run or an import)."""
    _held.forget()
