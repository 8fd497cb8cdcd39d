"""Sessions: an absolute lifetime, sign-out only by POST, no-store on every page and download,
lockout per account across addresses and throttling per address."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from nrm.accounts.middleware import SIGNED_IN_AT
from nrm.accounts.models import RateEvent
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def sign_in(client: Client, email: str, password: str = PASSWORD, address: str = "192.0.2.1") -> Any:
    return client.post("/sign-in", {"email": email, "password": password}, REMOTE_ADDR=address)


def test_a_session_ends_at_its_absolute_lifetime_however_active(client_for: Any, settings: Any) -> None:
    client = client_for(Role.FIRST_RESPONDER)
    assert client.get("/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT + 60
    session.save()
    assert client.get("/").status_code == 200  # still inside the lifetime
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT - 1
    session.save()
    response = client.get("/referrals/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-out/timed-out"
    assert "_auth_user_id" not in client.session
    assert "You have been signed out" in client.get("/sign-out/timed-out").content.decode()


def test_the_idle_timeout_is_the_sliding_cookie_age(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_ABSOLUTE_TIMEOUT > settings.SESSION_IDLE_TIMEOUT


@pytest.mark.parametrize("path", ["/sign-out", "/sign-out/timed-out"])
def test_a_get_never_signs_out(client_for: Any, path: str) -> None:
    """Cross-site sign-out: another site linking to or embedding these addresses signs no one out."""
    client = client_for(Role.FIRST_RESPONDER)
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'method="post"' in body
    assert "Sign out" in body
    assert "_auth_user_id" in client.session
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/sign-out", "/sign-out/timed-out"])
def test_a_post_without_the_csrf_token_signs_no_one_out(client_for: Any, path: str) -> None:
    client = client_for(Role.FIRST_RESPONDER)
    client.handler.enforce_csrf_checks = True
    assert client.post(path).status_code == 403
    assert "_auth_user_id" in client.session


def test_the_timeout_posts_and_signs_out(client_for: Any) -> None:
    client = client_for(Role.FIRST_RESPONDER)
    response = client.post("/sign-out/timed-out")
    assert response["Location"] == "/sign-out/timed-out"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="user.signed_out").count() == 1
    assert 'data-csrf-token="' in client_for(Role.FIRST_RESPONDER).get("/").content.decode()


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _concrete(route: str) -> str:
    """A concrete address for a route, with made-up values for its parameters."""
    import re

    values = {"uuid": str(uuid.uuid4()), "int": "1", "slug": "x", "str": "x", "path": "x"}
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: values.get(m.group(1) or "str", "x"), route)
    return "/" + path.lstrip("^").rstrip("$")


def every_route() -> list[str]:
    return sorted({_concrete(route) for route, _ in _patterns(get_resolver())})


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.FIRST_RESPONDER, Role.ANALYST])
def test_no_page_or_download_is_stored(client_for: Any, role: Role) -> None:
    client = client_for(role)
    routes = every_route()
    assert len(routes) > 50
    missing = [path for path in routes if "no-store" not in client.get(path).get("Cache-Control", "")]
    assert missing == []


def test_anonymous_pages_are_not_stored_either() -> None:
    response = Client().get("/sign-in")
    assert response["Cache-Control"] == "no-store, private"


def test_wrong_passwords_over_five_addresses_lock_the_account(make_user: Any, settings: Any) -> None:
    """Lockout counts per account, whatever address the attempts come from."""
    user = make_user(Role.FIRST_RESPONDER)
    addresses = [f"198.51.100.{n}" for n in range(1, 6)]
    for n in range(20):
        sign_in(Client(), user.email, "wrong password", address=addresses[n % 5])
    locked = sign_in(Client(), user.email, address="203.0.113.9")
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()


def test_one_address_trying_many_accounts_is_throttled(make_user: Any, settings: Any) -> None:
    settings.NRM_ADDRESS_FAILURE_LIMIT = 6
    users = [make_user(Role.FIRST_RESPONDER) for _ in range(3)]
    for n in range(6):
        sign_in(Client(), users[n % 3].email, "wrong password", address="198.51.100.7")
    # No single account reached its own limit, but the address is held back, even with a right password.
    throttled = sign_in(Client(), users[0].email, address="198.51.100.7")
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.content.decode()
    assert sign_in(Client(), users[0].email, address="198.51.100.8").status_code == 302
    assert not RateEvent.objects.filter(key__contains="198.51").exists()  # addresses are kept only as a keyed hash


def test_an_administrator_unlocks_an_account_and_it_is_audited(make_user: Any, settings: Any) -> None:
    user = make_user(Role.FIRST_RESPONDER)
    admin = make_user(Role.ADMINISTRATOR)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), user.email, "wrong password")
    assert sign_in(Client(), user.email).status_code == 429
    call_command("account", "--by", admin.email, "unlock", user.email)
    assert sign_in(Client(), user.email).status_code == 302
    event = AuditEvent.objects.get(action="user.unlocked")
    assert event.actor_id == admin.pk


def test_only_an_administrator_may_be_named_as_unlocking(make_user: Any) -> None:
    from django.core.management.base import CommandError

    user = make_user(Role.FIRST_RESPONDER)
    with pytest.raises(CommandError, match="not an administrator"):
        call_command("account", "--by", user.email, "unlock", user.email)
