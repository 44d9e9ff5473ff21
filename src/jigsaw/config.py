"""Settings, read once from the environment (prefix ``JIGSAW_``).

Secrets never have a usable default outside demo mode: a deployment that forgets to
set them must fail at start-up, not run with a guessable key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

MIN_SECRET_LENGTH = 32
DEMO_SECRET_SUFFIX = "secret"  # noqa: S105 (a file name, not a secret)
DEMO_MASTER_KEY_SUFFIX = "master-key"
# SHA-256 of the keys earlier versions published for demo mode. A copy of one in a real
# deployment is refused at start-up; the keys themselves are no longer anywhere here.
_PUBLISHED_DEMO_KEY_DIGESTS = frozenset(
    {
        "04dbf3d7d6b9c282df95e42033b778214f84e7c7c679b98dcdf632542a32bef2",
        "13fef411710fd7a3e611d28956469ba76b16d64f6a003bf83f2d2fed0a69158f",
    }
)


def _published(value: str) -> bool:
    return hashlib.sha256(value.encode()).hexdigest() in _PUBLISHED_DEMO_KEY_DIGESTS


def demo_key_path(database_url: str, suffix: str) -> Path | None:
    """Where demo mode keeps a key of its database: beside the SQLite file, as
    ``<name>.<suffix>`` (``var/demo.secret`` for ``var/demo.db``), or in ``var/`` for a
    server database. None for an in-memory database, whose key lives only as long as it.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            return None
        database = Path(url.database)
        return database.with_name(f"{database.stem}.{suffix}")
    return Path("var") / f"demo-{url.get_backend_name()}.{suffix}"


def _demo_key(database_url: str, suffix: str, make: str) -> str:
    """The demo database's own key, made at random (readable by its owner only) if absent.

    Each demo database gets keys nobody else has, so reaching a demo instance is not
    enough to forge its session cookies or read what it sealed.
    """
    path = demo_key_path(database_url, suffix)
    if path is None:
        return make
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()  # another process made it first
        with os.fdopen(fd, "w") as handle:
            handle.write(make + "\n")
        return make
    return path.read_text().strip()


def forget_demo_keys(database_url: str) -> None:
    """Delete a demo database's keys, so the rebuilt database gets fresh ones."""
    for suffix in (DEMO_SECRET_SUFFIX, DEMO_MASTER_KEY_SUFFIX):
        path = demo_key_path(database_url, suffix)
        if path is not None:
            path.unlink(missing_ok=True)


class InsecureSettings(RuntimeError):
    """The settings would run the service with a weak or missing secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIGSAW_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path('var') / 'jigsaw.db'}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg:// in production.",
    )
    secret_key: str = Field(default="", description="Signs session cookies; 32+ characters.")
    demo_mode: bool = Field(
        default=False,
        description="Synthetic data only: keys left unset are made at random for the "
        "database and kept beside it (var/demo.secret, var/demo.master-key).",
    )
    audit_signing_key: str = Field(
        default="", description="Base64 of the 32-byte Ed25519 seed that signs checkpoints."
    )
    audit_signing_key_file: Path | None = Field(
        default=None, description="A file holding that base64 seed instead (demo: created)."
    )
    master_key: str = Field(
        default="",
        description="Base64 of the 32-byte master key that wraps every data key (at rest).",
    )
    master_key_file: Path | None = Field(
        default=None, description="A file holding that base64 master key instead."
    )
    retired_master_keys: str = Field(
        default="",
        description="Comma-separated base64 master keys replaced by a rotation, still read until "
        "`jigsaw protection rewrap` has moved every data key to the current one.",
    )
    audit_log_origin: str = Field(
        default="jigsaw.invalid/audit", description="The log's name in its checkpoints."
    )
    mais_system: str = Field(
        default="urn:jigsaw:local",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z][A-Za-z0-9.-]*:[A-Za-z0-9._:/@-]+$",
        description="This service's name as the requesting system in the MAIS request objects "
        "it exports (`jigsaw mais export`), and the base of the node IRIs in its PROV-O "
        "trails: an absolute URI (`urn:...` or `https://...`, no `#`), so an exported "
        "object can be imported back and every node names a valid IRI; give each "
        "installation its own.",
    )
    deadline_profile: str = Field(
        default="default", description="The authority's RAG timescale profile (deadlines/)."
    )
    encompass_types_file: str = Field(
        default="",
        description="The authority's own list of police item types that tell a child's school "
        "(Operation Encompass), in the shape of `encompass/types.yaml`; empty for that list.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 60 * 60, description="A session ends this long after sign-in, however busy."
    )
    session_idle_seconds: int = Field(
        default=30 * 60, description="A session ends after this long without a request."
    )
    lockout_threshold: int = Field(
        default=5, description="Failed sign-in attempts (password or code) before a lockout."
    )
    lockout_seconds: int = Field(
        default=15 * 60, description="The first lockout's length; each further one doubles it."
    )
    lockout_max_seconds: int = Field(
        default=24 * 60 * 60, description="The longest a lockout can grow to."
    )
    break_glass_max_minutes: int = Field(
        default=60,
        description="The longest an emergency (break-glass) session may last; 60 by default.",
    )
    break_glass_alert_after: int = Field(
        default=2,
        ge=1,
        description=(
            "How many emergency (break-glass) sessions one practitioner may start within "
            "break_glass_alert_hours before each further one raises a second alert."
        ),
    )
    break_glass_alert_hours: int = Field(
        default=24,
        ge=1,
        description="The rolling period, in hours, that break_glass_alert_after counts over.",
    )
    confirmer_settling_days: int = Field(
        default=7,
        ge=0,
        description=(
            "Days after a person (not the command line) creates an account, changes its "
            "role, or resets its password or second factor, during which it confirms no "
            "agency record: one administrator could otherwise make both people a "
            "confirmation needs."
        ),
    )
    oidc_issuer: str = Field(
        default="", description="Single sign-on: the OpenID provider's issuer URL."
    )
    oidc_client_id: str = Field(default="", description="Single sign-on: this service's id.")
    oidc_client_secret: str = Field(
        default="", description="Single sign-on: this service's secret at the provider."
    )
    oidc_metadata_url: str = Field(
        default="", description="The discovery document, if not at the issuer's well-known URL."
    )
    oidc_provider_name: str = Field(
        default="single sign-on", description='Shown on the button: "Sign in with <name>".'
    )
    oidc_redirect_url: str = Field(
        default="", description="The callback URL to register, if the service sits behind a proxy."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="The largest request body accepted; larger ones get 413 before parsing. "
        "The largest legitimate one, an item with 20,000 characters of detail, is "
        "under 130 KB even with every character escaped.",
    )
    max_feed_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="The largest body another system may push to `POST /api/imports/{kind}` "
        "(a feed of rows); larger ones get 413. Every other route keeps `max_body_bytes`.",
    )
    worker_poll_seconds: int = Field(
        default=60, ge=1, description="How often `jigsaw worker` looks for jobs that are due."
    )
    worker_lease_minutes: int = Field(
        default=15,
        ge=1,
        description="How long a job stays with a worker that stops renewing it (one killed "
        "mid-run) before another worker takes it over.",
    )
    reminder_interval_minutes: int = Field(
        default=15,
        ge=1,
        description="How often overdue requests and disclosures about to expire are looked for.",
    )
    linking_interval_minutes: int = Field(
        default=5,
        ge=1,
        description="How often records a feed left unlinked are linked by the online match.",
    )
    retention_interval_hours: int = Field(
        default=24, ge=1, description="How often the retention schedule is applied."
    )
    checkpoint_interval_minutes: int = Field(
        default=60, ge=1, description="How often a checkpoint is signed, if the log has grown."
    )
    retention_schedule_file: Path | None = Field(
        default=None,
        description="The authority's own retention schedule; the shipped one if unset.",
    )
    secure_cookies: bool = True
    sql_echo: bool = False

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @model_validator(mode="after")
    def _demo_gets_its_own_keys(self) -> Settings:
        if self.demo_mode and not self.secret_key:
            self.secret_key = _demo_key(
                self.database_url, DEMO_SECRET_SUFFIX, secrets.token_urlsafe(48)
            )
        if self.demo_mode and not self.master_key and self.master_key_file is None:
            self.master_key = _demo_key(
                self.database_url,
                DEMO_MASTER_KEY_SUFFIX,
                base64.b64encode(secrets.token_bytes(32)).decode(),
            )
        return self

    def require_safe_secrets(self) -> None:
        """Refuse to start a non-demo service with a weak or demo secret."""
        if self.demo_mode:
            return
        if not self.secret_key:
            raise InsecureSettings(
                "JIGSAW_SECRET_KEY is not set. Set it to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))'), "
                "or set JIGSAW_DEMO_MODE=1 to run on synthetic data only."
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH or _published(self.secret_key):
            raise InsecureSettings(
                f"JIGSAW_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random "
                "characters, and never the demo key outside demo mode."
            )
        if not self.audit_signing_key and self.audit_signing_key_file is None:
            raise InsecureSettings(
                "JIGSAW_AUDIT_SIGNING_KEY (or JIGSAW_AUDIT_SIGNING_KEY_FILE) is not set: the "
                "audit log cannot sign checkpoints. Create one with `jigsaw audit keygen`."
            )
        if not self.master_key and self.master_key_file is None:
            raise InsecureSettings(
                "JIGSAW_MASTER_KEY (or JIGSAW_MASTER_KEY_FILE) is not set: nothing about a "
                "child can be stored or read. Create one with `jigsaw protection keygen`."
            )
        if _published(self.master_key):
            raise InsecureSettings(
                "JIGSAW_MASTER_KEY is the demo key: never use it outside demo mode."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
