"""The one sealed-value form: its layout, its binding to purpose and row, and the legacy
forms its readers still open."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jigsaw.protection import envelope
from jigsaw.protection.envelope import NONCE_BYTES, TAG_BYTES, VERSION, NotOpened, Sealer
from jigsaw.protection.keyring import LEGACY_PREFIX, PREFIX, OpenKey, Place, Unreadable
from jigsaw.protection.master_key import KeyUnavailable, LocalMasterKey, WrappedKey

KEY = bytes(range(32))
PLACE = Place("information_items", "detail", "ab" * 16)


def _flipped(sealed: bytes, at: int) -> bytes:
    return sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1 :]


def _legacy_column_value(key: OpenKey, place: Place, plaintext: str) -> str:
    """A column value as sealed before the one form: ``jgs1.``, nonce and ciphertext."""
    nonce = os.urandom(12)
    aad = f"jigsaw/field/v1\x00{place.table}\x00{place.column}\x00{place.seal_id}\x00{key.id}"
    sealed = AESGCM(key.key).encrypt(nonce, plaintext.encode(), aad.encode())
    return "jgs1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def _legacy_wrapped(master_key: bytes, key_id: str, data_key: bytes, context: bytes) -> bytes:
    """A data key as wrapped before the one form: nonce and ciphertext, no header."""
    nonce = os.urandom(12)
    aad = b"jigsaw/data-key/v1\x00" + key_id.encode() + b"\x00" + context
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, aad)


def test_a_value_is_version_key_id_nonce_then_ciphertext_and_opens_as_written() -> None:
    sealer = Sealer("42", KEY)
    sealed = sealer.seal("information_items.detail", "row-1", b"Seen at 9am")
    assert sealed[0] == VERSION
    assert sealed[1] == 2 and sealed[2:4] == b"42"
    assert len(sealed) == 4 + NONCE_BYTES + len(b"Seen at 9am") + TAG_BYTES
    assert envelope.is_envelope(sealed) and envelope.key_id_of(sealed) == "42"
    assert sealer.open("information_items.detail", "row-1", sealed) == b"Seen at 9am"
    again = sealer.seal("information_items.detail", "row-1", b"Seen at 9am")
    assert again != sealed, "each value has a nonce of its own"
    text = envelope.to_text(sealed)
    assert text.startswith(PREFIX) and envelope.from_text(text) == sealed


def test_altering_any_byte_of_a_value_stops_it_opening() -> None:
    sealer = Sealer("42", KEY)
    sealed = sealer.seal("practitioners.totp_secret", "7", b"JBSWY3DPEHPK3PXP")
    for at in range(len(sealed)):
        with pytest.raises(NotOpened):
            sealer.open("practitioners.totp_secret", "7", _flipped(sealed, at))
    with pytest.raises(NotOpened):
        sealer.open("practitioners.totp_secret", "7", sealed[:-1])


def test_a_value_sealed_for_one_purpose_or_row_does_not_open_for_another() -> None:
    sealer = Sealer("42", KEY)
    sealed = sealer.seal("information_items.detail", "row-1", b"Seen at 9am")
    with pytest.raises(NotOpened):
        sealer.open("information_items.summary", "row-1", sealed)
    with pytest.raises(NotOpened):
        sealer.open("information_items.detail", "row-2", sealed)
    with pytest.raises(NotOpened, match="not sealed under key 43"):
        Sealer("43", KEY).open("information_items.detail", "row-1", sealed)
    with pytest.raises(NotOpened):
        Sealer("42", os.urandom(32)).open("information_items.detail", "row-1", sealed)
    relabelled = envelope.header("43") + sealed[len(envelope.header("42")) :]
    with pytest.raises(NotOpened):
        Sealer("43", KEY).open("information_items.detail", "row-1", relabelled)


def test_a_column_value_is_in_the_one_form_and_bound_to_its_table_column_and_row() -> None:
    key = OpenKey(5, KEY)
    stored = key.seal(PLACE, "Seen at 9am")
    assert stored.startswith(PREFIX) and not stored.startswith(LEGACY_PREFIX)
    assert envelope.key_id_of(envelope.from_text(stored)) == "5"
    assert key.open(PLACE, stored) == "Seen at 9am"
    for moved in (
        PLACE._replace(column="summary"),
        PLACE._replace(table="advice_requests"),
        PLACE._replace(seal_id="cd" * 16),
    ):
        with pytest.raises(Unreadable, match="moved from another row"):
            key.open(moved, stored)
    with pytest.raises(Unreadable):
        OpenKey(6, KEY).open(PLACE, stored)
    raw = envelope.from_text(stored)
    with pytest.raises(Unreadable):
        key.open(PLACE, envelope.to_text(_flipped(raw, len(raw) - 1)))
    with pytest.raises(Unreadable, match="never sealed"):
        key.open(PLACE, "Seen at 9am")


def test_a_legacy_column_value_still_opens_where_it_was_sealed_and_nowhere_else() -> None:
    key = OpenKey(5, KEY)
    legacy = _legacy_column_value(key, PLACE, "Written before the one form")
    assert legacy.startswith(LEGACY_PREFIX)
    assert key.open(PLACE, legacy) == "Written before the one form"
    with pytest.raises(Unreadable, match="moved from another row"):
        key.open(PLACE._replace(seal_id="cd" * 16), legacy)
    with pytest.raises(Unreadable):
        OpenKey(6, KEY).open(PLACE, legacy)


def test_a_wrapped_data_key_names_its_master_key_and_is_bound_to_its_subject() -> None:
    master = LocalMasterKey(KEY)
    data_key = os.urandom(32)
    wrapped = master.wrap(data_key, b"agency_record:3")
    assert envelope.key_id_of(wrapped.wrapped) == master.key_id == wrapped.key_id
    assert master.unwrap(wrapped, b"agency_record:3") == data_key
    with pytest.raises(KeyUnavailable, match="agency_record:4"):
        master.unwrap(wrapped, b"agency_record:4")
    with pytest.raises(KeyUnavailable):
        master.unwrap(WrappedKey(wrapped.key_id, _flipped(wrapped.wrapped, 30)), b"agency_record:3")
    other = LocalMasterKey(os.urandom(32), retired=(KEY,))
    with pytest.raises(KeyUnavailable, match="does not unwrap"):
        other.unwrap(WrappedKey(other.key_id, wrapped.wrapped), b"agency_record:3")


def test_a_data_key_wrapped_in_the_legacy_form_still_unwraps_and_is_rewrapped_in_the_new() -> None:
    master = LocalMasterKey(KEY)
    data_key = os.urandom(32)
    legacy = WrappedKey(
        master.key_id, _legacy_wrapped(KEY, master.key_id, data_key, b"agency_record:3")
    )
    assert not envelope.is_envelope(legacy.wrapped)
    assert master.unwrap(legacy, b"agency_record:3") == data_key
    with pytest.raises(KeyUnavailable, match="agency_record:4"):
        master.unwrap(legacy, b"agency_record:4")
    rotated = LocalMasterKey(os.urandom(32), retired=(KEY,))
    moved = rotated.wrap(rotated.unwrap(legacy, b"agency_record:3"), b"agency_record:3")
    assert envelope.key_id_of(moved.wrapped) == rotated.key_id
    assert rotated.unwrap(moved, b"agency_record:3") == data_key
