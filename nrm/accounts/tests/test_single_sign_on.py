"""Single sign-on against a local fake provider (ADR 0025): who the claims admit gets an account
and the mapped roles; every refusal is a clear page that creates nothing; the second factor is kept
unless the ID token asserts MFA; a group removed at the provider ends the role at the next sign-in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import IdentityProviderDevice, Membership, User
from nrm.accounts.roles import Role
from nrm.accounts.tests.fake_provider import CLIENT_ID, FakeProvider, fake_provider_configured, new_key
from nrm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
OFFICER: dict[str, Any] = {"email": "officer@met.police.uk", "email_verified": True, "name": "Sam Officer",
           "groups": ["nrm-first-responders", "staff-all"]}
CASEWORKER: dict[str, Any] = {"email": "caseworker@sca.example.gov.uk", "email_verified": True, "name": "Kit Caseworker",
              "groups": ["nrm-caseworkers"]}


@pytest.fixture
def provider(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with fake_provider_configured(settings, monkeypatch) as fake:
        settings.OTP_TOTP_THROTTLE_FACTOR = 0
        fake.claims = dict(OFFICER)
        yield fake


def start(client: Client, next_url: str = "") -> str:
    """Begin a sign-in; the browser's visit to the provider; returns the callback path it comes back to."""
    response = client.get("/sign-in/organisation" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    to_provider = response["Location"]
    query = parse_qs(urlsplit(to_provider).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]
    back = requests.get(to_provider, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/sign-in/organisation/callback"
    return f"{callback.path}?{callback.query}"


def sso(client: Client, next_url: str = "") -> Any:
    return client.get(start(client, next_url))


def refused(response: Any, reason: str, audited: str = "") -> None:
    body = response.content.decode()
    assert response.status_code in {400, 403}, response.status_code
    assert "You cannot sign in with your organisation&#39;s account" in body or \
        "You cannot sign in with your organisation's account" in body
    assert reason in body, body
    event = AuditEvent.objects.filter(action="user.single_sign_on_refused").latest("id")
    assert event.actor_id is None
    assert event.after is not None
    assert (audited or reason) in event.after["reason"]


def nothing_created() -> None:
    assert not User.objects.filter(email__endswith="met.police.uk").exists()
    assert not User.objects.filter(email__endswith="sca.example.gov.uk").exists()
    assert not Membership.objects.filter(user__email__endswith="police.uk").exists()
    assert not AuditEvent.objects.filter(action="user.signed_in").exists()


def active_roles(email: str) -> set[tuple[str, str]]:
    user = User.objects.get(email=email)
    return {(m.organisation.slug, m.role.name) for m in user.active_memberships()}


# --- Off unless configured ----------------------------------------------------------------------

def test_without_a_provider_the_sign_in_page_has_no_button_and_its_pages_lead_back_to_it() -> None:
    client = Client()
    assert "organisation&#39;s account" not in client.get("/sign-in").content.decode()
    assert client.get("/sign-in/organisation")["Location"] == "/sign-in"
    assert client.get("/sign-in/organisation/callback?code=x&state=y")["Location"] == "/sign-in"
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_with_a_provider_the_sign_in_page_offers_it(provider: FakeProvider) -> None:
    body = Client().get("/sign-in?next=/referrals/").content.decode()
    assert "Sign in with your organisation&#39;s account" in body
    assert 'href="/sign-in/organisation?next=%2Freferrals%2F"' in body


# --- Admitted -----------------------------------------------------------------------------------

def test_a_verified_officer_gets_an_account_with_the_mapped_role(provider: FakeProvider) -> None:
    client = Client()
    response = sso(client, next_url="/referrals/")
    assert response.status_code == 302
    assert response["Location"] == "/referrals/"
    user = User.objects.get(email="officer@met.police.uk")
    assert user.full_name == "Sam Officer"
    assert not user.has_usable_password()
    assert active_roles(user.email) == {("police-e23000001", "first_responder")}
    assert client.get("/").status_code == 200
    assert "Sam Officer" in client.get("/").content.decode()
    # The token request carried the PKCE verifier and the client's secret.
    assert provider.token_requests[-1]["code_verifier"]
    # Audited: the sign-in with the organisation and roles, no email or name.
    event = AuditEvent.objects.get(action="user.signed_in")
    assert event.actor_id == user.pk
    assert event.after == {"method": "single_sign_on", "provider": provider.issuer, "organisation": "police-e23000001",
                           "roles": ["first_responder"], "second_factor_asserted": False}
    created = AuditEvent.objects.get(action="user.created_by_single_sign_on")
    assert created.object_id == str(user.pk)


def test_an_existing_local_account_signs_in_and_keeps_its_password(provider: FakeProvider) -> None:
    user = User.objects.create_user("officer@met.police.uk", "correct-horse-battery", full_name="Local Name")
    assert sso(Client()).status_code == 302
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")
    assert active_roles(user.email) == {("police-e23000001", "first_responder")}
    assert User.objects.filter(email="officer@met.police.uk").count() == 1


def test_a_group_removed_at_the_provider_ends_the_role_at_the_next_sign_in(provider: FakeProvider) -> None:
    provider.claims["groups"] = ["nrm-first-responders", "nrm-partner-recipients"]
    sso(Client())
    assert active_roles(OFFICER["email"]) == {("police-e23000001", "first_responder"),
                                              ("police-e23000001", "partner_recipient")}
    provider.claims["groups"] = ["nrm-first-responders"]
    sso(Client())
    assert active_roles(OFFICER["email"]) == {("police-e23000001", "first_responder")}
    ended = Membership.objects.get(user__email=OFFICER["email"], role__name="partner_recipient")
    assert ended.ends_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="membership.ended", object_id=str(ended.pk)).exists()
    # Given again: a new membership from today, the ended one kept in the history (ADR 0027).
    provider.claims["groups"] = ["nrm-partner-recipients", "nrm-first-responders"]
    sso(Client())
    assert ("police-e23000001", "partner_recipient") in active_roles(OFFICER["email"])
    rows = Membership.objects.filter(user__email=OFFICER["email"], role__name="partner_recipient").order_by("pk")
    assert [m.ends_on for m in rows] == [timezone.localdate(), None]
    # A later sign-in with the same groups changes nothing.
    sso(Client())
    assert Membership.objects.filter(user__email=OFFICER["email"], role__name="partner_recipient").count() == 2


def test_only_all_groups_gone_refuses_and_ends_nothing(provider: FakeProvider) -> None:
    sso(Client())
    provider.claims["groups"] = ["staff-all"]
    refused(sso(Client()), "None of your groups gives a role in this service")
    assert active_roles(OFFICER["email"]) == {("police-e23000001", "first_responder")}


# --- Refused, and nothing created ----------------------------------------------------------------

@pytest.mark.parametrize(("claims", "reason"), [
    ({"email_verified": False}, "has not verified this email address"),
    ({"email_verified": "true"}, "has not verified this email address"),
    ({"email": "someone@example.com"}, "Email addresses at this domain cannot sign in"),
    ({"email": "someone@met.police.uk.evil.example"}, "Email addresses at this domain cannot sign in"),
    ({"email": "someone@fake-met.police.uk"}, "Email addresses at this domain cannot sign in"),
    ({"email": "someone@met-police.uk"}, "Email addresses at this domain cannot sign in"),
    ({"groups": ["staff-all"]}, "None of your groups gives a role in this service"),
    ({"groups": None}, "None of your groups gives a role in this service"),
], ids=["unverified", "verified-as-text", "unknown-domain", "suffix-look-alike", "prefix-look-alike",
        "hyphen-look-alike", "no-mapped-group", "no-groups"])
def test_claims_that_do_not_admit_are_refused(provider: FakeProvider, claims: dict[str, Any], reason: str) -> None:
    provider.claims.update(claims)
    provider.claims = {k: v for k, v in provider.claims.items() if v is not None}
    client = Client()
    refused(sso(client), reason)
    nothing_created()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("changes", "audited"), [
    ({"aud": "another-client"}, "Audience doesn't match"),
    ({"aud": ["another-client", CLIENT_ID]}, "issued to another client"),  # several audiences, azp not us
    ({"iss": "http://127.0.0.1:1"}, "Invalid issuer"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "Signature has expired"),
    ({"exp": None}, 'missing the "exp" claim'),
    ({"nonce": "a-nonce-we-never-sent"}, "Nonce verification failed"),
], ids=["wrong-audience", "another-authorised-party", "wrong-issuer", "expired", "no-expiry", "wrong-nonce"])
def test_tokens_that_fail_a_check_are_refused(provider: FakeProvider, changes: dict[str, Any], audited: str) -> None:
    provider.token_changes = changes
    client = Client()
    refused(sso(client), "could not be checked", audited)
    nothing_created()
    assert "_auth_user_id" not in client.session


def test_a_token_signed_with_another_key_is_refused(provider: FakeProvider) -> None:
    provider.sign_with = new_key()
    refused(sso(Client()), "could not be checked", "Signature verification failed")
    nothing_created()


def test_an_earlier_id_token_replayed_with_its_nonce_is_refused(provider: FakeProvider) -> None:
    """Someone holding an ID token from an earlier sign-in gets the provider to hand it over again."""
    earlier = Client()
    sso(earlier)
    provider.replay_id_token = provider.issued_id_tokens[-1]
    provider.claims = {**OFFICER, "email": "other@met.police.uk"}
    client = Client()
    refused(sso(client), "could not be checked", "Nonce verification failed")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="user.signed_in").count() == 1
    assert not User.objects.filter(email="other@met.police.uk").exists()


def test_a_role_the_organisation_may_not_hold_is_refused_and_creates_nothing(provider: FakeProvider) -> None:
    """The table maps the caseworkers' group, but the Metropolitan Police's members cannot be caseworkers."""
    provider.claims["groups"] = ["nrm-first-responders", "nrm-caseworkers"]
    refused(sso(Client()), "cannot hold the role")
    nothing_created()


def test_a_closed_account_is_refused_and_stays_as_it_was(provider: FakeProvider) -> None:
    user = User.objects.create_user(OFFICER["email"], None, full_name="Closed", is_active=False)
    refused(sso(Client()), "This account has been closed")
    assert not Membership.objects.filter(user=user).exists()


def test_userinfo_about_someone_else_is_refused(provider: FakeProvider) -> None:
    provider.userinfo_changes = {"sub": "someone-else", "email": "chief@met.police.uk"}
    refused(sso(Client()), "could not be checked", "not_authenticated")
    nothing_created()


def test_an_amr_from_userinfo_alone_does_not_count_as_mfa(provider: FakeProvider) -> None:
    provider.claims = {**CASEWORKER}
    provider.userinfo_changes = {"amr": ["mfa"], "acr": "http://example.test/acr/mfa"}
    client = Client()
    assert sso(client)["Location"] == "/sign-in/code"
    assert not IdentityProviderDevice.objects.exists()


@pytest.mark.parametrize("environment", [
    {"NRM_OIDC_ISSUER": "https://id.example.test"},
    {"NRM_OIDC_CLIENT_ID": "x", "NRM_OIDC_CLIENT_SECRET": "y"},
    {"NRM_OIDC_TOKEN_ENDPOINT": "https://id.example.test/token", "NRM_OIDC_CLIENT_ID": "x",
     "NRM_OIDC_CLIENT_SECRET": "y"},
    {"NRM_OIDC_ISSUER": "https://id.example.test", "NRM_OIDC_CLIENT_ID": "x", "NRM_OIDC_CLIENT_SECRET": "y",
     "NRM_OIDC_TOKEN_ENDPOINT": "https://id.example.test/token"},
], ids=["issuer-alone", "no-issuer", "endpoints-without-issuer", "some-endpoints"])
def test_half_a_configuration_stops_the_service_starting(environment: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_OIDC_")}
    result = subprocess.run([sys.executable, "-c", "import nrm.settings"], env={**env, **environment},
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "NRM_OIDC_" in result.stderr


def test_a_callback_used_twice_is_refused_the_second_time(provider: FakeProvider) -> None:
    client = Client()
    callback = start(client)
    assert client.get(callback).status_code == 302
    client.logout()
    refused(client.get(callback), "This sign-in has expired or was already used", "state_unknown")


def test_a_callback_without_a_sign_in_started_here_is_refused(provider: FakeProvider) -> None:
    refused(Client().get("/sign-in/organisation/callback?code=abc&state=xyz"), "expired or was already used",
            "state_unknown")
    refused(Client().get("/sign-in/organisation/callback?error=access_denied&state=xyz"), "You did not finish",
            "provider_error")
    nothing_created()


def test_a_provider_that_cannot_be_reached_gets_a_clear_page(provider: FakeProvider, settings: Any) -> None:
    settings.NRM_OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    response = Client().get("/sign-in/organisation")
    assert response.status_code == 503
    assert "not available at the moment" in response.content.decode()


# --- The second factor -----------------------------------------------------------------------------

def test_a_role_needing_a_second_factor_skips_the_code_when_the_token_asserts_mfa(provider: FakeProvider) -> None:
    provider.claims = {**CASEWORKER, "amr": ["pwd", "mfa"]}
    client = Client()
    response = sso(client, next_url="/cases/")
    assert response["Location"] == "/cases/"
    user = User.objects.get(email=CASEWORKER["email"])
    assert active_roles(user.email) == {("sca", "caseworker")}
    assert client.get("/cases/").status_code == 200
    assert IdentityProviderDevice.objects.filter(user=user).count() == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="user.second_factor_verified", actor=user,
                                     after__by="identity_provider").exists()


def test_an_mfa_acr_counts_as_mfa(provider: FakeProvider) -> None:
    provider.claims = {**CASEWORKER, "acr": "http://example.test/acr/mfa"}
    client = Client()
    assert sso(client, next_url="/cases/")["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_without_mfa_in_the_token_the_totp_step_is_required(provider: FakeProvider,
                                                            django_capture_on_commit_callbacks: Any) -> None:
    provider.claims = {**CASEWORKER, "amr": ["pwd"], "acr": "urn:something-else"}
    client = Client()
    response = sso(client, next_url="/cases/")
    assert response["Location"] == "/sign-in/code"
    assert client.get("/cases/")["Location"] == "/sign-in/code"
    # No authenticator yet: set one up, by a link emailed to the account's own address.
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/sign-in/code", follow=True)
    assert "Check your email" in page.content.decode()
    assert [m.to for m in mail.outbox] == [[CASEWORKER["email"]]]
    assert not IdentityProviderDevice.objects.exists()


def test_without_mfa_an_enrolled_caseworker_gives_a_code(provider: FakeProvider) -> None:
    from django_otp.oath import totp

    provider.claims = {**CASEWORKER}
    sso(Client())  # the account now exists
    user = User.objects.get(email=CASEWORKER["email"])
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    assert sso(client, next_url="/cases/")["Location"] == "/sign-in/code"
    assert client.post("/sign-in/code", {"code": f"{totp(device.bin_key):06d}"})["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_an_mfa_user_from_an_earlier_sign_in_is_asked_for_a_code_when_mfa_is_not_asserted(
        provider: FakeProvider) -> None:
    """The device standing for the provider's check never verifies a code, nor a later session."""
    provider.claims = {**CASEWORKER, "amr": ["mfa"]}
    sso(Client())
    provider.claims = {**CASEWORKER}
    client = Client()
    assert sso(client)["Location"] == "/sign-in/code"
    assert client.get("/cases/")["Location"] == "/sign-in/code"
    assert client.post("/sign-in/code", {"code": "123456"}).status_code in {302, 400}
    assert client.get("/cases/")["Location"] == "/sign-in/code"


# --- Throttling, lockout and signing out at the provider -----------------------------------------

def test_failed_single_sign_ons_from_one_address_are_throttled_as_passwords_are(provider: FakeProvider,
                                                                                settings: Any) -> None:
    settings.NRM_ADDRESS_FAILURE_LIMIT = 3
    for _ in range(3):
        refused(Client().get("/sign-in/organisation/callback?code=abc&state=forged"), "expired or was already used",
                "state_unknown")
    for path in ("/sign-in/organisation", "/sign-in/organisation/callback?code=abc&state=forged"):
        held = Client().get(path)
        assert held.status_code == 429
        assert "Too many attempts" in held.content.decode()
    # The same count holds the password sign-in back, and a right answer from the provider too.
    assert Client().post("/sign-in", {"email": "x@example.gov.uk", "password": "whatever"}).status_code == 429
    nothing_created()


def test_failed_passwords_and_single_sign_on_failures_add_up(provider: FakeProvider, settings: Any) -> None:
    settings.NRM_ADDRESS_FAILURE_LIMIT = 4
    for _ in range(2):
        Client().post("/sign-in", {"email": "nobody@example.gov.uk", "password": "wrong password"})
    for _ in range(2):
        Client().get("/sign-in/organisation/callback?error=access_denied&state=x")
    assert Client().get("/sign-in/organisation").status_code == 429


def test_an_unreachable_provider_does_not_count_against_the_visitor(provider: FakeProvider, settings: Any) -> None:
    settings.NRM_ADDRESS_FAILURE_LIMIT = 2
    settings.NRM_OIDC_ISSUER = "http://127.0.0.1:9"
    for _ in range(3):
        assert Client().get("/sign-in/organisation").status_code == 503


def test_an_account_locked_by_failed_passwords_is_not_unlocked_by_the_provider(provider: FakeProvider,
                                                                               settings: Any) -> None:
    User.objects.create_user(OFFICER["email"], "a long enough password 1", full_name="Sam Officer")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/sign-in", {"email": OFFICER["email"], "password": "wrong password"})
    client = Client()
    locked = sso(client)
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="user.signed_in").exists()
    event = AuditEvent.objects.filter(action="user.single_sign_on_refused").latest("id")
    assert event.after == {"reason": "account_locked"}
    assert event.object_id == str(User.objects.get(email=OFFICER["email"]).pk)
    assert not Membership.objects.filter(user__email=OFFICER["email"]).exists()  # the refusal changed nothing


def test_an_address_locked_before_it_has_an_account_gets_no_account(provider: FakeProvider, settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/sign-in", {"email": OFFICER["email"], "password": "wrong password"})
    locked = sso(Client())
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()
    assert AuditEvent.objects.filter(action="user.single_sign_on_refused").latest("id").after == {
        "reason": "account_locked"}
    nothing_created()


def test_signing_out_ends_the_session_at_the_provider_too(provider: FakeProvider) -> None:
    client = Client()
    assert sso(client).status_code == 302
    left = client.post("/sign-out")
    assert "_auth_user_id" not in client.session  # the service's own session ended first
    assert left.status_code == 302
    to_provider = urlsplit(left["Location"])
    assert f"{to_provider.scheme}://{to_provider.netloc}{to_provider.path}" == f"{provider.issuer}/logout"
    query = {k: v[0] for k, v in parse_qs(to_provider.query).items()}
    assert query["id_token_hint"] == provider.issued_id_tokens[-1]
    assert query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"].endswith("/sign-out/done")
    back = requests.get(left["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert provider.sign_outs[-1]["id_token_hint"] == provider.issued_id_tokens[-1]
    done = client.get(urlsplit(back.headers["Location"]).path)
    assert done.status_code == 200
    assert "You have signed out" in done.content.decode()


def test_a_provider_without_sign_out_or_a_local_sign_in_signs_out_here_only(provider: FakeProvider,
                                                                            make_user: Any) -> None:
    provider.offers_sign_out = False
    from nrm.accounts import single_sign_on
    single_sign_on._discovered.clear()
    client = Client()
    assert sso(client).status_code == 302
    left = client.post("/sign-out")
    assert left.status_code == 200
    assert "You have signed out" in left.content.decode()
    assert "_auth_user_id" not in client.session
    provider.offers_sign_out = True
    single_sign_on._discovered.clear()
    local = Client()
    local.force_login(make_user(Role.FIRST_RESPONDER))
    assert local.post("/sign-out").status_code == 200  # signed in with a password: nothing to end elsewhere
    assert not provider.sign_outs


def test_an_account_deactivated_by_an_administrator_stays_out_whatever_the_provider_says(
        provider: FakeProvider) -> None:
    from nrm.accounts import services

    client = Client()
    assert sso(client).status_code == 302
    user = User.objects.get(email=OFFICER["email"])
    assert services.account_deactivate(user=user, actor=None)
    assert client.get("/cases/").status_code == 302  # the leaver's session ended with the account
    again = Client()
    refused(sso(again), "This account has been closed")
    assert "_auth_user_id" not in again.session
    user.refresh_from_db()
    assert not user.is_active
    assert not user.active_memberships().exists()  # the provider's groups give no role back
    assert AuditEvent.objects.filter(action="user.signed_in").count() == 1


def test_only_a_get_starts_a_single_sign_on(provider: FakeProvider) -> None:
    assert Client().post("/sign-in/organisation").status_code == 405
    assert Client().post("/sign-in/organisation/callback?code=abc&state=x").status_code == 405
    assert not provider.token_requests
