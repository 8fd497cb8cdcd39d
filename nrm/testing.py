"""Fixtures shared by every test: users by role, signed-in clients (a pytest plugin, see conftest.py)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.accounts.services import membership_grant
from nrm.reference.models import Organisation

_counter = itertools.count(1)
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

# A sensible organisation for each role, by slug (see nrm/reference/data/organisations.csv).
DEFAULT_ORGANISATION = {
    Role.FIRST_RESPONDER: "police-e23000001",
    Role.CONTRIBUTOR: "independent-professionals",
    Role.CONCERNED_PROFESSIONAL: "independent-professionals",
    Role.CASEWORKER: "sca",
    Role.SENIOR_DECISION_MAKER: "sca",
    Role.PANEL_MEMBER: "maap",
    Role.PANEL_CHAIR: "maap",
    Role.SUPPORT_PROVIDER: "vcc-salvation-army",
    Role.PARTNER_RECIPIENT: "police-e23000001",
    Role.CHILDRENS_SERVICES: "la-e09000007",
    Role.ANALYST: "ho-analysis",
    Role.ADMINISTRATOR: "service-team",
}


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_seals_apart(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's audit seals (written by the worker's periodic job) go to its own directory."""
    directory = tmp_path / "audit-seals"
    settings.AUDIT_SEAL_DIR = directory
    monkeypatch.setenv("NRM_AUDIT_SEAL_DIR", str(directory))  # worker processes started by the test


def user_make(role: Role, organisation: str | Organisation | None = None, **fields: Any) -> User:
    """A user with a membership in ``role`` (in its default organisation unless told); for the
    ``make_user`` fixture and the benchmarks that reuse the tests' probes."""
    n = next(_counter)
    email = fields.pop("email", f"{role.value}.{n}@example.gov.uk")
    user = User.objects.create_user(email, "correct-horse-battery", full_name=fields.pop("full_name", f"{role.label if hasattr(role, 'label') else role} {n}"), **fields)
    org = organisation if isinstance(organisation, Organisation) else Organisation.objects.get(
        slug=organisation or DEFAULT_ORGANISATION[role])
    membership_grant(user=user, organisation=org, role=role)
    return user


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """make_user(Role.CASEWORKER, organisation="ieca") -> a user with that membership."""
    return user_make


def sign_in(client: Client, user: User) -> Client:
    """Sign ``user`` in on ``client``, with a verified second factor where the role needs one."""
    client.force_login(user)
    if user.requires_second_factor:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[..., Client]:
    """client_for(user) or client_for(Role.X, organisation=...) -> a signed-in test client."""

    def make(user_or_role: User | Role, organisation: str | None = None) -> Client:
        user = user_or_role if isinstance(user_or_role, User) else make_user(user_or_role, organisation)
        client = Client()
        client.user = user  # type: ignore[attr-defined]
        return sign_in(client, user)

    return make


@pytest.fixture
def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request: pytest.FixtureRequest) -> None:
    """Transactional tests (browser tests with a live server) flush the database after each
    test, removing the reference data the migrations loaded; put it back before the next."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from nrm.accounts.services import roles_sync
    from nrm.reference.loader import load_all

    if not Organisation.objects.exists():
        load_all(lambda name: apps.get_model("reference", name))
    roles_sync()


# --- Every URL pattern, made concrete -----------------------------------------------------------

@dataclass(frozen=True)
class RoutePattern:
    """One URL pattern of the resolver: its namespaced name, its route and its parameters."""

    name: str
    route: str
    params: tuple[str, ...]

    def url(self, values: Mapping[str, object]) -> str:
        """The concrete URL with ``values`` for its parameters (KeyError names a missing one)."""
        return reverse(self.name, kwargs={param: str(values[param]) for param in self.params})


def url_patterns() -> list[RoutePattern]:
    """Every named URL pattern the resolver lists, in order, with its parameter names."""
    found: list[RoutePattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                route = prefix + str(entry.pattern)
                found.append(RoutePattern(namespace + entry.name, route, tuple(_PARAM.findall(route))))

    walk(get_resolver(), "", "")
    return found


def partner_systems_make(organisation: Organisation) -> tuple[Any, Any]:
    """An API client and a webhook endpoint of ``organisation``, for tests that walk every page."""
    from nrm.api.services import api_client_create
    from nrm.notify.webhooks import webhook_add

    client, _ = api_client_create(organisation=organisation, name="Case system", role=Role.FIRST_RESPONDER,
                                  scopes=["referrals:read"])
    endpoint, _ = webhook_add(organisation=organisation, url="https://8.8.8.8/nrm/events",
                              events=["referral.crime_referral"])
    return client, endpoint


def journey_form_data(step: Any, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What a browser posts for a referral journey ``step`` when the person gives ``answers``
    (the tests' journeys and ``bench/load.py``)."""
    from nrm.referrals import journey

    data: dict[str, Any] = {"action": "continue"}
    for f in step.fields:
        value = answers.get(f.name)
        if value is None:
            continue
        if f.kind == journey.Kind.DATE:
            data.update({f"{f.name}-{part}": value[part] for part in ("day", "month", "year")})
        else:
            data[f.name] = value
    return data


class QuietJsonHandler(BaseHTTPRequestHandler):
    """A local fake server's request handler (the fake GOV.UK Notify and identity provider): logs
    nothing, answers JSON."""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send_json(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
