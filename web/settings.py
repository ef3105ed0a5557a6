"""The web component's settings, read from `WEB_*` variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.settings import PLACEHOLDER_SECRET


class WebSettings(BaseSettings):
    """Where the services are, and whether the development sign-in may mint tokens."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore", frozen=True)

    # Unset behaves as production, as the services do: only the all-in-one and the demo choose development.
    environment: Literal["development", "test", "production"] = "production"
    # The services' public base URL as the browser reaches it; empty means the same origin (the all-in-one, or
    # an ingress that routes /<service>/ and /app/ on one host).
    api_base: str = ""
    # Only the development sign-in uses it, to mint tokens as `afterschool token` does.
    jwt_secret: str = PLACEHOLDER_SECRET
    mount: str = "/app"
    # Where the school admin's page links to the Grafana dashboards (deploy/grafana); no link when unset.
    grafana_url: str = ""
    # Production sign-in (web/oidc.py): the district identity provider's issuer URL (its discovery document is at
    # `{issuer}/.well-known/openid-configuration`), this app's client id there (a public client: PKCE, no secret),
    # and the redirect URI registered for it, `https://<host>/app/signin/callback`. No issuer, no production sign-in.
    oidc_issuer: str = ""
    oidc_client_id: str = "afterschool-web"
    oidc_redirect_uri: str = ""
    # Where the provider sends the browser back after signing out, registered as a post-logout redirect URI:
    # `https://<host>/app/signin/signed-out` (unset: taken from the request).
    oidc_post_logout_redirect_uri: str = ""
    oidc_scope: str = "openid profile"
    # The audience of the access token the services accept (their `jwt_audience`).
    oidc_audience: str = "afterschool"
