"""A district identity provider for tests: OpenID Connect's authorization code flow with PKCE (RFC 7636, S256 only),
speaking the documented endpoints — discovery, authorize (a sign-in form listing its people), token (the code is
single use, bound to its client, redirect URI and code challenge: a wrong `code_verifier` is `invalid_grant`) and
JWKS. Its access tokens are RS256 JWTs with the claims the services read (`role`, `school`, audience
`afterschool`), so chassis' `TokenVerifier` accepts them when pointed at this JWKS. It issues refresh tokens and
takes the `refresh_token` grant (OIDC Core §12), rotating them: each is good once, and using one again ends its whole
line (a stolen copy is caught). Its end-session endpoint (RP-Initiated Logout 1.0) ends a person's session — their
refresh tokens stop working — and sends the browser back to a registered `post_logout_redirect_uri`. Times are the
process's wall clock, which the tests move with time-machine rather than waiting."""

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


@dataclass(frozen=True)
class Renewal:
    """A refresh token handed out: whose, for which client, and the line of rotations it belongs to."""

    client_id: str
    person: Person
    line: str


@dataclass
class OidcProvider:
    """The provider's registered public clients (client id → redirect URIs; and → post-logout redirect URIs),
    people and signing key; `issuer` is its base URL, set once it is served."""

    clients: dict[str, tuple[str, ...]]
    people: tuple[Person, ...]
    audience: str = "afterschool"
    issuer: str = ""
    logout_uris: dict[str, tuple[str, ...]] = field(default_factory=dict)
    access_seconds: int = 3600
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    grants: dict[str, Grant] = field(default_factory=dict)
    refused_verifiers: int = 0
    renewals: dict[str, Renewal] = field(default_factory=dict)  # refresh tokens not used yet
    spent: dict[str, str] = field(default_factory=dict)  # used refresh token → its line
    refreshed: int = 0  # refresh grants answered with tokens
    ended: list[str] = field(default_factory=list)  # subjects whose session ended at the end-session endpoint

    def end_session(self, subject: str) -> None:
        """The person's session at the provider is over (signed out, or disabled by the district): their refresh
        tokens are refused from now on."""
        self.renewals = {t: r for t, r in self.renewals.items() if r.person.subject != subject}

    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize, methods=["GET"]),
                Route("/authorize", self._approve, methods=["POST"]),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
                Route("/logout", self._logout, methods=["GET"]),
            ]
        )

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
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
        if form.get("grant_type") == "refresh_token":
            return self._renew(form)
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
        return self._issue(grant.client_id, grant.person, secrets.token_urlsafe(8), nonce=grant.nonce)

    def _renew(self, form: dict[str, str]) -> Response:
        """The refresh_token grant: one use per refresh token; a spent one used again ends its whole line."""
        token = str(form.get("refresh_token", ""))
        renewal = self.renewals.pop(token, None)
        if renewal is None:
            line = self.spent.get(token)
            if line is not None:  # replayed: whoever holds the line's live token holds a stolen one, or is one
                self.renewals = {t: r for t, r in self.renewals.items() if r.line != line}
            return JSONResponse({"error": "invalid_grant", "error_description": "refresh token not valid"}, 400)
        self.spent[token] = renewal.line
        if renewal.client_id != form.get("client_id"):
            return JSONResponse({"error": "invalid_grant", "error_description": "not this client's"}, 400)
        self.refreshed += 1
        return self._issue(renewal.client_id, renewal.person, renewal.line)

    def _issue(self, client_id: str, person: Person, line: str, *, nonce: str | None = None) -> Response:
        """Access, ID and refresh tokens for `person`; the refresh token continues `line`."""
        now = int(time.time())  # the provider's own clock: the services check these tokens' expiry against theirs
        common = {"iss": self.issuer, "sub": person.subject, "iat": now, "exp": now + self.access_seconds}
        access = {**common, "aud": self.audience, "role": person.role, "school": person.school_id}
        identity = {**common, "aud": client_id, "name": person.name} | ({"nonce": nonce} if nonce else {})
        renewal = secrets.token_urlsafe(24)
        self.renewals[renewal] = Renewal(client_id, person, line)
        return JSONResponse(
            {
                "access_token": self._sign(access),
                "id_token": self._sign(identity),
                "refresh_token": renewal,
                "token_type": "Bearer",
                "expires_in": self.access_seconds,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def _logout(self, request: Request) -> Response:
        """RP-Initiated Logout: the ID token hint must be one this provider signed for the client (expired is fine:
        §2), and the way back one registered for it; else an error page, and nobody is sent anywhere."""
        params = request.query_params
        client_id, back = params.get("client_id", ""), params.get("post_logout_redirect_uri", "")
        try:
            hint = jwt.decode(
                params.get("id_token_hint", ""),
                self.key.public_key(),
                algorithms=["RS256"],
                audience=client_id,
                issuer=self.issuer,
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return HTMLResponse("the id_token_hint is not one of this provider's", 400)
        if back not in self.logout_uris.get(client_id, ()):
            return HTMLResponse("unknown post_logout_redirect_uri", 400)
        self.end_session(str(hint["sub"]))
        self.ended.append(str(hint["sub"]))
        state = params.get("state")
        return RedirectResponse(f"{back}?{urlencode({'state': state})}" if state else back, 303)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    async def _jwks(self, request: Request) -> Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (without python-multipart, which starlette's form() needs)."""
    return dict(parse_qsl((await request.body()).decode()))
