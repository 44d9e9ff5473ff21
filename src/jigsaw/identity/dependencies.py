"""What every route needs: the database and the signed-in actor, as FastAPI dependencies.

Who is asking is decided here and nowhere else. ``current_actor`` (``CurrentActor``)
is the only way a route gets an actor that may see anything, and it insists on a
second factor; the few routes that finish signing in use ``SignedInActor``
instead. A request may prove itself with the session cookie (people) or an
``Authorization: Bearer`` API token (systems, on ``/api`` routes only).

Tokens are checked against the scopes the route declares with ``require_scope``
or ``require_scopes`` (normally once, on its ``APIRouter``). A route that
declares none does not accept tokens at all: forgetting to declare scopes fails
closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from jigsaw import clock
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.errors import NotPermitted, NotSignedIn
from jigsaw.identity import service as access
from jigsaw.identity import sessions, tokens
from jigsaw.identity.service import AccountConfig
from jigsaw.policy.actor import RECENT_SIGN_IN, Actor

SESSION_KEY = sessions.PRACTITIONER
SESSION_COOKIE = "jigsaw_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPES_ATTRIBUTE = "jigsaw_scopes"
_ACCOUNTS_CACHE = "account_config"
_ACTOR_STATE = "jigsaw_actor"
_WORK_STATE = "jigsaw_work"


class SecondFactorRequired(NotSignedIn):
    """Signed in with a password (or a provider without MFA) but no code yet."""


class ReauthenticationRequired(NotSignedIn):
    """The action needs the person to have proved who they are in the last few minutes."""


def get_db(request: Request) -> Iterator[Database]:
    """The request's unit of work: every service the route calls writes in it, and it
    commits once, after the route returns and before the answer is sent.

    If the route raises, everything it did is rolled back before the error is answered;
    if the commit itself fails, the request fails. So an answer that says something was
    done is never sent for a change that was not kept.
    """
    database: Database = request.app.state.db
    work = database.unit_of_work()
    setattr(request.state, _WORK_STATE, work)
    try:
        yield work
    except BaseException:
        work.rollback()
        raise
    work.commit()


def get_settings_for(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_accounts(request: Request) -> AccountConfig:
    """Keys and lockout numbers, derived once per app from its settings."""
    config = getattr(request.app.state, _ACCOUNTS_CACHE, None)
    if not isinstance(config, AccountConfig):
        config = AccountConfig.from_settings(get_settings_for(request))
        setattr(request.app.state, _ACCOUNTS_CACHE, config)
    return config


DB = Annotated[Database, Depends(get_db, scope="function")]


def work_of(request: Request) -> Database:
    """The request's unit of work, for code a route calls that is not itself a dependency.

    Only a route that takes ``DB`` has one; anything else is a mistake to find at once.
    """
    work = getattr(request.state, _WORK_STATE, None)
    if not isinstance(work, Database):
        raise RuntimeError("This route has no unit of work: give it a DB parameter")
    return work


Accounts = Annotated[AccountConfig, Depends(get_accounts)]


def _remember(request: Request, actor: Actor) -> Actor:
    setattr(request.state, _ACTOR_STATE, actor)
    return actor


def actor_of(request: Request) -> Actor | None:
    """Who this request was identified as so far, for recording a refusal after the fact.

    Set as soon as a token or session identifies someone, before any check that may
    refuse them, so a refused request is attributed even when the refusal came first.
    """
    actor = getattr(request.state, _ACTOR_STATE, None)
    return actor if isinstance(actor, Actor) else None


# API tokens and the scopes routes declare


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def token_actor(request: Request, db: DB) -> Actor | None:
    """The system behind a bearer token on an ``/api`` route, or None if no token was sent.

    Pages are for people: a token sent to a page is ignored, so the page asks
    for a session like any other request without one.
    """
    token = _bearer(request)
    if token is None or not request.url.path.startswith("/api"):
        return None
    return _remember(request, tokens.authenticate(db, token, now=clock.utcnow()))


def declared_scopes(route: Any, method: str) -> list[str] | None:
    """The scopes a route needs for this method, or None if it declares none."""
    if not isinstance(route, APIRoute):
        return None
    needed: list[str] | None = None
    for depends in route.dependencies:
        choose = getattr(depends.dependency, _SCOPES_ATTRIBUTE, None)
        if choose is not None:
            needed = (needed or []) + [choose(method)]
    return needed


def _enforce_scopes(request: Request, actor: Actor) -> None:
    if actor.scopes is None:
        return
    needed = declared_scopes(request.scope.get("route"), request.method)
    if needed is None:
        raise NotPermitted("This cannot be done with an API token.")
    for scope in needed:
        if not actor.has_scope(scope):
            raise NotPermitted(f"This API token does not have the {scope} scope.")


def _scope_dependency(choose: Callable[[str], str]) -> Callable[..., None]:
    def check_scope(request: Request, token: Annotated[Actor | None, Depends(token_actor)]) -> None:
        if token is not None:
            _enforce_scopes(request, token)

    setattr(check_scope, _SCOPES_ATTRIBUTE, choose)
    return check_scope


def require_scope(scope: str) -> Callable[..., None]:
    """Declare the one scope a token needs for a route or a whole router.

    ``APIRouter(dependencies=[Depends(require_scope("audit:read"))])``. People
    signed in with a session are not limited by scopes, only by their role.
    """
    return _scope_dependency(lambda _method: scope)


def require_scopes(*, read: str, write: str) -> Callable[..., None]:
    """Declare a router's read scope (GET, HEAD) and write scope (everything else)."""
    return _scope_dependency(lambda method: read if method.upper() in SAFE_METHODS else write)


# People with sessions

SESSION_SCHEME = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description="A person's signed session cookie, after password and second factor",
    auto_error=False,
)
TOKEN_SCHEME = HTTPBearer(
    scheme_name="token",
    description="An API token for a system, limited to the scopes it was given",
    auto_error=False,
)


def _settings_numbers(request: Request) -> tuple[int, int]:
    settings = get_settings_for(request)
    return settings.session_max_age_seconds, settings.session_idle_seconds


def signed_in_actor(
    request: Request,
    db: DB,
    token: Annotated[Actor | None, Depends(token_actor)],
    _session: Annotated[str | None, Security(SESSION_SCHEME)] = None,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(TOKEN_SCHEME)] = None,
) -> Actor:
    """The actor, whether or not the second factor is done yet.

    Only for the routes that finish signing in; everything else uses
    ``current_actor``. The two security parameters only declare, in the OpenAPI
    document, the ways a caller proves who they are; the session and the token are
    read above and below, where the checks are.
    """
    if token is not None:
        _enforce_scopes(request, token)
        return token
    state = sessions.read(request.session)
    if state is None:
        raise NotSignedIn("Sign in to continue")
    now = clock.utcnow()
    max_age, idle = _settings_numbers(request)
    if state.expired(now, max_age, idle):
        request.session.clear()
        raise access.SessionEnded("Your session has ended; sign in again")
    try:
        actor = access.load_actor(
            db,
            state.practitioner_id,
            started_at=state.started_at,
            mfa_verified=state.mfa_verified,
            authenticated_at=state.authenticated_at,
        )
    except access.SessionEnded:
        request.session.clear()
        raise
    sessions.touch(request.session, state, now)
    return _remember(request, actor)


def current_actor(actor: Annotated[Actor, Depends(signed_in_actor)]) -> Actor:
    """The actor for any route that shows or changes anything: second factor required."""
    if not actor.mfa_verified:
        raise SecondFactorRequired("Enter the code from your authenticator app to continue")
    return actor


SignedInActor = Annotated[Actor, Depends(signed_in_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]

REAUTHENTICATION_SECONDS = int(RECENT_SIGN_IN.total_seconds())


def require_recent_authentication(
    max_age: int = REAUTHENTICATION_SECONDS,
) -> Callable[..., Actor]:
    """A dependency for sensitive actions: the person proved who they are just now.

    Use as ``actor: Annotated[Actor, Depends(require_recent_authentication())]``.
    Pages send the person to re-authenticate and bring them back; the API answers
    401 with what to do. API tokens are refused: a sensitive action needs a person.
    """

    def recently_authenticated(actor: CurrentActor) -> Actor:
        if actor.is_token:
            raise NotPermitted("This needs a person to confirm who they are, not an API token.")
        fresh_after = clock.utcnow() - timedelta(seconds=max_age)
        if actor.authenticated_at is None or actor.authenticated_at < fresh_after:
            raise ReauthenticationRequired(
                "Confirm your password and a code from your authenticator app to continue"
            )
        return actor

    return recently_authenticated


RecentlyAuthenticatedActor = Annotated[Actor, Depends(require_recent_authentication())]
