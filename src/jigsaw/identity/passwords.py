"""Password hashing with argon2id (the argon2-cffi defaults follow RFC 9106), and the
rules a new password must meet.

The rules follow NIST SP 800-63B and OWASP ASVS 5.0 (V6.2): a minimum length, a
generous maximum, no composition rules (no "one capital and one symbol"), and a
refusal of passwords that are common or made from words about the person or the
service. People are told exactly which rule a password broke.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps the time for an unknown email the same as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
# Fewer different characters than this is a pattern, not a password ("abababababab").
MIN_DIFFERENT_CHARACTERS = 5
_ENDS = re.compile(r"^[^a-z]+|[^a-z]+$")
_WORD_BREAKS = re.compile(r"[^a-z0-9]+")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's.

    A password can only be re-hashed at the moment someone types it, so sign-in
    asks this after a successful check and stores a fresh hash if so; raising the
    cost here upgrades every account as its owner next signs in.
    """
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list (``common_passwords.txt``), read once per process."""
    text = resources.files("jigsaw.identity").joinpath("common_passwords.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _words_about(context: Iterable[str]) -> set[str]:
    """Names, email address parts and the like, as the lower-case words in them."""
    words: set[str] = set()
    for value in context:
        lowered = value.strip().lower()
        parts = [p for p in _WORD_BREAKS.split(lowered.replace("@", " ")) if len(p) >= 3]
        words.update(parts)
        if parts:
            words.add("".join(parts))
    return words


def _is_repeated(core: str, words: Iterable[str]) -> bool:
    """The core is one of the words, said once or several times over."""
    for word in words:
        if word and len(core) % len(word) == 0 and core == word * (len(core) // len(word)):
            return True
    return False


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why a new password cannot be used, in words for the person choosing it, or None.

    ``context`` holds words an attacker would try first for this person: their name
    and email address. Digits and symbols around a common word ("Password2024!")
    do not make it uncommon, so they are set aside before the lists are checked.
    """
    if not password:
        return "Enter a new password"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Your password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    lowered = password.lower()
    if len(set(lowered)) < MIN_DIFFERENT_CHARACTERS:
        return "Your password repeats a few characters; choose one that is harder to guess"
    common = common_passwords()
    core = _WORD_BREAKS.sub("", _ENDS.sub("", lowered))
    if lowered in common or (core and _is_repeated(core, common)):
        return "Your password is too common; choose one that is harder to guess"
    personal = _words_about(context)
    if core and _is_repeated(core, personal):
        return "Your password must not be your name or email address"
    return None
