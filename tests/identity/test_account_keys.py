"""Second-factor secrets under the master key, and the sign-in throttle's blind index."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.errors import NotSignedIn
from jigsaw.identity import service as access
from jigsaw.identity.account_keys import AccountKeys, SecretUnreadable
from jigsaw.identity.models import Practitioner, SignInThrottle
from jigsaw.protection import envelope
from jigsaw.protection import master_key as master_keys
from jigsaw.protection.blind import BlindIndex
from jigsaw.protection.master_key import LocalMasterKey
from tests.conftest import ACCOUNTS, SECRET_KEY, World


def test_a_secret_names_the_master_key_it_was_sealed_under(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    with db.sessions() as session:
        stored = session.scalar(
            select(Practitioner.totp_secret).where(Practitioner.id == practitioner.id)
        )
    assert stored is not None and envelope.is_envelope(stored)
    assert envelope.key_id_of(stored) == master_keys.environment_key().key_id
    assert (
        ACCOUNTS.keys.open_totp_secret(practitioner.id, stored)
        == (world.totp_secrets[practitioner.id])
    )


def test_secrets_stay_readable_across_a_master_key_rotation() -> None:
    old = os.urandom(32)
    sealed = AccountKeys.from_secret(SECRET_KEY, LocalMasterKey(old)).seal_totp_secret(
        7, "JBSWY3DPEHPK3PXP"
    )
    rotated = LocalMasterKey(os.urandom(32), retired=(old,))
    assert AccountKeys.from_secret(SECRET_KEY, rotated).open_totp_secret(7, sealed) == (
        "JBSWY3DPEHPK3PXP"
    )
    with pytest.raises(SecretUnreadable):
        AccountKeys.from_secret(SECRET_KEY, LocalMasterKey(os.urandom(32))).open_totp_secret(
            7, sealed
        )


def test_a_secret_stored_before_the_master_key_still_opens() -> None:
    """Enrolments made before encryption at rest keep working until the next enrolment."""
    legacy_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"jigsaw/accounts/totp-secret/v1"
    ).derive(SECRET_KEY.encode())
    nonce = os.urandom(12)
    stored = nonce + AESGCM(legacy_key).encrypt(
        nonce, b"JBSWY3DPEHPK3PXP", b"practitioners.totp_secret:9"
    )
    assert ACCOUNTS.keys.open_totp_secret(9, stored) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        ACCOUNTS.keys.open_totp_secret(10, stored)


def test_a_secret_altered_in_any_byte_or_moved_to_another_practitioner_does_not_open() -> None:
    keys = AccountKeys.from_secret(SECRET_KEY, LocalMasterKey(os.urandom(32)))
    stored = keys.seal_totp_secret(5, "JBSWY3DPEHPK3PXP")
    assert keys.open_totp_secret(5, stored) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        keys.open_totp_secret(6, stored)
    for at in range(len(stored)):
        altered = stored[:at] + bytes([stored[at] ^ 0x01]) + stored[at + 1 :]
        with pytest.raises(SecretUnreadable):
            keys.open_totp_secret(5, altered)


def _sealed_in_the_marked_form(master: LocalMasterKey, practitioner_id: int, secret: str) -> bytes:
    """A secret as sealed under the master key before the one sealed-value form: ``jgs2``,
    the key id's length and the id, the nonce, then the ciphertext."""
    purpose = "accounts/totp-secret"
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=SECRET_KEY.encode(), info=purpose.encode()
    ).derive(master.derive(purpose, master.key_id))
    name = master.key_id.encode()
    nonce = os.urandom(12)
    aad = f"practitioners.totp_secret:{practitioner_id}:{master.key_id}".encode()
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), aad)
    return b"jgs2" + bytes([len(name)]) + name + nonce + sealed


def test_a_secret_in_the_earlier_marked_form_opens_and_is_resealed_in_the_one_form() -> None:
    master = LocalMasterKey(os.urandom(32))
    keys = AccountKeys.from_secret(SECRET_KEY, master)
    stored = _sealed_in_the_marked_form(master, 11, "JBSWY3DPEHPK3PXP")
    assert keys.open_totp_secret(11, stored) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        keys.open_totp_secret(12, stored)
    resealed = keys.reseal_totp_secret(11, stored)
    assert resealed is not None, "an earlier form is moved even under the current key"
    assert envelope.key_id_of(resealed) == master.key_id
    assert keys.open_totp_secret(11, resealed) == "JBSWY3DPEHPK3PXP"
    assert keys.reseal_totp_secret(11, resealed) is None


def test_the_throttle_is_found_by_its_blind_index_and_never_holds_the_email(
    world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    with pytest.raises(NotSignedIn):
        access.check_password(db, ACCOUNTS, practitioner.email, "not the password")
    typed_differently = f"  {practitioner.email.upper()} "
    with db.sessions() as session:
        found = session.scalar(
            select(SignInThrottle).where(
                SignInThrottle.key_hash == ACCOUNTS.keys.throttle_key_for(typed_differently)
            )
        )
        assert found is not None and found.failures == 1
        stored = session.scalars(select(SignInThrottle.key_hash)).all()
    assert all(practitioner.email.encode() not in value for value in stored)


def test_blind_indexes_differ_across_master_keys_and_purposes() -> None:
    first, second = LocalMasterKey(os.urandom(32)), LocalMasterKey(os.urandom(32))
    value = "dsl@school.example"
    index = BlindIndex.for_purpose(first, "sign-in-email")
    assert index.of(value) == BlindIndex.for_purpose(first, "sign-in-email").of(value)
    assert index.of(value) != BlindIndex.for_purpose(second, "sign-in-email").of(value)
    assert index.of(value) != BlindIndex.for_purpose(first, "case-reference").of(value)
    assert index.of(value) != index.of(value + ".")
