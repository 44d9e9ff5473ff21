"""The Jinja environment for pages (our templates first, then GOV.UK Frontend's macros),
and the one way every page route answers: ``render`` a page or ``redirect`` after a post.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
)

from jigsaw.identity import sessions
from jigsaw.identity.dependencies import SESSION_KEY
from jigsaw.web import labels
from jigsaw.web.csrf import CSRF_FIELD, csrf_token
from jigsaw.web.tables import stacked

TEMPLATES_DIR = Path(__file__).parent / "templates"
SERVICE_NAME = "Jigsaw"
FLASH_KEY = "flash"
"""The session key of a one-line message for the next page shown (``forms.flash``)."""


# GOV.UK Frontend's page template starts the body with an inline script that marks
# the page as having JavaScript. The Content-Security-Policy allows no inline script,
# so the line is taken out as the template loads and ``static/body-classes.js`` (a
# file, loaded from ``base.html``) does the same job.
GOVUK_PAGE_TEMPLATE = "template.html"
_INLINE_BODY_SCRIPT = re.compile(r"[ \t]*<script\b[^>]*>document\.body\.className[^<]*</script>\n?")


class InlineScriptFound(RuntimeError):
    """GOV.UK Frontend's template changed: its inline script could not be removed."""


class _WithoutInlineScript(BaseLoader):
    """GOV.UK Frontend's templates as published, less the page template's inline script."""

    def __init__(self, package: BaseLoader) -> None:
        self.package = package

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.package.get_source(environment, template)
        if template == GOVUK_PAGE_TEMPLATE:
            source, removed = _INLINE_BODY_SCRIPT.subn("", source)
            if removed != 1 or "<script>" in source or "<script " in source:
                raise InlineScriptFound(
                    f"{filename}: expected exactly one inline script to take out"
                )
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.package.list_templates()


def _environment() -> Environment:
    govuk = _WithoutInlineScript(PackageLoader("govuk_frontend_jinja"))
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({"govuk_frontend_jinja": govuk}),
        ]
    )
    # The GOV.UK macros test for absent options, so undefined must stay lenient.
    env = Environment(loader=loader, autoescape=True)
    env.filters["long_date"] = labels.long_date
    env.filters["person_name"] = labels.person_name
    env.filters["nhs_number"] = labels.nhs_number
    env.filters["category"] = labels.category
    env.filters["subtype"] = labels.subtype
    env.globals["labels"] = labels
    env.globals["stacked"] = stacked
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


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    errors: Mapping[str, str] | None = None,
    anchors: Mapping[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    """A page with its error summary built and any flash message taken from the session.

    ``errors`` maps a field to its message, in the order the page shows the fields
    (or the context's own ``errors`` do, if not given); the base layout lists them in
    one error summary, each linking to ``#field``, or to where ``anchors`` says (the
    day box of a date, another page for the check-answers page), and starts the title
    with "Error: ". The status is 422 when there are errors, unless ``status_code``
    says otherwise. Caching is refused for every page by ``app.py``, since pages about
    children must not linger on shared computers.
    """
    full: dict[str, Any] = {"errors": {}, **context}
    if errors is not None:
        full["errors"] = dict(errors)
    full["error_list"] = [
        {"text": message, "href": (anchors or {}).get(field, f"#{field}")}
        for field, message in full["errors"].items()
    ]
    if "session" in request.scope:
        full["flash"] = request.session.pop(FLASH_KEY, None)
    status = status_code if status_code is not None else (422 if errors else 200)
    return templates.TemplateResponse(request, template, full, status_code=status)


def redirect(location: str) -> Response:
    """See Other: after a post, so refreshing the next page never sends the form again."""
    return RedirectResponse(location, status_code=303)
