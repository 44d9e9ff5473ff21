"""The checkpoint signing key: from the environment, a key file, or (demo) a new file."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from jigsaw.audit.signing import CheckpointError, Signer
from jigsaw.config import Settings

DEMO_KEY_FILE = Path("var") / "audit-signing.key"


def new_seed_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _read_key_file(path: Path, create: bool) -> str:
    if not path.exists():
        if not create:
            raise CheckpointError(f"The audit signing key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_seed_text() + "\n")
    return path.read_text().strip()


def signer_for(settings: Settings) -> Signer:
    """The signer for this deployment; demo mode creates its own key file on first use."""
    text = settings.audit_signing_key
    if not text:
        path = settings.audit_signing_key_file or (DEMO_KEY_FILE if settings.demo_mode else None)
        if path is None:
            raise CheckpointError(
                "No audit signing key is configured: set JIGSAW_AUDIT_SIGNING_KEY (or "
                "JIGSAW_AUDIT_SIGNING_KEY_FILE) to one made by `jigsaw audit keygen`"
            )
        text = _read_key_file(path, create=settings.demo_mode)
    try:
        seed = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise CheckpointError("The audit signing key is not base64") from exc
    return Signer.from_seed(settings.audit_log_origin, seed)
