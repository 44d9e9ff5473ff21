"""A small OpenID Connect provider for tests, served on a localhost port.

Discovery document, JWKS, an authorize endpoint that signs the person in at once
and redirects back with a code, and a token endpoint that issues an RS256 ID
token signed with a key made for the test run. ``identity`` says who signs in
next; ``tamper`` overrides claims, and ``signing_key`` can be swapped for a key
the JWKS does not publish, so tests can check each way a token must be refused.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "jigsaw-test-client"
CLIENT_SECRET = "test-client-secret-0123456789"
KEY_ID = "test-key-1"


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


@dataclass
class Grant:
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None


@dataclass
class TestProvider:
    key: RSAKey = field(default_factory=new_key)
    issuer: str = ""
    identity: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    signing_key: RSAKey | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    authorize_params: list[dict[str, str]] = field(default_factory=list)

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def reset(self, **identity: Any) -> None:
        self.identity = identity
        self.tamper = {}
        self.signing_key = None
        self.authorize_params.clear()

    async def discovery(self, _: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def jwks(self, _: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.authorize_params.append(params)
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            params["redirect_uri"], params.get("nonce"), params.get("code_challenge")
        )
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    def _client_ok(self, request: Request) -> bool:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {expected}"

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant = self.grants.pop(str(form.get("code", "")), None)
        if not self._client_ok(request) or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if grant.code_challenge != challenge.rstrip(b"=").decode():
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"user-{secrets.token_hex(4)}",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant.nonce,
            "email_verified": True,
            **self.identity,
            **self.tamper,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        signer = self.signing_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, signer)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


class ProviderServer:
    """Runs a provider under uvicorn on an ephemeral 127.0.0.1 port, in a thread."""

    def __init__(self, provider: TestProvider) -> None:
        config = uvicorn.Config(provider.app(), host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="oidc-provider", daemon=True)
        self.provider = provider

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The test OpenID provider did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.provider.issuer = f"http://127.0.0.1:{port}"
        return self.provider.issuer

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
