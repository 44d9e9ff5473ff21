"""Settings, read once from the environment (prefix ``JIGSAW_``).

Secrets never have a usable default outside demo mode: a deployment that forgets to
set them must fail at start-up, not run with a guessable key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "demo-only-secret-key-not-for-real-data-000000"  # noqa: S105 (demo mode only)
MIN_SECRET_LENGTH = 32
DEMO_MASTER_KEY = "ZGVtby1vbmx5LW1hc3Rlci1rZXktbm90LWZvci11c2U="  # 32 bytes; demo mode only


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
        default=False, description="Allows the demo secret; synthetic data only."
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
    deadline_profile: str = Field(
        default="default", description="The authority's RAG timescale profile (deadlines/)."
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
    secure_cookies: bool = True
    sql_echo: bool = False

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @model_validator(mode="after")
    def _demo_gets_a_known_secret(self) -> Settings:
        if self.demo_mode and not self.secret_key:
            self.secret_key = DEMO_SECRET
        if self.demo_mode and not self.master_key and self.master_key_file is None:
            self.master_key = DEMO_MASTER_KEY
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
        if len(self.secret_key) < MIN_SECRET_LENGTH or self.secret_key == DEMO_SECRET:
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
        if self.master_key == DEMO_MASTER_KEY:
            raise InsecureSettings(
                "JIGSAW_MASTER_KEY is the demo key: never use it outside demo mode."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
