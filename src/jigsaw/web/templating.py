"""The Jinja environment for pages: our templates first, then GOV.UK Frontend's macros."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from jigsaw.access import sessions
from jigsaw.http import SESSION_KEY
from jigsaw.web import labels
from jigsaw.web.csrf import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
SERVICE_NAME = "Jigsaw"


def _environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # The GOV.UK macros test for absent options, so undefined must stay lenient.
    env = Environment(loader=loader, autoescape=True)
    env.filters["long_date"] = labels.long_date
    env.filters["nhs_number"] = labels.nhs_number
    env.filters["category"] = labels.category
    env.filters["subtype"] = labels.subtype
    env.globals["labels"] = labels
    env.globals["service_name"] = SERVICE_NAME
    return env


def _shared(request: Request) -> dict[str, Any]:
    """What the layout needs on every page: the form token, demo mode, signed-in state."""
    has_session = "session" in request.scope
    settings = getattr(request.app.state, "settings", None)
    return {
        "csrf_token": csrf_token(request) if has_session else "",
        "csrf_field": CSRF_FIELD,
        "signed_in": has_session and isinstance(request.session.get(SESSION_KEY), int),
        "fully_signed_in": has_session and bool(request.session.get(sessions.MFA_VERIFIED)),
        "demo_mode": bool(getattr(settings, "demo_mode", False)),
        "assets_missing": getattr(request.app.state, "govuk_frontend", None) is None,
    }


templates = Jinja2Templates(env=_environment(), context_processors=[_shared])
