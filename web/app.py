"""The web component: server-rendered pages (Jinja2) and a little plain JavaScript, mounted at `/app/`.

The pages never touch a service's database: the browser holds the user's own token and calls the services'
public HTTP APIs and streams itself (docs/web.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from chassis.auth import Role, mint_token
from contracts.policy import PolicySettings
from web import oidc
from web.messages import language, messages
from web.settings import WebSettings

HERE = Path(__file__).parent
# Each role the development sign-in offers, and the page it opens.
PAGE_OF_ROLE = {
    Role.KIOSK: "kiosk",
    Role.GUARDIAN: "guardian",
    Role.CLASS_TEACHER: "teacher",
    Role.SERVICE_TEACHER: "teacher",
    Role.SUBJECT_TEACHER: "teacher",
    Role.SCHOOL_ADMIN: "admin",
    Role.DISTRICT_OPERATOR: "district",
}
SIGN_IN_ROLES = tuple(PAGE_OF_ROLE)
PAGES = ("kiosk", "guardian", "teacher", "admin", "district")
# The Grafana dashboards the school admin's page links to (deploy/grafana/dashboards/*.json, by uid).
DASHBOARDS = (
    ("afterschool-platform-overview", "admin.grafana.overview"),
    ("afterschool-checkin-flow", "admin.grafana.checkins"),
    ("afterschool-schools", "admin.grafana.schools"),  # per-school business panels (issue 14), on main since 6d7ef98
)
# The policy settings the admin's page describes, each by its catalogue entry `setting.<name>` (PL-1).
POLICY_SETTINGS = tuple(PolicySettings.model_fields)
Lang = Annotated[str | None, Query(max_length=8, description="en for English; zh-CN by default")]


@dataclass(frozen=True)
class DemoPerson:
    """Someone the development sign-in offers: a kiosk, a guardian, a teacher or a school admin of the demo
    district; `class_id` is the class a class or subject teacher's page opens on first (of those `/me/classes`
    lists)."""

    label: str
    role: str
    school_id: str
    subject: str
    class_id: str = ""


class SignIn(BaseModel):
    """Who the development sign-in mints a token for (`school_id` is a district operator's district)."""

    role: Role
    school_id: str = Field(min_length=1, max_length=64)
    subject: str = Field(min_length=1, max_length=128)


def create_web_app(settings: WebSettings | None = None, *, people: tuple[DemoPerson, ...] = ()) -> FastAPI:
    """The pages under `settings.mount` (`/app`), their static assets and the development sign-in."""
    settings = settings or WebSettings()
    mount = settings.mount.rstrip("/")
    templates = Jinja2Templates(directory=HERE / "templates")
    app = FastAPI(title="afterschool web", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount(f"{mount}/static", StaticFiles(directory=HERE / "static"), name="static")
    development = settings.environment != "production"

    def page(request: Request, template: str, lang: str | None, **context: Any) -> HTMLResponse:
        chosen = language(lang)
        text = messages(chosen)
        config: dict[str, Any] = {"apiBase": settings.api_base, "mount": mount, "lang": chosen, "messages": text}
        if settings.oidc_issuer:  # the pages renew the token and sign out through the district's provider
            config["district"] = True
        if template == "admin.html":  # what each policy setting is, in the page's language (PL-1)
            config["policyFields"] = policy_descriptions(text)
        response = templates.TemplateResponse(
            request,
            template,
            {
                "t": text,
                "lang": chosen,
                "other_lang": "zh-CN" if chosen == "en" else "en",
                "mount": mount,
                "config_json": json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
                "grafana": [(f"{settings.grafana_url.rstrip('/')}/d/{uid}", key) for uid, key in DASHBOARDS]
                if settings.grafana_url
                else [],
                **context,
            },
        )
        response.headers["Content-Security-Policy"] = _policy(settings.api_base)
        return response

    # Probes of the web deployable on its own (in the all-in-one, /healthz and /readyz are the services').
    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)
    async def alive() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    # The kiosk's service worker, served from the pages' own path so its scope covers them all.
    @app.get(f"{mount}/sw.js", include_in_schema=False)
    async def service_worker() -> FileResponse:
        return FileResponse(
            HERE / "static" / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )

    @app.get(f"{mount}/", include_in_schema=False)
    async def home(lang: Lang = None) -> RedirectResponse:
        return RedirectResponse(f"{mount}/signin" + (f"?lang={language(lang)}" if lang else ""))

    district_sign_in = bool(settings.oidc_issuer)

    @app.get(f"{mount}/signin", include_in_schema=False)
    async def sign_in_page(request: Request, lang: Lang = None) -> HTMLResponse:
        response = page(
            request,
            "signin.html",
            lang,
            development=development,
            district_sign_in=district_sign_in,
            roles=SIGN_IN_ROLES,
            people=people,
        )
        if not development and not district_sign_in:
            response.status_code = 403
        return response

    _district_sign_in(app, settings, page)

    @app.post(f"{mount}/signin/token", include_in_schema=False)
    async def sign_in(body: SignIn) -> JSONResponse:
        # Production tokens come from the district's identity provider (OIDC); minting here would bypass it.
        if not development:
            return JSONResponse(
                {"title": "Forbidden", "status": 403, "detail": "no development sign-in in production"},
                403,
                media_type="application/problem+json",
            )
        if body.role not in PAGE_OF_ROLE:
            return JSONResponse(
                {"title": "Unprocessable", "status": 422, "detail": f"no {body.role} pages yet"},
                422,
                media_type="application/problem+json",
            )
        # A district operator is bound to a district and no school (the district board refuses a token with one).
        operator = body.role is Role.DISTRICT_OPERATOR
        token = mint_token(
            secret=settings.jwt_secret,
            role=body.role,
            subject=body.subject,
            school_id=None if operator else body.school_id,
            district_id=body.school_id if operator else None,
            ttl=timedelta(hours=12),
        )
        return JSONResponse({"token": token, "page": f"{mount}/{PAGE_OF_ROLE[body.role]}"})

    for name in PAGES:
        _page_route(app, mount, name, page)
    return app


def policy_descriptions(text: dict[str, str]) -> dict[str, str]:
    """Each policy setting's description from a language's catalogue (`setting.<name>`; tests/web/test_pages.py
    checks that every setting of the contract has one in both languages)."""
    return {name: text[f"setting.{name}"] for name in POLICY_SETTINGS if f"setting.{name}" in text}


ATTEMPT_COOKIE = "afterschool_oidc"
# The district session, kept by the web app for the browser (HttpOnly: no script reads them): the refresh token that
# renews the access token, and the ID token that is the logout's `id_token_hint`.
REFRESH_COOKIE, IDENTITY_COOKIE = "afterschool_refresh", "afterschool_identity"
SESSION_SECONDS = 12 * 3600  # a school day: past it, the provider's own session decides


def _district_sign_in(app: FastAPI, settings: WebSettings, page: Any) -> None:
    """Where the district's identity provider plugs in (web/oidc.py): `/signin/district` leaves for it with a PKCE
    challenge, `/signin/callback` comes back with the code, trades it, and hands the access token to the browser."""
    mount = settings.mount.rstrip("/")

    def redirect_uri(request: Request) -> str:
        return settings.oidc_redirect_uri or str(request.url_for("district_callback"))

    def refused(request: Request, lang: str | None, reason: str, status: int) -> HTMLResponse:
        response: HTMLResponse = page(request, "signin.html", lang, development=False, refusal=reason)
        response.status_code = status
        response.delete_cookie(ATTEMPT_COOKIE, path=f"{mount}/signin")
        return response

    def keep(response: Response, request: Request, tokens: oidc.Tokens) -> None:
        """The district session's cookies, sent back only to /app/signin/... on this site."""
        for name, value in ((REFRESH_COOKIE, tokens.refresh), (IDENTITY_COOKIE, tokens.identity)):
            response.set_cookie(
                name,
                value,
                max_age=SESSION_SECONDS,
                path=f"{mount}/signin",
                httponly=True,
                samesite="strict",
                secure=redirect_uri(request).startswith("https:"),
            )

    def forget(response: Response) -> None:
        for name in (REFRESH_COOKIE, IDENTITY_COOKIE):
            response.delete_cookie(name, path=f"{mount}/signin")

    @app.get(f"{mount}/signin/district", include_in_schema=False)
    async def leave_for_provider(request: Request, lang: Lang = None) -> Response:
        if not settings.oidc_issuer:
            return refused(request, lang, "no identity provider is configured (WEB_OIDC_ISSUER)", 404)
        attempt = oidc.Attempt.start(language(lang))
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                provider = await oidc.discover(http, settings.oidc_issuer)
        except oidc.SignInRefused as error:
            return refused(request, lang, str(error), 502)
        target = oidc.authorization_url(
            provider,
            client_id=settings.oidc_client_id,
            redirect_uri=redirect_uri(request),
            scope=settings.oidc_scope,
            attempt=attempt,
        )
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            ATTEMPT_COOKIE,
            attempt.cookie(),
            max_age=600,
            path=f"{mount}/signin",
            httponly=True,
            samesite="lax",  # sent on the provider's top-level redirect back, not on cross-site subrequests
            secure=redirect_uri(request).startswith("https:"),
        )
        return response

    @app.get(f"{mount}/signin/callback", include_in_schema=False, name="district_callback")
    async def back_from_provider(
        request: Request,
        code: Annotated[str, Query(max_length=2048)] = "",
        state: Annotated[str, Query(max_length=512)] = "",
        error: Annotated[str, Query(max_length=256)] = "",
    ) -> Response:
        attempt = oidc.Attempt.from_cookie(request.cookies.get(ATTEMPT_COOKIE))
        lang = attempt.lang if attempt else None
        if error:
            return refused(request, lang, f"the identity provider said: {error}", 403)
        # The state ties the answer to the sign-in this browser started (no login forced on someone else).
        if attempt is None or not code or state != attempt.state:
            return refused(request, lang, "this answer is not for a sign-in started in this browser", 400)
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                provider = await oidc.discover(http, settings.oidc_issuer)
                tokens = await oidc.exchange(
                    http,
                    provider,
                    client_id=settings.oidc_client_id,
                    redirect_uri=redirect_uri(request),
                    code=code,
                    attempt=attempt,
                    audience=settings.oidc_audience,
                )
        except oidc.SignInRefused as refusal:
            return refused(request, lang, str(refusal), 403)
        role = oidc.role_of(tokens.access)
        if role not in PAGE_OF_ROLE:
            return refused(request, lang, f"no page for the role {role!r}", 403)
        role = Role(role)
        response: HTMLResponse = page(
            request,
            "signin.html",
            lang,
            development=False,
            token=tokens.access,
            page_url=f"{mount}/{PAGE_OF_ROLE[role]}",
        )
        response.headers["Cache-Control"] = "no-store"  # the page carries the token
        response.delete_cookie(ATTEMPT_COOKIE, path=f"{mount}/signin")
        keep(response, request, tokens)
        return response

    @app.post(f"{mount}/signin/refresh", include_in_schema=False)
    async def renew(request: Request) -> JSONResponse:
        """A new access token from the refresh token (the pages ask before theirs expires); 401 when the provider
        refuses, so the page sends the person to sign in, and 503 when it cannot be reached, so the page tries again."""
        held = oidc.Tokens("", request.cookies.get(IDENTITY_COOKIE, ""), request.cookies.get(REFRESH_COOKIE, ""))
        if not settings.oidc_issuer or not held.refresh or not held.identity:
            return _problem(401, "no district session to renew: sign in again")
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                provider = await oidc.discover(http, settings.oidc_issuer)
                tokens = await oidc.refresh(
                    http, provider, client_id=settings.oidc_client_id, tokens=held, audience=settings.oidc_audience
                )
        except oidc.ProviderUnavailable as error:
            return _problem(503, str(error))
        except oidc.SignInRefused as refusal:
            response = _problem(401, str(refusal))
            forget(response)
            return response
        response = JSONResponse({"token": tokens.access}, headers={"Cache-Control": "no-store"})
        keep(response, request, tokens)
        return response

    @app.get(f"{mount}/signin/signout", include_in_schema=False)
    async def sign_out(request: Request, lang: Lang = None) -> Response:
        """Forget the district session here, then end it at the provider (RP-Initiated Logout), which sends the
        browser back to the signed-out page; straight there when there is no session or no end-session endpoint."""
        chosen = language(lang)
        back = settings.oidc_post_logout_redirect_uri or str(request.url_for("signed_out"))
        target = f"{mount}/signin/signed-out?state={chosen}"
        identity = request.cookies.get(IDENTITY_COOKIE)
        if settings.oidc_issuer and identity:
            try:
                async with httpx.AsyncClient(timeout=10) as http:
                    provider = await oidc.discover(http, settings.oidc_issuer)
            except oidc.SignInRefused:
                provider = None  # signed out here all the same; the provider's session ends when it ends
            if provider and provider.end_session_endpoint:
                target = oidc.end_session_url(
                    provider,
                    client_id=settings.oidc_client_id,
                    id_token=identity,
                    post_logout_redirect_uri=back,
                    lang=chosen,
                )
        response = RedirectResponse(target, status_code=303)
        forget(response)
        return response

    @app.get(f"{mount}/signin/signed-out", include_in_schema=False, name="signed_out")
    async def signed_out(request: Request, state: Annotated[str, Query(max_length=8)] = "") -> Response:
        response: Response = page(request, "signin.html", state or None, development=False, signed_out=True)
        forget(response)
        return response


def _page_route(app: FastAPI, mount: str, name: str, page: Any) -> None:
    template = f"{name}.html"

    @app.get(f"{mount}/{name}", include_in_schema=False, name=name)
    async def show(request: Request, lang: Lang = None) -> Response:
        response: Response = page(request, template, lang, page_name=name)
        return response


def _problem(status: int, detail: str) -> JSONResponse:
    titles = {401: "Unauthorized", 503: "Service Unavailable"}
    body = {"title": titles.get(status, "Error"), "status": status, "detail": detail}
    return JSONResponse(body, status, media_type="application/problem+json", headers={"Cache-Control": "no-store"})


def _policy(api_base: str) -> str:
    """Scripts and styles only from here; the pages connect only here and to the services."""
    connect = " ".join(filter(None, ["'self'", api_base]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
