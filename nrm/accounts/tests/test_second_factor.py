"""Second factors: enrolment only from an emailed single-use link, a new session key at each
factor, wrong codes counted towards the account's lockout."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import AccountLink
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_code_delay(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/sign-in", {"email": email, "password": password, **extra})


def emailed_link(to: str) -> str:
    bodies = [str(m.body) for m in mail.outbox if to in m.to]
    assert bodies, f"no email to {to}"
    found = re.search(r"https?://[^/\s]+(/\S+)", bodies[-1])
    assert found
    return found.group(1)


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if totp(device.bin_key) != 0 else "111111"


def test_a_password_alone_never_sets_up_an_authenticator(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The takeover: someone with only the password signs in first and tries to bind their own app."""
    capture = django_capture_on_commit_callbacks
    user = make_user(Role.CASEWORKER)
    attacker = Client()
    with capture(execute=True):
        sign_in(attacker, user.email)
        page = attacker.get("/sign-in/code", follow=True)
    body = page.content.decode()
    assert "Check your email" in body
    assert "data:image/svg" not in body  # no QR code, no key
    assert not TOTPDevice.objects.filter(user=user).exists()
    # Nothing but the case list's redirect to the code page is reachable.
    assert attacker.get("/cases/")["Location"] == "/sign-in/code"
    assert attacker.post("/sign-in/set-up-authenticator", {"code": "123456"}).status_code == 405
    # The link went to the account's own address only.
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_the_emailed_link_with_the_password_sets_up_the_app_once(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    capture = django_capture_on_commit_callbacks
    user = make_user(Role.CASEWORKER)
    client = Client()
    with capture(execute=True):
        sign_in(client, user.email)
        client.get("/sign-in/set-up-authenticator")
    link = emailed_link(user.email)
    # A signed-out browser opening the link is asked for the password first.
    fresh = Client()
    first = fresh.get(link)
    assert first.status_code == 302
    assert first["Location"].startswith("/sign-in?next=")
    response = sign_in(fresh, user.email, next=link)
    assert response["Location"] == link
    page = fresh.get(link)
    assert "data:image/svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    before = fresh.cookies["sessionid"].value
    done = fresh.post(link, {"code": f"{totp(device.bin_key):06d}"})
    assert done.status_code == 302
    assert fresh.cookies["sessionid"].value != before  # a new session key after the second factor
    device.refresh_from_db()
    assert device.confirmed
    assert fresh.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="user.second_factor_enrolled").count() == 1
    # Used once: it cannot enrol another app.
    other = Client()
    sign_in(other, user.email)
    assert other.get(link).status_code == 410


def test_an_expired_or_unknown_link_does_nothing(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    capture = django_capture_on_commit_callbacks
    user = make_user(Role.ANALYST)
    client = Client()
    with capture(execute=True):
        sign_in(client, user.email)
        client.get("/sign-in/set-up-authenticator")
    link = emailed_link(user.email)
    AccountLink.objects.filter(user=user).update(expires_at=timezone.now())
    assert client.get(link).status_code == 410
    assert client.get("/sign-in/set-up-authenticator/not-a-token").status_code == 410


def test_a_link_for_someone_else_is_refused(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    capture = django_capture_on_commit_callbacks
    owner = make_user(Role.CASEWORKER)
    intruder = make_user(Role.CASEWORKER)
    with capture(execute=True):
        owner_client = Client()
        sign_in(owner_client, owner.email)
        owner_client.get("/sign-in/set-up-authenticator")
    link = emailed_link(owner.email)
    client = Client()
    sign_in(client, intruder.email)
    assert client.get(link).status_code == 403
    assert not TOTPDevice.objects.filter(user=owner).exists()


def test_one_link_at_a_time(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Signing in again and again does not flood the owner's inbox."""
    capture = django_capture_on_commit_callbacks
    user = make_user(Role.CASEWORKER)
    with capture(execute=True):
        for _ in range(3):
            client = Client()
            sign_in(client, user.email)
            client.get("/sign-in/set-up-authenticator")
    assert len(mail.outbox) == 1


def test_session_key_changes_at_each_factor(make_user: Any) -> None:
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.get("/sign-in")
    client.cookies["sessionid"] = "anonymous-fixed-session-key"
    sign_in(client, user.email)
    after_password = client.cookies["sessionid"].value
    assert after_password != "anonymous-fixed-session-key"
    client.post("/sign-in/code", {"code": f"{totp(device.bin_key):06d}"})
    assert client.cookies["sessionid"].value != after_password
    assert client.get("/").status_code == 200


def test_wrong_codes_lock_the_account(make_user: Any, settings: Any) -> None:
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, user.email)
    responses = [client.post("/sign-in/code", {"code": wrong_code(device)})
                 for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert responses[-1].status_code == 429
    assert "Your account is locked" in responses[-1].content.decode()
    # Signed out, and the password no longer works either, even with a right code to follow.
    assert "_auth_user_id" not in client.session
    again = Client()
    assert sign_in(again, user.email).status_code == 429


def test_signing_in_again_does_not_clear_wrong_codes(make_user: Any, settings: Any) -> None:
    """A password sign-in is not a complete sign-in: it must not reset the count of wrong codes."""
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    last = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client = Client()
        sign_in(client, user.email)
        last = client.post("/sign-in/code", {"code": wrong_code(device)})
    assert last is not None
    assert last.status_code == 429


def test_a_complete_sign_in_clears_earlier_failures(make_user: Any, settings: Any) -> None:
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, user.email)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/sign-in/code", {"code": wrong_code(device)})
    assert client.post("/sign-in/code", {"code": f"{totp(device.bin_key):06d}"}).status_code == 302
    client.post("/sign-out")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), user.email, "wrong password")
    assert sign_in(Client(), user.email).status_code == 302
