"""Single sign-on by OpenID Connect (ADR 0025), beside local accounts and off unless configured.

mozilla-django-oidc runs the authorisation code flow with state, nonce and PKCE (S256). This module
gives it the provider (``NRM_OIDC_*`` settings, endpoints from the provider's discovery document
unless given), checks each ID token strictly (RS256 with a key from the provider's JWKS; issuer,
audience, expiry and issue time required), decides who may sign in from the claims with
``nrm.accounts.sign_in_claims`` and creates or updates the account and its memberships through
``nrm.accounts.services``. The pages that start and finish a sign-in are in ``nrm.accounts.views``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from nrm.accounts import services
from nrm.accounts.models import User
from nrm.accounts.sign_in_claims import SignIn, sign_in_from_claims, sign_on_table

ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
DISCOVERY_LIFETIME_SECONDS = 3600
CLOCK_LEEWAY_SECONDS = 60
# Only the ID token may say how the person authenticated: a userinfo answer cannot add these.
ID_TOKEN_ONLY = ("amr", "acr")


class ProviderUnavailable(Exception):
    """Single sign-on is not configured, or the provider's discovery document cannot be used."""


class AccountLocked(Exception):
    """The account is locked by failed passwords or codes (django-axes): the provider's word does not
    unlock it, and the sign-in changes nothing about it."""

    def __init__(self, account: User | None) -> None:
        super().__init__("account_locked")
        self.account = account  # None if the locked address has no account here


@dataclass(frozen=True)
class IdentityProvider:
    """What audit events about a sign-in that created nothing name as their object: the issuer."""

    pk: str


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    scopes: str
    timeout: int
    mfa_acrs: tuple[str, ...]
    end_session_endpoint: str = ""  # RP-initiated logout, where the provider offers it ("" if not)


def configured() -> bool:
    return bool(settings.NRM_OIDC_ISSUER and settings.NRM_OIDC_CLIENT_ID and settings.NRM_OIDC_CLIENT_SECRET)


_discovered: dict[str, tuple[float, dict[str, str]]] = {}


def _discovery(issuer: str, timeout: int) -> dict[str, str]:
    cached = _discovered.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_LIFETIME_SECONDS:
        return cached[1]
    try:
        response = requests.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=timeout)
        response.raise_for_status()
        document = response.json()
        endpoints = {name: str(document[name]) for name in ENDPOINTS}
        if isinstance(document.get("end_session_endpoint"), str):
            endpoints["end_session_endpoint"] = document["end_session_endpoint"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise ProviderUnavailable(f"The identity provider's discovery document cannot be used: {exc}") from exc
    if document.get("issuer") != issuer:
        raise ProviderUnavailable("The identity provider's discovery document names another issuer")
    _discovered[issuer] = (time.monotonic(), endpoints)
    return endpoints


def provider() -> Provider:
    if not configured():
        raise ProviderUnavailable("Single sign-on is not configured")
    issuer, timeout = settings.NRM_OIDC_ISSUER, settings.NRM_OIDC_TIMEOUT_SECONDS
    given: dict[str, str] = settings.NRM_OIDC_ENDPOINTS
    endpoints = given if all(given.get(name) for name in ENDPOINTS) else _discovery(issuer, timeout)
    end_session = settings.NRM_OIDC_END_SESSION_ENDPOINT or endpoints.get("end_session_endpoint", "")
    return Provider(issuer=issuer, client_id=settings.NRM_OIDC_CLIENT_ID, client_secret=settings.NRM_OIDC_CLIENT_SECRET,
                    scopes=settings.NRM_OIDC_SCOPES, timeout=timeout, mfa_acrs=tuple(settings.NRM_OIDC_MFA_ACRS),
                    end_session_endpoint=end_session, **{name: endpoints[name] for name in ENDPOINTS})


def sign_out_url(*, id_token: str, post_logout_redirect_uri: str) -> str:
    """Where to send the browser to end its session at the provider too (OpenID Connect
    RP-Initiated Logout), or "" if the provider offers no end-session endpoint or cannot be reached
    (the service's own session has ended either way)."""
    try:
        endpoint = provider().end_session_endpoint
    except ProviderUnavailable:
        return ""
    if not endpoint:
        return ""
    query = urlencode({"id_token_hint": id_token, "client_id": settings.NRM_OIDC_CLIENT_ID,
                       "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def library_setting(attr: str, *default: Any) -> Any:
    """The mozilla-django-oidc setting ``attr``, from this service's provider; fixed where the
    library would let a deployment weaken a check."""
    if not attr.startswith(("OIDC_", "LOGIN_REDIRECT_URL")):
        return import_from_settings(attr, *default)
    p = provider()
    values: dict[str, Any] = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": p.authorization_endpoint, "OIDC_OP_TOKEN_ENDPOINT": p.token_endpoint,
        "OIDC_OP_USER_ENDPOINT": p.userinfo_endpoint, "OIDC_OP_JWKS_ENDPOINT": p.jwks_uri,
        "OIDC_RP_CLIENT_ID": p.client_id, "OIDC_RP_CLIENT_SECRET": p.client_secret, "OIDC_RP_SCOPES": p.scopes,
        "OIDC_RP_SIGN_ALGO": "RS256", "OIDC_RP_IDP_SIGN_KEY": None, "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_VERIFY_KID": True, "OIDC_VERIFY_SSL": True, "OIDC_PROXY": None, "OIDC_TIMEOUT": p.timeout,
        "OIDC_USE_NONCE": True, "OIDC_USE_PKCE": True, "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_STORE_ACCESS_TOKEN": False, "OIDC_STORE_ID_TOKEN": False, "OIDC_TOKEN_USE_BASIC_AUTH": False,
        "OIDC_CREATE_USER": True, "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:single_sign_on_callback",
    }
    return values[attr] if attr in values else import_from_settings(attr, *default)


class SignInRequestView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the browser to the provider with a new state, nonce and PKCE challenge."""

    get_settings = staticmethod(library_setting)


class OrganisationSignInBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs in whom the provider's ID token admits under the single sign-on table.

    After the library has exchanged the code (with the PKCE verifier) and checked the nonce, the
    token is decoded here with the issuer, audience and times required; the claims (the ID token's,
    completed from userinfo for the same subject) go to ``sign_in_from_claims``, whose refusal
    (``SignInRefused``) reaches the page; the account and memberships are made by
    ``services.single_sign_on_account``. ``decision`` keeps what was decided, for the second factor.
    """

    get_settings = staticmethod(library_setting)
    decision: SignIn | None = None
    id_token: str = ""  # kept in the session for the sign-out at the provider (id_token_hint)

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        p = provider()
        if jwt.get_unverified_header(payload).get("alg") != "RS256":
            raise SuspiciousOperation("The ID token is not signed with RS256")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload, key, algorithms=["RS256"], audience=p.client_id, issuer=p.issuer,
                leeway=CLOCK_LEEWAY_SECONDS, options={"require": ["iss", "aud", "sub", "exp", "iat"]})
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"The ID token was not accepted: {exc}") from exc
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != p.client_id:
            raise SuspiciousOperation("The ID token was issued to another client")
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo answer is about someone else")
        claims = {**{k: v for k, v in userinfo.items() if k not in ID_TOKEN_ONLY}, **payload}
        p, table = provider(), sign_on_table()
        decision = sign_in_from_claims(claims, table=table, mfa_acrs=p.mfa_acrs)
        if AxesProxyHandler.is_locked(self.request, {"email": decision.email}):
            raise AccountLocked(User.objects.filter(email=decision.email).first())  # before any write: a locked account's roles stay as they are
        user = services.single_sign_on_account(
            email=decision.email, full_name=str(claims.get("name") or ""), organisation_slug=decision.organisation,
            roles=decision.roles, managed_roles=frozenset(table.roles.values()), provider=p.issuer)
        self.decision = decision
        self.id_token = id_token
        return user
