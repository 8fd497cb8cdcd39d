from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import RoleRecord, User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.accounts.services import membership_grant, roles_sync
from nrm.core.errors import ServiceError
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def post_sign_in(client: Client, email: str, password: str) -> Any:
    return client.post("/sign-in", {"email": email, "password": password})


def test_every_role_is_in_the_database() -> None:
    assert set(RoleRecord.objects.values_list("name", flat=True)) == {str(r) for r in Role}
    RoleRecord.objects.filter(name="analyst").update(label="changed")
    assert roles_sync() == ["analyst"]
    assert RoleRecord.objects.get(name="analyst").label == ROLE_DEFINITIONS[Role.ANALYST].label


def test_passwords_are_hashed_with_argon2(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert make_password("x" * 16).startswith("argon2$")


def test_first_responder_signs_in_with_a_password_alone(make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    client = Client()
    response = post_sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert user.full_name in home.content.decode()


def test_wrong_password_gets_a_clear_message_and_keeps_the_email(make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    response = post_sign_in(Client(), user.email, "wrong password")
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "Enter a correct email address and password" in body
    assert f'value="{user.email}"' in body
    assert "<title>Error: " in body


def test_empty_form_names_each_missing_field() -> None:
    body = Client().post("/sign-in", {}).content.decode()
    assert "Enter your email address" in body
    assert "Enter your password" in body


def test_caseworker_needs_a_second_factor(make_user: Any, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # throttling after a wrong code is tested by django-otp
    user = make_user(Role.CASEWORKER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    response = post_sign_in(client, user.email, PASSWORD)
    assert response["Location"] == "/sign-in/code"
    # Every other page sends them back to the code page until they give one.
    assert client.get("/")["Location"] == "/sign-in/code"
    wrong = client.post("/sign-in/code", {"code": "000000" if totp(device.bin_key) != 0 else "111111"})
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.content.decode()
    letters = client.post("/sign-in/code", {"code": "abc"})
    assert "The code must be 6 digits" in letters.content.decode()
    right = client.post("/sign-in/code", {"code": f"{totp(device.bin_key):06d}"})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


def test_repeated_failures_lock_the_account(make_user: Any, settings: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_sign_in(client, user.email, "wrong password")
    locked = post_sign_in(client, user.email, PASSWORD)
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()


def test_membership_only_for_roles_the_organisation_allows(make_user: Any) -> None:
    user = User.objects.create_user("x@example.gov.uk", PASSWORD, full_name="X")
    with pytest.raises(ServiceError, match="cannot hold the role"):
        membership_grant(user=user, organisation=Organisation.objects.get(slug="salvation-army"), role=Role.CASEWORKER)


def test_sign_out_asks_then_signs_out(make_user: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    client = Client()
    client.force_login(user)
    assert "Sign out" in client.get("/sign-out").content.decode()
    assert "You have signed out" in client.post("/sign-out").content.decode()
    assert client.get("/").content.decode().count("Sign in") >= 1


def test_home_page_fits_the_role(client_for: Any) -> None:
    body = client_for(Role.FIRST_RESPONDER).get("/").content.decode()
    assert "First responder at Metropolitan Police" in body
    analyst = client_for(Role.ANALYST).get("/").content.decode()
    assert "Analyst / statistician at Home Office Analysis and Insight" in analyst
