"""A district identity provider for tests: OpenID Connect's authorization code flow with PKCE (RFC 7636, S256 only),
speaking the documented endpoints — discovery, authorize (a sign-in form listing its people), token (the code is
single use, bound to its client, redirect URI and code challenge: a wrong `code_verifier` is `invalid_grant`) and
JWKS. Its access tokens are RS256 JWTs with the claims the services read (`role`, `school`, audience
`afterschool`), so chassis' `TokenVerifier` accepts them when pointed at this JWKS."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

KEY_ID = "district-key-1"


@dataclass(frozen=True)
class Person:
    """Someone who can sign in at the provider, with the claims the district puts in their access token."""

    subject: str
    name: str
    role: str
    school_id: str


@dataclass(frozen=True)
class Grant:
    """A code handed out at authorize, waiting to be traded at the token endpoint."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    person: Person


@dataclass
class OidcProvider:
    """The provider's registered public clients (client id → redirect URIs), people and signing key; `issuer` is its
    base URL, set once it is served."""

    clients: dict[str, tuple[str, ...]]
    people: tuple[Person, ...]
    audience: str = "afterschool"
    issuer: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    grants: dict[str, Grant] = field(default_factory=dict)
    refused_verifiers: int = 0

    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize, methods=["GET"]),
                Route("/authorize", self._approve, methods=["POST"]),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
            ]
        )

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["openid", "profile"],
            }
        )

    def _checked(self, params: Any) -> dict[str, str] | Response:
        """The authorization request's parameters, or the error page for a request no provider may redirect."""
        query = {k: str(params.get(k, "")) for k in ("client_id", "redirect_uri", "response_type", "scope", "state")}
        query |= {k: str(params.get(k, "")) for k in ("nonce", "code_challenge", "code_challenge_method")}
        if query["redirect_uri"] not in self.clients.get(query["client_id"], ()):
            return HTMLResponse("unknown client or redirect URI", 400)  # never redirect to an unregistered URI
        if query["response_type"] != "code" or "openid" not in query["scope"].split():
            return self._back(query, error="unsupported_response_type")
        if query["code_challenge_method"] != "S256" or len(query["code_challenge"]) != 43:
            return self._back(query, error="invalid_request")  # public clients must use PKCE, and S256
        return query

    async def _authorize(self, request: Request) -> Response:
        query = self._checked(request.query_params)
        if isinstance(query, Response):
            return query
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in query.items())
        options = "".join(f'<option value="{p.subject}">{html.escape(p.name)}</option>' for p in self.people)
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><title>District sign-in</title></head><body><main>'
            '<h1>District sign-in</h1><form method="post" action="/authorize">'
            f'{hidden}<label for="person">Who</label><select id="person" name="person">{options}</select>'
            '<button type="submit">Sign in</button></form></main></body></html>'
        )

    async def _approve(self, request: Request) -> Response:
        form = await _form(request)
        query = self._checked(form)
        if isinstance(query, Response):
            return query
        person = next((p for p in self.people if p.subject == form.get("person")), None)
        if person is None:
            return self._back(query, error="access_denied")
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            query["client_id"], query["redirect_uri"], query["code_challenge"], query["nonce"], person
        )
        return self._back(query, code=code)

    @staticmethod
    def _back(query: dict[str, str], **answer: str) -> Response:
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode({**answer, 'state': query['state']})}", 303)

    async def _token(self, request: Request) -> Response:
        form = await _form(request)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        grant = self.grants.pop(str(form.get("code", "")), None)  # single use, right or wrong
        if grant is None or grant.client_id != form.get("client_id") or grant.redirect_uri != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = str(form.get("code_verifier", ""))
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(digest, grant.challenge):
            self.refused_verifiers += 1
            return JSONResponse({"error": "invalid_grant", "error_description": "code_verifier does not match"}, 400)
        now = int(time.time())  # the provider's own clock: the services check these tokens' expiry against theirs
        person = grant.person
        common = {"iss": self.issuer, "sub": person.subject, "iat": now, "exp": now + 3600}
        access = {**common, "aud": self.audience, "role": person.role, "school": person.school_id}
        identity = {**common, "aud": grant.client_id, "nonce": grant.nonce, "name": person.name}
        return JSONResponse(
            {
                "access_token": self._sign(access),
                "id_token": self._sign(identity),
                "token_type": "Bearer",
                "expires_in": 3600,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    async def _jwks(self, request: Request) -> Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (without python-multipart, which starlette's form() needs)."""
    return dict(parse_qsl((await request.body()).decode()))
