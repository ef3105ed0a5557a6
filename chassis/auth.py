"""Bearer JWT authentication and role checks; the school always comes from the token, never the body."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chassis.problems import Forbidden, Unauthorized
from chassis.ratelimit import Limit
from chassis.settings import ServiceSettings


class Role(StrEnum):
    """Who is calling (docs/domain.md, "Who uses it")."""

    GUARDIAN = "guardian"
    CLASS_TEACHER = "class_teacher"
    SERVICE_TEACHER = "service_teacher"
    SUBJECT_TEACHER = "subject_teacher"
    DUTY_LEADER = "duty_leader"
    SCHOOL_ADMIN = "school_admin"
    DISTRICT_OPERATOR = "district_operator"
    KIOSK = "kiosk"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a person or a kiosk, bound to a school (or a district for operators)."""

    subject: str
    role: Role
    school_id: str | None
    district_id: str | None

    def school(self) -> str:
        """The caller's school; callers without one (district operators) are refused school-bound actions."""
        if self.school_id is None:
            raise Forbidden("this action needs a token bound to a school")
        return self.school_id


@dataclass(frozen=True)
class _Verified:
    """A token that passed every check, and the span of time in which the same answer holds."""

    principal: Principal
    not_before: float
    """Its `iat` or `nbf`, whichever is later: before it, PyJWT refuses the token as not yet valid."""
    until: float
    """Its `exp`, or sooner: at most `VERIFIED_SECONDS` after it was checked."""


VERIFIED_SECONDS = 60.0
"""How long a checked token is trusted without checking its signature again. A kiosk sends the same token with
every check-in, and checking it was about 4 % of attendance's CPU at 400/s (issue 13); a bounded reuse also bounds how
long a token signed by a key since withdrawn from the JWKS still passes."""
VERIFIED_TOKENS = 10_000
"""Checked tokens kept per process (the oldest is dropped first): a few MB at most."""


class TokenVerifier:
    """Checks signature, expiry, issuer and audience: HS256 with a local secret, or RS256 from a JWKS URL."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        self._verified: dict[str, _Verified] = {}

    async def verify(self, token: str) -> Principal:
        """The principal a token names; raises Unauthorized if it is not valid.

        A token checked in the last `VERIFIED_SECONDS` is not checked again, but its time bounds are, with PyJWT's
        own rules and clock: refused once `exp` is reached, or while `iat`/`nbf` lies ahead."""
        now = time.time()
        known = self._verified.get(token)
        if known is not None:
            if known.not_before <= now < known.until:
                return known.principal
            del self._verified[token]
        principal, claims = await self._check(token)
        # int(), as PyJWT reads these claims: a fractional exp must not be trusted past the second PyJWT stops at.
        bounds = [int(claims[name]) for name in ("iat", "nbf") if name in claims]
        until = min(int(claims["exp"]), now + VERIFIED_SECONDS)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = _Verified(principal, max(bounds, default=float("-inf")), until)
        return principal

    async def _check(self, token: str) -> tuple[Principal, dict[str, Any]]:
        settings = self._settings
        try:
            if settings.jwt_algorithm == "RS256":
                if self._jwks is None:
                    raise Unauthorized("RS256 tokens need a JWKS URL")
                # PyJWKClient fetches over blocking HTTP (then caches): keep it off the event loop.
                key: Any = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            else:
                key = settings.jwt_secret
            claims = jwt.decode(
                token,
                key,
                algorithms=[settings.jwt_algorithm],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options={"require": ["exp", "sub", "role"]},
            )
            role = Role(claims["role"])
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthorized(f"invalid token: {error}") from error
        principal = Principal(
            subject=str(claims["sub"]), role=role, school_id=claims.get("school"), district_id=claims.get("district")
        )
        return principal, claims


def mint_token(
    *,
    secret: str,
    role: Role | str,
    subject: str,
    school_id: str | None = None,
    district_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "afterschool",
    audience: str = "afterschool",
) -> str:
    """An HS256 token for development, tests and the demo (production tokens come from the identity provider)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(Role(role)),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
    }
    if school_id:
        claims["school"] = school_id
    if district_id:
        claims["district"] = district_id
    return jwt.encode(claims, secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """FastAPI dependency: the verified caller, or a 401 problem; a write over the caller's limits is a 429."""
    verifier: TokenVerifier = request.app.state.runtime.verifier
    principal = await verified(verifier, credentials.credentials if credentials is not None else None)
    if request.method not in READS:
        await _limit_writes(request, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def verified(verifier: TokenVerifier, token: str | None) -> Principal:
    """The caller a bearer token names, or a 401 problem (no token, or one that is not valid)."""
    if token is None:
        raise Unauthorized("a bearer token is required")
    return await verifier.verify(token)


class RoleCheck:
    """The dependency `require` builds; it keeps its roles so the OpenAPI can say who may call (chassis/openapi.py)."""

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        return self.admit(principal)

    def admit(self, principal: Principal) -> Principal:
        """The caller, if it has one of the roles; otherwise a 403 problem."""
        if principal.role not in self.roles:
            raise Forbidden(f"role '{principal.role}' may not do this")
        return principal


READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _limit_writes(request: Request, principal: Principal) -> None:
    """Issue 11: a write counts against its token and its school (or district) together, or is a 429."""
    runtime = request.app.state.runtime
    settings: ServiceSettings = runtime.settings
    tenant = f"school:{principal.school_id}" if principal.school_id else f"district:{principal.district_id}"
    window = settings.write_limit_seconds
    await runtime.limiter.check_all(
        [
            (f"writes:{tenant}:{principal.role}:{principal.subject}", Limit(settings.write_limit_per_token, window)),
            (f"writes:{tenant}", Limit(settings.write_limit_per_school, window)),
        ],
        "writes",
    )


def require(*roles: Role) -> Any:
    """Dependency: the caller, if it has one of `roles`; otherwise a 403 problem."""
    return Depends(RoleCheck(roles))
