"""How names go wrong between agencies: short forms, slips of the keyboard, hyphens.

Each function takes the household's ``random.Random`` so the same seed always makes
the same mistakes. Sets from the nickname table are sorted before choosing, because
set order changes between interpreter runs and would break determinism.
"""

from __future__ import annotations

import random
from functools import cache

from nicknames import NickNamer

TYPO_KINDS = ("transpose", "drop", "double")

_STREET_ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Avenue": "Ave",
    "Lane": "Ln",
    "Close": "Cl",
    "Drive": "Dr",
    "Crescent": "Cres",
    "Gardens": "Gdns",
    "Place": "Pl",
    "Court": "Ct",
    "Square": "Sq",
    "Terrace": "Terr",
}


@cache
def _namer() -> NickNamer:
    return NickNamer()


@cache
def nicknames(given_name: str) -> tuple[str, ...]:
    """Short forms and pet names people are known by, e.g. Elizabeth -> Beth, Lizzie."""
    lowered = given_name.lower()
    found = _namer().nicknames_of(lowered)
    return tuple(sorted(n.capitalize() for n in found if n != lowered and len(n) > 1))


def nickname(rng: random.Random, given_name: str) -> str:
    """A known-as name, or the name itself when the table has none for it."""
    options = nicknames(given_name)
    return rng.choice(options) if options else given_name


def typo(rng: random.Random, word: str) -> str:
    """One slip: two letters swapped, a letter dropped, or a letter doubled.

    The first letter is left alone: people rarely mistype it, and linkage
    comparisons lean on it, so errors there would make the data unrealistically hard.
    """
    positions = [i for i in range(1, len(word)) if word[i].isalpha()]
    if not positions:
        return word
    for _ in range(4):
        kind = rng.choice(TYPO_KINDS)
        i = rng.choice(positions)
        if kind == "transpose" and i + 1 < len(word) and word[i + 1].isalpha():
            changed = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "drop" and len(word) > 3:
            changed = word[:i] + word[i + 1 :]
        else:
            changed = word[:i] + word[i] + word[i:]
        if changed != word:
            return changed
    return word[:-1] + word[-1] * 2


def one_part(rng: random.Random, family_name: str) -> str:
    """A double-barrelled surname recorded as just one of its parts."""
    parts = [p for p in family_name.split("-") if p]
    return rng.choice(parts) if len(parts) > 1 else family_name


def unhyphenated(family_name: str) -> str:
    """A double-barrelled surname typed with a space where the hyphen should be."""
    return family_name.replace("-", " ")


def abbreviate_street(address: str) -> str:
    """'12 Mill Road' -> '12 Mill Rd': the same place, written the way a busy clerk would."""
    words = []
    for word in address.split(" "):
        core = word.rstrip(",")
        words.append(_STREET_ABBREVIATIONS.get(core, core) + word[len(core) :])
    return " ".join(words)


def damerau_distance_is_one(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with exactly one substitution, insertion, deletion or swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
