import pytest
from django.test import Client
from markupsafe import escape

from nrm.accounts.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_logins_text, demo_users_create
from nrm.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_one_demo_user_per_role_and_every_login_works() -> None:
    demo_users_create()
    demo_users_create()  # idempotent
    assert {login.role for login in DEMO_LOGINS} == set(Role)
    for login in DEMO_LOGINS:
        client = Client()
        response = client.post("/sign-in", {"email": login.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login.email
        if login.totp_key_hex:
            assert response["Location"] == "/sign-in/code"
            response = client.post("/sign-in/code", {"code": login.current_code()})
            assert response.status_code == 302, login.email
        home = client.get("/")
        assert home.status_code == 200
        assert str(escape(login.full_name)) in home.content.decode()


def test_the_printed_logins_name_every_user() -> None:
    text = demo_logins_text()
    assert DEMO_PASSWORD in text
    for login in DEMO_LOGINS:
        assert login.email in text
