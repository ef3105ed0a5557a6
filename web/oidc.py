"""Production sign-in through the district's identity provider: OpenID Connect, authorization code with PKCE.

The web app is a public client (no client secret: the deployable holds none). It reads the provider's discovery
document, sends the browser to its authorization endpoint with an S256 code challenge, and on the way back trades
the code and its verifier for tokens at the token endpoint. The ID token is checked against the provider's JWKS
(issuer, audience = our client id, nonce); the access token is the one the services check themselves (chassis
`TokenVerifier`, RS256 from the same JWKS), and it is handed to the browser, which calls the services with it.
The refresh token renews the access token before it expires (`refresh`, one use: the provider rotates it), and
signing out ends the session at the provider too (RP-initiated logout, `end_session_url`)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt


class SignInRefused(Exception):
    """The provider, or what it sent back, cannot be trusted to sign this person in; the message says why."""


class ProviderUnavailable(SignInRefused):
    """The provider could not be reached or answered with something other than JSON: worth trying again later."""


@dataclass(frozen=True)
class Provider:
    """The endpoints of the district's identity provider, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""  # OIDC RP-Initiated Logout 1.0; empty when the provider offers none


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint gave, verified: the access token for the services, the ID token (the logout's
    `id_token_hint`) and the refresh token (empty when the provider gave none)."""

    access: str
    identity: str
    refresh: str


@dataclass(frozen=True)
class Attempt:
    """One sign-in under way, kept in the browser's cookie between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str
    lang: str

    @staticmethod
    def start(lang: str) -> Attempt:
        """A new attempt with fresh random state, nonce and PKCE code verifier (RFC 7636 §4.1: 43+ characters)."""
        return Attempt(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), lang)

    def cookie(self) -> str:
        """The attempt as one cookie value."""
        return ".".join((self.state, self.nonce, self.verifier, self.lang))

    @staticmethod
    def from_cookie(value: str | None) -> Attempt | None:
        """The attempt a cookie holds, or None when it holds none."""
        parts = (value or "").split(".")
        return Attempt(*parts) if len(parts) == 4 and all(parts) else None


def challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(provider: Provider, *, client_id: str, redirect_uri: str, scope: str, attempt: Attempt) -> str:
    """Where the browser goes to sign in at the provider."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": challenge(attempt.verifier),
        "code_challenge_method": "S256",
        "ui_locales": attempt.lang,
    }
    return f"{provider.authorization_endpoint}?{urlencode(query)}"


async def discover(http: httpx.AsyncClient, issuer: str) -> Provider:
    """The provider's endpoints from `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4)."""
    document = await _json(http.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration"))
    # Discovery §4.3: the document must name the issuer it was fetched for, or it is not that provider's.
    if document.get("issuer") != issuer:
        raise SignInRefused(f"the discovery document names issuer {document.get('issuer')!r}, not {issuer!r}")
    if "S256" not in document.get("code_challenge_methods_supported", ["S256"]):
        raise SignInRefused("the provider does not support PKCE with S256")
    try:
        return Provider(
            issuer,
            document["authorization_endpoint"],
            document["token_endpoint"],
            document["jwks_uri"],
            str(document.get("end_session_endpoint") or ""),
        )
    except KeyError as missing:
        raise SignInRefused(f"the discovery document has no {missing}") from missing


async def exchange(
    http: httpx.AsyncClient,
    provider: Provider,
    *,
    client_id: str,
    redirect_uri: str,
    code: str,
    attempt: Attempt,
    audience: str,
) -> Tokens:
    """Trade the code and the attempt's verifier for tokens; check the ID token and the access token."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": attempt.verifier,
    }
    tokens = await _tokens(http, provider, form)
    if "id_token" not in tokens:
        raise SignInRefused("the token endpoint gave no ID token")
    keys = jwt.PyJWKSet.from_dict(await _json(http.get(provider.jwks_uri)))
    identity = _verified(tokens["id_token"], keys, provider.issuer, client_id)
    if identity.get("nonce") != attempt.nonce:
        raise SignInRefused("the ID token's nonce is not this sign-in's")
    access = _verified(tokens["access_token"], keys, provider.issuer, audience)
    if access.get("sub") != identity.get("sub"):
        raise SignInRefused("the access token is for someone else")
    return Tokens(str(tokens["access_token"]), str(tokens["id_token"]), str(tokens.get("refresh_token") or ""))


async def refresh(
    http: httpx.AsyncClient, provider: Provider, *, client_id: str, tokens: Tokens, audience: str
) -> Tokens:
    """A new access token for the same person from the refresh token (OIDC Core §12): the provider rotates the
    refresh token, so the one it gives back replaces this one (kept when it gives none); a new ID token, if any, is
    checked and must name the same subject (§12.2)."""
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh, "client_id": client_id}
    answer = await _tokens(http, provider, form)
    keys = jwt.PyJWKSet.from_dict(await _json(http.get(provider.jwks_uri)))
    subject = jwt.decode(tokens.identity, options={"verify_signature": False}).get("sub")
    identity = str(answer.get("id_token") or tokens.identity)
    if "id_token" in answer and _verified(identity, keys, provider.issuer, client_id).get("sub") != subject:
        raise SignInRefused("the renewed ID token is for someone else")
    if _verified(answer["access_token"], keys, provider.issuer, audience).get("sub") != subject:
        raise SignInRefused("the renewed access token is for someone else")
    return Tokens(str(answer["access_token"]), identity, str(answer.get("refresh_token") or tokens.refresh))


def end_session_url(
    provider: Provider, *, client_id: str, id_token: str, post_logout_redirect_uri: str, lang: str
) -> str:
    """Where the browser goes to end its session at the provider (RP-Initiated Logout §2); the provider sends it back
    to `post_logout_redirect_uri` with `state`, here the page's language."""
    query = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": client_id,
        "state": lang,
        "ui_locales": lang,
    }
    return f"{provider.end_session_endpoint}?{urlencode(query)}"


def role_of(access_token: str) -> str:
    """The role claim of an access token `exchange` already verified."""
    return str(jwt.decode(access_token, options={"verify_signature": False}).get("role", ""))


def _verified(token: str, keys: jwt.PyJWKSet, issuer: str, audience: str) -> dict[str, Any]:
    """A token's claims once its RS256 signature (by the key its header names), issuer, audience and expiry hold."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in keys.keys if kid is None or k.key_id == kid), None)
        if key is None:
            raise SignInRefused(f"no key {kid!r} in the provider's JWKS")
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer, options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError as error:
        raise SignInRefused(f"a token from the provider is not valid: {error}") from error
    return claims


async def _tokens(http: httpx.AsyncClient, provider: Provider, form: dict[str, str]) -> dict[str, Any]:
    """The token endpoint's answer to a grant, or SignInRefused with its error (`invalid_grant`, …)."""
    tokens = await _json(http.post(provider.token_endpoint, data=form, headers={"Accept": "application/json"}))
    if "error" in tokens or "access_token" not in tokens:
        raise SignInRefused(f"the token endpoint refused: {tokens.get('error', 'no tokens')}")
    return tokens


async def _json(request: Any) -> dict[str, Any]:
    """A JSON object from the provider, or SignInRefused when it cannot be reached or sends something else."""
    try:
        answer: httpx.Response = await request
        body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderUnavailable(f"the identity provider did not answer: {error}") from error
    if not isinstance(body, dict):
        raise SignInRefused("the identity provider sent something other than a JSON object")
    return body
