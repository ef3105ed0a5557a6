"""Settings refuse placeholders in production; tokens are verified (HS256 locally, RS256 from a JWKS URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from chassis.app import clock_of
from chassis.auth import VERIFIED_SECONDS, Principal, Role, TokenVerifier, mint_token
from chassis.problems import Forbidden, Unauthorized
from chassis.settings import PLACEHOLDER_SECRET, ServiceSettings
from services.attendance.settings import AttendanceSettings

pytestmark = pytest.mark.unit

PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://u:p@db/attendance",
    "bus": "kafka",
    "jwt_secret": "a-real-secret-from-the-secret-store-0123456789",
}


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="development placeholder"):
        ServiceSettings(**{**PRODUCTION, "jwt_secret": PLACEHOLDER_SECRET})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"database_url": "sqlite+aiosqlite:///x.db"}, "needs PostgreSQL"),
        ({"bus": "memory"}, "needs the Kafka bus"),
        ({"jwt_algorithm": "RS256"}, "needs jwt_jwks_url"),
        ({"clock_start": "2026-11-25T15:00:00+08:00"}, "production runs on the wall clock"),
    ],
)
def test_production_refuses_the_embedded_defaults(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ServiceSettings(**{**PRODUCTION, **override})


def test_a_pinned_clock_start_runs_a_service_from_that_moment_and_needs_an_offset() -> None:
    settings = ServiceSettings(environment="test", clock_start="2026-11-25T15:00:00+08:00")
    clock = clock_of(settings)
    assert timedelta(0) <= clock.now() - datetime(2026, 11, 25, 7, 0, tzinfo=UTC) < timedelta(seconds=5)
    with pytest.raises(ValidationError, match="needs a UTC offset"):
        ServiceSettings(environment="test", clock_start="2026-11-25T15:00:00")


def test_development_runs_on_the_defaults() -> None:
    assert ServiceSettings(environment="development").jwt_secret == PLACEHOLDER_SECRET


def test_an_unset_environment_is_production_and_refuses_the_development_defaults() -> None:
    with pytest.raises(ValidationError, match="development placeholder"):
        ServiceSettings()
    assert ServiceSettings(**{k: v for k, v in PRODUCTION.items() if k != "environment"}).environment == "production"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_an_hs256_secret_shorter_than_32_bytes_is_refused_outside_tests(environment: str) -> None:
    short = {**PRODUCTION, "environment": environment, "jwt_secret": "x" * 31}
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ServiceSettings(**short)
    assert ServiceSettings(**{**short, "jwt_secret": "x" * 32}).jwt_secret == "x" * 32
    assert ServiceSettings(**{**short, "environment": "test"}).environment == "test"


def test_each_service_reads_its_own_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENDANCE_ENVIRONMENT", "development")
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", "postgresql+asyncpg://a@db/attendance")
    monkeypatch.setenv("NOTIFY_DATABASE_URL", "postgresql+asyncpg://n@db/notify")
    assert AttendanceSettings().database_url == "postgresql+asyncpg://a@db/attendance"


async def test_a_minted_token_names_role_school_and_subject() -> None:
    verifier = TokenVerifier(ServiceSettings(environment="development"))
    principal = await verifier.verify(
        mint_token(secret=PLACEHOLDER_SECRET, role=Role.KIOSK, subject="kiosk-gate", school_id="实验小学")
    )
    assert principal == Principal("kiosk-gate", Role.KIOSK, "实验小学", None)


@pytest.mark.parametrize(
    "bad_token",
    [
        mint_token(secret="another-secret-of-sufficient-length-000000", role=Role.GUARDIAN, subject="g"),
        mint_token(secret=PLACEHOLDER_SECRET, role=Role.GUARDIAN, subject="g", ttl=timedelta(seconds=-5)),
        mint_token(secret=PLACEHOLDER_SECRET, role=Role.GUARDIAN, subject="g", audience="someone-else"),
        jwt.encode(
            {
                "sub": "g",
                "role": "headmaster",
                "exp": datetime.now(UTC) + timedelta(hours=1),
                "iss": "afterschool",
                "aud": "afterschool",
            },
            PLACEHOLDER_SECRET,
            algorithm="HS256",
        ),
        "not.a.token",
    ],
    ids=["wrong-secret", "expired", "wrong-audience", "unknown-role", "garbage"],
)
async def test_bad_tokens_are_refused(bad_token: str) -> None:
    with pytest.raises(Unauthorized):
        await TokenVerifier(ServiceSettings(environment="development")).verify(bad_token)


async def test_a_checked_token_is_trusted_for_a_while_but_never_past_its_expiry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13: a kiosk's token is checked once, not with every check-in; its time bounds are still checked."""
    decoded = []
    decode = jwt.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    school_day = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    with time_machine.travel(school_day, tick=False) as clock:
        verifier = TokenVerifier(ServiceSettings(environment="development"))
        kiosk = mint_token(
            secret=PLACEHOLDER_SECRET, role=Role.KIOSK, subject="gate", school_id="s1", ttl=timedelta(seconds=90)
        )
        tampered = kiosk[:-2] + ("AA" if not kiosk.endswith("AA") else "BB")
        for _ in range(3):
            assert await verifier.verify(kiosk) == Principal("gate", Role.KIOSK, "s1", None)
        assert len(decoded) == 1
        with pytest.raises(Unauthorized):
            await verifier.verify(tampered)  # another string: checked in full, and refused
        clock.shift(VERIFIED_SECONDS + 1)
        assert await verifier.verify(kiosk) == Principal("gate", Role.KIOSK, "s1", None)
        assert decoded == [kiosk, tampered, kiosk]  # checked again once the trust lapsed
        clock.shift(90 - VERIFIED_SECONDS - 2)  # a second before its exp: still trusted, not checked again
        assert await verifier.verify(kiosk) == Principal("gate", Role.KIOSK, "s1", None)
        assert len(decoded) == 3
        clock.shift(1)  # its exp, inside the trust: refused all the same
        with pytest.raises(Unauthorized, match="expired"):
            await verifier.verify(kiosk)


def test_a_district_operator_has_no_school_to_act_in() -> None:
    with pytest.raises(Forbidden):
        Principal("op", Role.DISTRICT_OPERATOR, None, "d1").school()


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """An identity provider's JWKS endpoint on loopback."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", key
    server.shutdown()


async def test_production_verifies_rs256_tokens_against_the_jwks_url(
    jwks_server: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = jwks_server
    settings = ServiceSettings(**{**PRODUCTION, "jwt_algorithm": "RS256", "jwt_jwks_url": url})
    claims = {
        "sub": "t-1",
        "role": "class_teacher",
        "school": "s1",
        "iss": "afterschool",
        "aud": "afterschool",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})
    assert await TokenVerifier(settings).verify(token) == Principal("t-1", Role.CLASS_TEACHER, "s1", None)

    forged = mint_token(secret=PLACEHOLDER_SECRET, role=Role.SCHOOL_ADMIN, subject="x", school_id="s1")
    with pytest.raises(Unauthorized):
        await TokenVerifier(settings).verify(forged)  # an HS256 token never passes an RS256 service
