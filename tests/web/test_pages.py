"""The web component's pages in process: the development sign-in mints tokens the services accept and is refused in
production, every page speaks zh-CN by default and en on request, and no page loads anything from elsewhere."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest

from chassis.auth import Role, TokenVerifier
from chassis.settings import ServiceSettings
from contracts.policy import PolicySettings
from tests.conftest import SECRET
from web.app import PAGES, DemoPerson, create_web_app
from web.messages import CATALOG, LANGUAGES
from web.settings import WebSettings

pytestmark = pytest.mark.unit


async def client_of(environment: Literal["development", "production"]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_web_app(WebSettings(environment=environment, jwt_secret=SECRET))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as client:
        yield client


@pytest.fixture
async def development() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_of("development"):
        yield client


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_of("production"):
        yield client


def test_both_languages_say_everything() -> None:
    assert set(CATALOG["zh-CN"]) == set(CATALOG["en"])


async def test_the_development_sign_in_mints_a_token_the_services_accept(development: httpx.AsyncClient) -> None:
    answer = await development.post("/app/signin/token", json={"role": "kiosk", "school_id": "s1", "subject": "k1"})
    assert answer.status_code == 200
    assert answer.json()["page"] == "/app/kiosk"
    verifier = TokenVerifier(ServiceSettings(environment="test", jwt_secret=SECRET))
    principal = await verifier.verify(answer.json()["token"])
    assert (principal.role, principal.school_id, principal.subject) == (Role.KIOSK, "s1", "k1")
    pages = {
        "class_teacher": "teacher",
        "service_teacher": "teacher",
        "subject_teacher": "teacher",
        "school_admin": "admin",
    }
    for role, page in pages.items():
        staff = await development.post("/app/signin/token", json={"role": role, "school_id": "s1", "subject": "a"})
        assert staff.json()["page"] == f"/app/{page}"
    operator = {"role": "district_operator", "school_id": "d1", "subject": "o"}
    minted = await development.post("/app/signin/token", json=operator)
    assert minted.json()["page"] == "/app/district"
    principal = await verifier.verify(minted.json()["token"])
    assert (principal.role, principal.district_id, principal.school_id) == (Role.DISTRICT_OPERATOR, "d1", None)
    duty = {"role": "duty_leader", "school_id": "s1", "subject": "d"}
    assert (await development.post("/app/signin/token", json=duty)).status_code == 422  # no duty leader page yet


async def test_production_has_no_development_sign_in(production: httpx.AsyncClient) -> None:
    page = await production.get("/app/signin")
    assert page.status_code == 403
    assert "统一身份认证" in page.text
    assert 'id="signin"' not in page.text
    answer = await production.post("/app/signin/token", json={"role": "kiosk", "school_id": "s1", "subject": "k1"})
    assert answer.status_code == 403
    assert "token" not in answer.json()


@pytest.mark.parametrize("page", PAGES)
async def test_every_page_is_chinese_by_default_english_on_request_and_loads_only_its_own_assets(
    development: httpx.AsyncClient, page: str
) -> None:
    chinese = await development.get(f"/app/{page}")
    english = await development.get(f"/app/{page}?lang=en")
    assert chinese.status_code == english.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text
    assert '<html lang="en">' in english.text
    assert CATALOG["zh-CN"]["app.title"] in chinese.text
    assert CATALOG["en"]["app.title"] in english.text
    assert "width=device-width" in chinese.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", chinese.text)  # nothing from the internet
    assert "default-src 'self'" in chinese.headers["content-security-policy"]
    for asset in re.findall(r"""(?:src|href)="(/app/static/[^"]+)\"""", chinese.text):
        assert (await development.get(asset)).status_code == 200


async def test_the_sign_in_offers_the_demo_people_it_is_given() -> None:
    people = (DemoPerson("实验小学 · 门口签到机", "kiosk", "s1", "s1-kiosk-gate"),)
    app = create_web_app(WebSettings(environment="development", jwt_secret=SECRET), people=people)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as client:
        page = (await client.get("/app/signin")).text
    assert 'data-role="kiosk" data-school="s1"' in page
    assert 'data-subject="s1-kiosk-gate" data-class="">实验小学 · 门口签到机</button>' in page


async def test_the_admin_page_links_to_the_grafana_dashboards_only_when_told_where_grafana_is() -> None:
    for grafana, linked in (("https://grafana.school.example", True), ("", False)):
        settings = WebSettings(environment="development", jwt_secret=SECRET, grafana_url=grafana)
        app = create_web_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://school") as client:
            page = (await client.get("/app/admin")).text
        assert ('href="https://grafana.school.example/d/afterschool-platform-overview"' in page) is linked
        assert ('href="https://grafana.school.example/d/afterschool-checkin-flow"' in page) is linked
        assert ('href="https://grafana.school.example/d/afterschool-schools"' in page) is linked
        assert (f'<p class="muted">{CATALOG["zh-CN"]["admin.grafana.unset"]}</p>' in page) is not linked


def test_every_policy_setting_has_a_description_in_both_languages() -> None:
    """PL-1: the admin's page describes each setting of the contract in its own language; one added to
    `PolicySettings` without a catalogue entry fails here rather than showing blank."""
    for lang in LANGUAGES:
        described = {k.removeprefix("setting."): v for k, v in CATALOG[lang].items() if k.startswith("setting.")}
        assert set(described) == set(PolicySettings.model_fields), lang
        assert all(text.strip() for text in described.values()), lang
    assert all(CATALOG["zh-CN"][f"setting.{n}"] != CATALOG["en"][f"setting.{n}"] for n in PolicySettings.model_fields)


async def test_the_admin_page_gives_its_script_the_policy_descriptions_in_the_pages_language(
    development: httpx.AsyncClient,
) -> None:
    for lang, query in (("zh-CN", ""), ("en", "?lang=en")):
        page = (await development.get(f"/app/admin{query}")).text
        found = re.search(r'<script type="application/json" id="config">(.*?)</script>', page, re.S)
        assert found is not None
        config = json.loads(found[1])
        assert config["policyFields"] == {n: CATALOG[lang][f"setting.{n}"] for n in PolicySettings.model_fields}
