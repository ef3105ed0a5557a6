"""Production sign-in through the district's identity provider (web/oidc.py), against the OIDC provider simulator
(tests/simulators/oidc.py): authorization code with PKCE, the access token handed to the browser is one the services'
own verifier (chassis `TokenVerifier`, RS256 from the provider's JWKS) accepts, and a wrong code verifier, a
foreign state or a provider's refusal signs nobody in. The access token is renewed with the refresh token before it
expires (rotated, one use) and a refused renewal is a clean sign-in again; signing out ends the session at the
provider (RP-initiated logout). Token expiry is reached by moving the clocks (time-machine in this process,
Playwright's clock in the browser), never by waiting."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import time_machine
from playwright.async_api import Browser, Page, expect

from chassis.auth import Role, TokenVerifier
from chassis.problems import Unauthorized
from chassis.settings import ServiceSettings
from tests.conftest import SCHOOL_AFTERNOON
from tests.simulators.oidc import OidcProvider, Person
from tests.simulators.serve import serve_asgi
from tests.web.conftest import PHONE, fits
from tests.web.test_accessibility import serious_violations
from web import oidc
from web.app import ATTEMPT_COOKIE, IDENTITY_COOKIE, REFRESH_COOKIE, create_web_app
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
        logout_uris={CLIENT: ("http://school/app/signin/signed-out",)},
    )
    async with serve_asgi(provider.app()) as issuer:
        provider.issuer = issuer
        yield District(provider, issuer)


async def sign_in_over_http(district: District, person: Person, *, tamper_verifier: bool = False) -> httpx.Response:
    """The whole round trip as a browser makes it, without one: the web app's answer at the callback."""
    async with signed_in(district, person, tamper_verifier=tamper_verifier) as (_, answer):
        return answer


@contextlib.asynccontextmanager
async def signed_in(
    district: District, person: Person, *, tamper_verifier: bool = False
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.Response]]:
    """The round trip as a browser makes it: the web app (its cookie jar is the browser's) and its answer at the
    callback, until the block ends."""
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
        yield web, await web.get(f"{back.path}?{back.query}")


def handed_over(page: httpx.Response) -> str:
    """The access token the callback's page hands to the browser."""
    return page.text.split('data-token="')[1].split('"')[0]


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
    principal = await district.services_verifier().verify(handed_over(page))
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
            await through_the_provider(page, web, issuer)
            token = await page.evaluate("localStorage.getItem('afterschool.token')")
            principal = await district.services_verifier().verify(token)
            assert (principal.subject, principal.role) == ("t-chen", Role.CLASS_TEACHER)
            # The way back cannot be replayed: the code is used up and the attempt's cookie gone.
            await page.goto(f"{web}/app/signin/callback?code=replayed&state=x&lang=en")
            await expect(page.locator("#refusal-reason")).to_be_visible()
            assert await serious_violations(page) == []
            await context.close()
            assert time.monotonic() - started < 60


@pytest.mark.unit
async def test_the_provider_rotates_refresh_tokens_and_a_replayed_one_ends_its_line(district: District) -> None:
    async with signed_in(district, TEACHER) as (web, _), httpx.AsyncClient(base_url=district.issuer) as http:
        first = web.cookies[REFRESH_COOKIE]
        trade = {"grant_type": "refresh_token", "client_id": CLIENT}
        renewed = await http.post("/token", data={**trade, "refresh_token": first})
        assert renewed.status_code == 200
        second = renewed.json()["refresh_token"]
        assert second != first
        assert (await http.post("/token", data={**trade, "refresh_token": first})).json()["error"] == "invalid_grant"
        # The replay ended the line: the token rotated from it is refused too (one of the two holders is a thief).
        assert (await http.post("/token", data={**trade, "refresh_token": second})).status_code == 400
        assert (
            await http.post("/token", data={**trade, "client_id": "other", "refresh_token": "x"})
        ).status_code == 400
    assert district.provider.refreshed == 1


@pytest.mark.unit
async def test_the_web_renews_the_access_token_before_it_expires_without_a_new_sign_in(district: District) -> None:
    with time_machine.travel(SCHOOL_AFTERNOON, tick=False) as clock:
        async with signed_in(district, TEACHER) as (web, page):
            first, verifier = handed_over(page), district.services_verifier()
            held = web.cookies[REFRESH_COOKIE]
            clock.shift(3540)  # a minute before it expires, when the page asks
            renewed = await web.post("/app/signin/refresh")
            assert renewed.status_code == 200
            assert renewed.headers["cache-control"] == "no-store"
            token = renewed.json()["token"]
            assert (
                jwt.decode(token, options={"verify_signature": False})["exp"]
                == int(SCHOOL_AFTERNOON.timestamp()) + 7140
            )
            assert web.cookies[REFRESH_COOKIE] != held  # rotated, and kept for the next renewal
            clock.shift(120)
            with pytest.raises(Unauthorized, match="expired"):
                await verifier.verify(first)
            principal = await verifier.verify(token)
            assert (principal.subject, principal.role) == ("t-chen", Role.CLASS_TEACHER)
            assert (await web.post("/app/signin/refresh")).status_code == 200  # and again, from the rotated one
    assert district.provider.refreshed == 2
    assert district.provider.grants == {}  # no new authorization: nobody was sent back to sign in


@pytest.mark.unit
async def test_a_refused_renewal_forgets_the_session_and_an_unreachable_provider_keeps_it(district: District) -> None:
    async with signed_in(district, TEACHER) as (web, _):
        district.provider.end_session(TEACHER.subject)  # e.g. the district disabled the account
        refused = await web.post("/app/signin/refresh")
        assert refused.status_code == 401
        assert "invalid_grant" in refused.json()["detail"]
        assert REFRESH_COOKIE not in web.cookies
        assert IDENTITY_COOKIE not in web.cookies
        assert (await web.post("/app/signin/refresh")).status_code == 401  # nothing left to renew with
    async with signed_in(district, TEACHER) as (web, _):
        gone = District(district.provider, "http://127.0.0.1:9")  # nothing listens there
        app = create_web_app(gone.settings("http://school"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as offline:
            for name in (REFRESH_COOKIE, IDENTITY_COOKIE):
                offline.cookies.set(name, web.cookies[name], path="/app/signin")
            unreachable = await offline.post("/app/signin/refresh")
            assert unreachable.status_code == 503  # the page tries again shortly
            assert "set-cookie" not in unreachable.headers


@pytest.mark.unit
async def test_signing_out_ends_the_session_at_the_provider_and_comes_back_to_the_signed_out_page(
    district: District,
) -> None:
    async with signed_in(district, TEACHER) as (web, _), httpx.AsyncClient() as browser:
        identity = web.cookies[IDENTITY_COOKIE]
        out = await web.get("/app/signin/signout", params={"lang": "en"})
        assert out.status_code == 303
        assert out.headers["location"].startswith(f"{district.issuer}/logout?")
        query = {k: v[0] for k, v in parse_qs(urlsplit(out.headers["location"]).query).items()}
        assert query["id_token_hint"] == identity
        assert query["post_logout_redirect_uri"] == "http://school/app/signin/signed-out"
        assert (query["client_id"], query["state"]) == (CLIENT, "en")
        assert REFRESH_COOKIE not in web.cookies
        assert IDENTITY_COOKIE not in web.cookies
        # The provider refuses a way back it does not know, or a hint it did not sign, and sends nobody anywhere.
        elsewhere = await browser.get(out.headers["location"].replace("school", "evil.example"))
        assert (elsewhere.status_code, "location" in elsewhere.headers) == (400, False)
        forged = jwt.encode({"sub": "t-chen", "aud": CLIENT, "iss": district.issuer}, "k" * 32, algorithm="HS256")
        assert (
            await browser.get(f"{district.issuer}/logout", params={**query, "id_token_hint": forged})
        ).status_code == 400
        assert district.provider.ended == []
        ended = await browser.get(out.headers["location"])
        assert ended.status_code == 303
        assert ended.headers["location"] == "http://school/app/signin/signed-out?state=en"
        assert district.provider.ended == ["t-chen"]
        assert not district.provider.renewals  # the session's refresh tokens are over at the provider too
        back = await web.get("/app/signin/signed-out?state=en")
        assert back.status_code == 200
        assert "You are signed out" in back.text
        # With no session here any more, signing out again goes straight to the signed-out page.
        again = await web.get("/app/signin/signout", params={"lang": "en"})
        assert again.headers["location"] == "/app/signin/signed-out?state=en"


async def through_the_provider(page: Page, web: str, issuer: str) -> None:
    """From the sign-in page, sign the teacher in at the provider's page with the keyboard, landing on the teacher's
    page."""
    await page.focus("#district-signin")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{issuer}/authorize?**")
    await page.select_option("#person", TEACHER.subject)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{web}/app/teacher?lang=zh-CN")


@pytest.mark.e2e
@pytest.mark.timeout(120)
async def test_the_teachers_page_renews_its_token_then_a_refusal_and_a_sign_out_end_the_session(
    browser: Browser,
) -> None:
    """The page renews the access token a minute before it expires, staying where it is; once the district ends the
    session a renewal is refused and the page goes back to the sign-in with nothing kept; signed in again, signing
    out ends the session at the provider and comes back to the signed-out page. The browser's clock and this
    process's (the provider's and the web app's) are moved together from the pinned afternoon."""
    provider = OidcProvider(clients={}, people=(TEACHER,))
    held = "localStorage.getItem('afterschool.token')"
    with time_machine.travel(SCHOOL_AFTERNOON, tick=True) as clock:
        async with serve_asgi(provider.app()) as issuer:
            provider.issuer = issuer
            production = WebSettings(environment="production", oidc_issuer=issuer, oidc_client_id=CLIENT)
            async with serve_asgi(create_web_app(production)) as web:
                provider.clients[CLIENT] = (f"{web}/app/signin/callback",)
                provider.logout_uris[CLIENT] = (f"{web}/app/signin/signed-out",)
                context = await browser.new_context(viewport=PHONE, locale="zh-CN")
                page = await context.new_page()
                await page.clock.install(time=SCHOOL_AFTERNOON)
                await page.goto(f"{web}/app/signin")
                await through_the_provider(page, web, issuer)
                first = await page.evaluate(held)

                async def an_hour_later() -> None:
                    clock.shift(3550)
                    await page.clock.fast_forward(3550 * 1000)

                await an_hour_later()
                await page.wait_for_function(f"t => {held} !== t", arg=first, timeout=5000)
                renewed = await page.evaluate(held)
                verifier = District(provider, issuer).services_verifier()
                assert (await verifier.verify(renewed)).subject == TEACHER.subject
                assert page.url == f"{web}/app/teacher?lang=zh-CN"  # no trip to the provider
                assert provider.refreshed == 1

                provider.end_session(TEACHER.subject)  # the district ends it (an account disabled)
                await an_hour_later()
                await page.wait_for_url(f"{web}/app/signin?lang=zh-CN")
                await expect(page.locator("#district-signin")).to_be_visible()
                assert await page.evaluate(held) is None
                assert {c["name"] for c in await context.cookies()} & {REFRESH_COOKIE, IDENTITY_COOKIE} == set()

                await through_the_provider(page, web, issuer)  # from the sign-in page the refusal left it on
                await page.click("#signout")
                await page.wait_for_url(f"{web}/app/signin/signed-out?state=zh-CN")
                await expect(page.locator("#signed-out")).to_have_text("你已退出登录，学区统一身份认证的登录也已结束。")
                assert provider.ended == [TEACHER.subject]
                assert await page.evaluate(held) is None
                assert {c["name"] for c in await context.cookies()} & {REFRESH_COOKIE, IDENTITY_COOKIE} == set()
                assert await serious_violations(page) == []
                assert await fits(page)
                await context.close()
