"""Production sign-in through the district's identity provider (web/oidc.py), against the OIDC provider simulator
(tests/simulators/oidc.py): authorization code with PKCE, the access token handed to the browser is one the services'
own verifier (chassis `TokenVerifier`, RS256 from the provider's JWKS) accepts, and a wrong code verifier, a
foreign state or a provider's refusal signs nobody in."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Browser, expect

from chassis.auth import Role, TokenVerifier
from chassis.settings import ServiceSettings
from tests.simulators.oidc import OidcProvider, Person
from tests.simulators.serve import serve_asgi
from tests.web.conftest import PHONE, fits
from tests.web.test_accessibility import serious_violations
from web import oidc
from web.app import ATTEMPT_COOKIE, create_web_app
from web.settings import WebSettings

CLIENT = "afterschool-web"
TEACHER = Person("t-chen", "陈老师", "class_teacher", "s7")
DUTY_LEADER = Person("dl-1", "值班领导", "duty_leader", "s7")  # no page for this role yet


@dataclass(frozen=True)
class District:
    """The provider simulator served on loopback, and the production web app's settings pointing at it."""

    provider: OidcProvider
    issuer: str

    def settings(self, web: str) -> WebSettings:
        """A production web app at `web` signing in through this provider."""
        return WebSettings(
            environment="production",
            oidc_issuer=self.issuer,
            oidc_client_id=CLIENT,
            oidc_redirect_uri=f"{web}/app/signin/callback",
        )

    def services_verifier(self) -> TokenVerifier:
        """What every service checks a bearer token with, configured for this provider (docs/web.md)."""
        settings = ServiceSettings(
            environment="test", jwt_algorithm="RS256", jwt_jwks_url=f"{self.issuer}/jwks", jwt_issuer=self.issuer
        )
        return TokenVerifier(settings)


@pytest.fixture
async def district() -> AsyncIterator[District]:
    provider = OidcProvider(
        clients={CLIENT: ("http://school/app/signin/callback",)},
        people=(TEACHER, DUTY_LEADER),
    )
    async with serve_asgi(provider.app()) as issuer:
        provider.issuer = issuer
        yield District(provider, issuer)


async def sign_in_over_http(district: District, person: Person, *, tamper_verifier: bool = False) -> httpx.Response:
    """The whole round trip as a browser makes it, without one: the web app's answer at the callback."""
    app = create_web_app(district.settings("http://school"))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as web,
        httpx.AsyncClient() as browser,
    ):
        start = await web.get("/app/signin/district?lang=en")
        assert start.status_code == 303
        attempt = oidc.Attempt.from_cookie(start.cookies[ATTEMPT_COOKIE])
        assert attempt is not None
        query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
        assert start.headers["location"].startswith(f"{district.issuer}/authorize?")
        assert (query["code_challenge_method"], query["code_challenge"]) == ("S256", oidc.challenge(attempt.verifier))
        assert "code_verifier" not in query
        assert attempt.verifier not in start.headers["location"]
        approved = await browser.post(f"{district.issuer}/authorize", data={**query, "person": person.subject})
        back = urlsplit(approved.headers["location"])
        if tamper_verifier:
            forged = oidc.Attempt(attempt.state, attempt.nonce, attempt.verifier[:-1] + "x", attempt.lang)
            web.cookies.set(ATTEMPT_COOKIE, forged.cookie(), path="/app/signin")
        return await web.get(f"{back.path}?{back.query}")


@pytest.mark.unit
async def test_the_provider_trades_a_code_only_for_its_own_code_verifier(district: District) -> None:
    verifier = "v" * 50
    async with httpx.AsyncClient(base_url=district.issuer) as http:
        form = {
            "client_id": CLIENT,
            "redirect_uri": "http://school/app/signin/callback",
            "response_type": "code",
            "scope": "openid",
            "state": "s",
            "nonce": "n",
            "code_challenge": oidc.challenge(verifier),
            "code_challenge_method": "S256",
            "person": TEACHER.subject,
        }
        codes = []
        for _ in range(2):
            approved = await http.post("/authorize", data=form)
            codes.append(parse_qs(urlsplit(approved.headers["location"]).query)["code"][0])
        trade = {"grant_type": "authorization_code", "client_id": CLIENT, "redirect_uri": form["redirect_uri"]}
        wrong = await http.post("/token", data={**trade, "code": codes[0], "code_verifier": "w" * 50})
        assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
        again = await http.post("/token", data={**trade, "code": codes[0], "code_verifier": verifier})
        assert again.status_code == 400  # a code is used up by any attempt, right or wrong
        right = await http.post("/token", data={**trade, "code": codes[1], "code_verifier": verifier})
        assert right.status_code == 200
        assert {"access_token", "id_token"} <= set(right.json())
        plain = await http.get("/authorize", params={**form, "code_challenge_method": "plain"})
        assert parse_qs(urlsplit(plain.headers["location"]).query)["error"] == ["invalid_request"]
    assert district.provider.refused_verifiers == 1


@pytest.mark.unit
async def test_the_access_token_the_sign_in_hands_over_is_one_the_services_accept(district: District) -> None:
    page = await sign_in_over_http(district, TEACHER)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    token = page.text.split('data-token="')[1].split('"')[0]
    principal = await district.services_verifier().verify(token)
    assert (principal.subject, principal.role, principal.school_id) == ("t-chen", Role.CLASS_TEACHER, "s7")
    assert 'data-page="/app/teacher"' in page.text
    assert f'{ATTEMPT_COOKIE}=""' in page.headers["set-cookie"]  # the attempt is over


@pytest.mark.unit
async def test_a_wrong_code_verifier_signs_nobody_in(district: District) -> None:
    page = await sign_in_over_http(district, TEACHER, tamper_verifier=True)
    assert page.status_code == 403
    assert "data-token" not in page.text
    assert "invalid_grant" in page.text
    assert district.provider.refused_verifiers == 1


@pytest.mark.unit
async def test_a_role_without_a_page_and_an_answer_for_another_browser_are_refused(district: District) -> None:
    duty = await sign_in_over_http(district, DUTY_LEADER)
    assert duty.status_code == 403
    assert "data-token" not in duty.text
    app = create_web_app(district.settings("http://school"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as web:
        foreign = await web.get("/app/signin/callback", params={"code": "c", "state": "someone-else"})
        assert foreign.status_code == 400
        assert "data-token" not in foreign.text
        denied = await web.get("/app/signin/callback", params={"error": "access_denied", "state": "x"})
        assert denied.status_code == 403
        assert (await web.get("/app/signin")).status_code == 200
        assert (
            await web.post("/app/signin/token", json={"role": "kiosk", "school_id": "s", "subject": "k"})
        ).status_code == 403


@pytest.mark.e2e
@pytest.mark.timeout(120)
async def test_a_teacher_signs_in_through_the_district_provider_in_a_browser(browser: Browser) -> None:
    provider = OidcProvider(clients={}, people=(TEACHER, DUTY_LEADER))
    async with serve_asgi(provider.app()) as issuer:
        provider.issuer = issuer
        district = District(provider, issuer)
        # No redirect URI set: the web app names its own callback from the request (url_for).
        production = WebSettings(environment="production", oidc_issuer=issuer, oidc_client_id=CLIENT)
        async with serve_asgi(create_web_app(production)) as web:
            provider.clients[CLIENT] = (f"{web}/app/signin/callback",)
            started = time.monotonic()
            context = await browser.new_context(viewport=PHONE, locale="zh-CN")
            page = await context.new_page()
            await page.goto(f"{web}/app/signin")
            assert await serious_violations(page) == []
            assert await fits(page)
            await page.focus("#district-signin")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{issuer}/authorize?**")
            await page.select_option("#person", TEACHER.subject)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{web}/app/teacher?lang=zh-CN")
            token = await page.evaluate("localStorage.getItem('afterschool.token')")
            principal = await district.services_verifier().verify(token)
            assert (principal.subject, principal.role) == ("t-chen", Role.CLASS_TEACHER)
            # The way back cannot be replayed: the code is used up and the attempt's cookie gone.
            await page.goto(f"{web}/app/signin/callback?code=replayed&state=x&lang=en")
            await expect(page.locator("#refusal-reason")).to_be_visible()
            assert await serious_violations(page) == []
            await context.close()
            assert time.monotonic() - started < 60
