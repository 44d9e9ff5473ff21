"""A database opened from settings carries *their* master key, whatever the process's is.

An app built with ``create_app(settings)`` and every command open the database through
``open_database``; before, data keys were wrapped under whichever key the process had
been configured with, so settings naming another key were silently ignored.
"""

from __future__ import annotations

import pytest

from jigsaw.app import create_app
from jigsaw.config import Settings, get_settings
from jigsaw.db import Database
from jigsaw.protection import master_key as master_keys
from jigsaw.protection.keyring import keyring
from jigsaw.protection.master_key import open_database
from tests.conftest import MASTER_KEY


def test_the_database_opened_from_settings_uses_their_master_key(database_url: str) -> None:
    own_key = master_keys.new_key_text()
    settings = Settings(database_url=database_url, master_key=own_key)
    db = open_database(settings)
    try:
        process_key = master_keys.environment_key().key_id
        with db.transaction() as session:
            in_use = keyring(session).master.key_id
        assert in_use == master_keys.master_key_for(settings).key_id
        assert in_use != process_key, "not the key the process happened to be configured with"
    finally:
        db.dispose()


def test_a_database_made_without_settings_uses_the_environments_key(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as session:
        assert keyring(session).master.key_id == master_keys.environment_key().key_id
    # Nothing was fixed when the process started: a changed environment is followed.
    monkeypatch.setenv("JIGSAW_MASTER_KEY", master_keys.new_key_text())
    get_settings.cache_clear()
    with db.reading() as session:
        assert keyring(session).master.key_id == master_keys.environment_key().key_id
        assert (
            keyring(session).master.key_id
            != master_keys.master_key_for(Settings(master_key=MASTER_KEY)).key_id
        )


def test_the_app_opens_its_database_with_the_settings_key(
    database_url: str, settings: Settings
) -> None:
    own = settings.model_copy(update={"master_key": master_keys.new_key_text()})
    app = create_app(own)
    try:
        with app.state.db.transaction() as session:
            assert keyring(session).master.key_id == master_keys.master_key_for(own).key_id
    finally:
        app.state.db.dispose()
