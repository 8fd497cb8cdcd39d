"""Password policy (NCSC: length and deny lists, no composition rules) and the pages that set,
change and reset a password."""

import re
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from nrm.accounts.models import AccountLink, User
from nrm.accounts.roles import Role
from nrm.accounts.services import password_set
from nrm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "marble-kettle-harbour-7"


def emailed_link(to: str) -> str:
    bodies = [str(m.body) for m in mail.outbox if to in m.to]
    assert bodies, f"no email to {to}"
    found = re.search(r"https?://[^/\s]+(/\S+)", bodies[-1])
    assert found
    return found.group(1)


@pytest.mark.parametrize("weak", ["password", "12345678", "password1234", "qwertyuiop123", "short words",
                                  "OpenNRM2024!!", "1234567890123", "qwerty123456"])
def test_weak_passwords_are_refused(weak: str, make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    with pytest.raises(ValidationError):
        validate_password(weak, user)


@pytest.mark.parametrize("fine", ["marble kettle harbour", "alllowercaseletters", "correct-horse-battery",
                                  "x" * 20 + "7"])
def test_long_passwords_need_no_digits_capitals_or_symbols(fine: str) -> None:
    validate_password(fine, None)


def test_passwords_like_the_users_own_details_are_refused(make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER, email="jane.doe.smith@example.gov.uk")
    with pytest.raises(ValidationError):
        validate_password("jane.doe.smith@example.gov.uk", user)


def test_the_service_never_sets_a_weak_password(make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    with pytest.raises(ValidationError):
        password_set(user=user, password="password", actor=user)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password(client_for: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(Role.CASEWORKER)
    user: User = client.user
    other = Client()
    other.force_login(user)
    assert "Change your password" in client.get("/account/password").content.decode()
    wrong = client.post("/account/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert "Your current password is not right" in wrong.content.decode()
    weak = client.post("/account/password", {"current_password": PASSWORD, "new_password": "password"})
    assert weak.status_code == 400
    assert "Password must be 12 characters or more" in weak.content.decode()
    common = client.post("/account/password", {"current_password": PASSWORD, "new_password": "qwerty123456"})
    assert "list of common passwords" in common.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert "Your password has been changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200  # this session goes on
    other.get("/")
    assert "_auth_user_id" not in other.session  # the others end
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert AuditEvent.objects.filter(action="user.password_changed").count() == 1


def test_change_password_needs_a_signed_in_user() -> None:
    assert Client().get("/account/password")["Location"].startswith("/sign-in")


def test_reset_by_emailed_single_use_link(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    client = Client()
    assert "Reset your password" in client.get("/sign-in/forgotten-password").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/sign-in/forgotten-password", {"email": user.email.upper()})
    assert "Check your email" in page.content.decode()
    link = emailed_link(user.email)
    assert AccountLink.objects.get(user=user).token_hash not in link  # only a hash is stored
    assert "Choose a new password" in client.get(link).content.decode()
    assert client.post(link, {"new_password": "12345678"}).status_code == 400
    done = client.post(link, {"new_password": NEW_PASSWORD})
    assert "Your password has been set" in done.content.decode()
    assert client.post("/sign-in", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert Client().post(link, {"new_password": "another-long-passphrase"}).status_code == 410  # once only
    assert AuditEvent.objects.filter(action="user.password_reset").count() == 1


def test_reset_says_the_same_for_unknown_addresses(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post("/sign-in/forgotten-password", {"email": "nobody@example.gov.uk"})
    assert "Check your email" in page.content.decode()
    assert mail.outbox == []


def test_a_newer_reset_link_replaces_the_older(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/sign-in/forgotten-password", {"email": user.email})
    first = emailed_link(user.email)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/sign-in/forgotten-password", {"email": user.email})
    assert Client().get(first).status_code == 410
    assert Client().get(emailed_link(user.email)).status_code == 200


def test_an_expired_reset_link_does_nothing(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/sign-in/forgotten-password", {"email": user.email})
    AccountLink.objects.update(expires_at=timezone.now())
    assert Client().post(emailed_link(user.email), {"new_password": NEW_PASSWORD}).status_code == 410
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_requests_are_throttled_per_address(settings: Any, make_user: Any) -> None:
    settings.NRM_PASSWORD_RESET_LIMIT_PER_HOUR = 3
    user = make_user(Role.FIRST_RESPONDER)
    for _ in range(3):
        assert Client().post("/sign-in/forgotten-password", {"email": user.email}).status_code == 200
    assert Client().post("/sign-in/forgotten-password", {"email": user.email}).status_code == 429
    assert Client().post("/sign-in/forgotten-password", {"email": user.email},
                         REMOTE_ADDR="198.51.100.20").status_code == 200


def test_set_password_from_an_invitation(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("account", "--by", admin.email, "--base-url", "https://nrm.example", "invite",
                     "new.person@example.gov.uk", "--name", "New Person", "--organisation", "police-e23000001",
                     "--role", "first_responder")
    user = User.objects.get(email="new.person@example.gov.uk")
    assert not user.has_usable_password()
    assert "https://nrm.example/sign-in/set-password/" in str(mail.outbox[0].body)
    link = emailed_link(user.email)
    client = Client()
    assert "Set your password" in client.get(link).content.decode()
    assert client.post(link, {"new_password": "new person"}).status_code == 400
    assert "Your password has been set" in client.post(link, {"new_password": NEW_PASSWORD}).content.decode()
    assert client.post("/sign-in", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert AuditEvent.objects.filter(action="user.invited", actor=admin).count() == 1


def test_an_administrator_resets_an_authenticator(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_user(Role.ADMINISTRATOR)
    user = make_user(Role.CASEWORKER)
    TOTPDevice.objects.create(user=user, name="lost phone", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("account", "--by", admin.email, "reset-authenticator", user.email)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "/sign-in/set-up-authenticator/" in emailed_link(user.email)
    assert AuditEvent.objects.filter(action="user.second_factor_reset", actor=admin).count() == 1


def test_creating_an_account_applies_the_policy() -> None:
    with pytest.raises(ValidationError):
        User.objects.create_user("weak@example.gov.uk", "password", full_name="Weak")
    assert not User.objects.filter(email="weak@example.gov.uk").exists()


def test_the_demo_password_meets_the_policy() -> None:
    from nrm.accounts.demo import DEMO_PASSWORD

    validate_password(DEMO_PASSWORD, None)
