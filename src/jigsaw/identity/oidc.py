"""OpenID Connect single sign-on, configured by environment (``JIGSAW_OIDC_*``).

authlib does the protocol: discovery, the authorization code flow with PKCE,
state kept in the signed session, and the ID token's signature checked against
the provider's JWKS. The claims it must hold are spelt out here rather than left
to defaults: issuer equal to the configured one, audience containing our client
id, a nonce equal to the one we sent, and an unexpired ``exp``.

The ``email`` claim names an existing, active practitioner; nobody is created
on the fly. If the provider says (``amr``) it used a second factor, that counts;
otherwise the practitioner still gives a code from their Jigsaw authenticator.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request
from joserfc.errors import JoseError
from starlette.responses import Response

from jigsaw.config import Settings
from jigsaw.errors import NotSignedIn

# authlib 1.9 prefers the "httpx2" package and, finding httpx, warns on import; it
# also sets its warnings to "always" for the whole process. httpx is the client
# this project pins, so the warning is expected: keep both inside this import.
with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401 (installs its filter first, so ours wins)

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.starlette_client import OAuth

CLIENT_NAME = "jigsaw_oidc"
PROVIDER_MFA_METHODS = frozenset({"mfa", "otp"})
LEEWAY_SECONDS = 60
_CACHE = "oidc_provider"


class FederatedSignInFailed(NotSignedIn):
    """The provider's answer could not be trusted or used; nothing was signed in."""


@dataclass(frozen=True)
class FederatedIdentity:
    email: str
    provider_did_mfa: bool


def metadata_url(settings: Settings) -> str:
    if settings.oidc_metadata_url:
        return settings.oidc_metadata_url
    return settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"


class OidcProvider:
    """One configured identity provider, built once per app."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.oidc_provider_name
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.redirect_url = settings.oidc_redirect_url or None
        registry = OAuth()
        self.client: Any = registry.register(
            name=CLIENT_NAME,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=metadata_url(settings),
            client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
        )

    async def redirect(self, request: Request, callback_url: str, *, fresh: bool) -> Response:
        """Send the browser to the provider; ``fresh`` asks it to sign the person in again."""
        extra: dict[str, Any] = {"prompt": "login", "max_age": 0} if fresh else {}
        response: Response = await self.client.authorize_redirect(
            request, self.redirect_url or callback_url, **extra
        )
        return response

    def _claims_options(self) -> dict[str, dict[str, Any]]:
        return {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "nonce": {"essential": True},
        }

    async def identity(self, request: Request) -> FederatedIdentity:
        """Finish the flow at the callback and return who the provider vouched for."""
        try:
            token = await self.client.authorize_access_token(
                request, claims_options=self._claims_options(), leeway=LEEWAY_SECONDS
            )
        except (OAuthError, JoseError, httpx.HTTPError, ValueError, KeyError) as exc:
            raise FederatedSignInFailed(
                f"The sign-in could not be checked ({type(exc).__name__})"
            ) from exc
        claims = token.get("userinfo")
        if not claims:
            raise FederatedSignInFailed("The provider did not send an ID token")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != self.issuer or self.client_id not in audiences:
            raise FederatedSignInFailed("The ID token was not issued to this service")
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise FederatedSignInFailed("The provider did not say which email address you used")
        if claims.get("email_verified") is False:
            raise FederatedSignInFailed("The provider has not verified your email address")
        methods = claims.get("amr") or []
        did_mfa = isinstance(methods, list) and bool(PROVIDER_MFA_METHODS & set(methods))
        return FederatedIdentity(email.strip().lower(), did_mfa)


def provider_for(request: Request) -> OidcProvider | None:
    """The app's provider if single sign-on is configured, else None."""
    settings: Settings = request.app.state.settings
    if not settings.oidc_configured:
        return None
    provider = getattr(request.app.state, _CACHE, None)
    if not isinstance(provider, OidcProvider):
        provider = OidcProvider(settings)
        setattr(request.app.state, _CACHE, provider)
    return provider
