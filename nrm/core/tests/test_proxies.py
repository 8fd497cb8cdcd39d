"""Proxy headers are believed only from the proxies named in NRM_TRUSTED_PROXIES: a client that
sends X-Forwarded-Proto or X-Forwarded-For itself changes neither the HTTPS redirect nor the
address it is throttled by."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from nrm.accounts.roles import Role
from nrm.core.proxies import PEER, client_address, forwarded_client, networks_parse, request_resolve

PROXIES = networks_parse(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
ipv4_public = st.ip_addresses(v=4, network="203.0.113.0/24").map(str)
ipv4_proxy = st.ip_addresses(v=4, network="10.0.0.0/8").map(str)
any_address = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)


@given(peer=ipv4_public, forwarded=st.lists(any_address, max_size=5), proto=st.sampled_from(["https", "http", "x"]))
def test_an_untrusted_peer_is_believed_about_nothing(peer: str, forwarded: list[str], proto: str) -> None:
    meta: dict[str, object] = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": ", ".join(forwarded),
                               "HTTP_X_FORWARDED_PROTO": proto, "wsgi.url_scheme": "http"}
    request_resolve(meta, PROXIES)
    assert meta["REMOTE_ADDR"] == peer
    assert meta["wsgi.url_scheme"] == "http"
    assert "HTTP_X_FORWARDED_FOR" not in meta
    assert "HTTP_X_FORWARDED_PROTO" not in meta
    assert meta[PEER] == peer


@given(spoofed=st.lists(any_address, max_size=4), client=ipv4_public, hops=st.lists(ipv4_proxy, max_size=3),
       peer=ipv4_proxy)
def test_a_trusted_peer_gives_the_right_most_untrusted_hop(spoofed: list[str], client: str, hops: list[str],
                                                           peer: str) -> None:
    meta: dict[str, object] = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": ", ".join([*spoofed, client, *hops]),
                               "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http"}
    request_resolve(meta, PROXIES)
    assert meta["REMOTE_ADDR"] == client
    assert meta["wsgi.url_scheme"] == "https"
    assert meta[PEER] == peer


def test_a_chain_of_only_proxies_gives_the_left_most() -> None:
    assert forwarded_client("10.0.0.1", "10.1.1.1, 10.2.2.2", PROXIES) == "10.1.1.1"


def test_a_malformed_hop_stops_the_walk_at_the_last_good_one() -> None:
    assert forwarded_client("10.0.0.1", "203.0.113.9, not-an-address, 10.2.2.2", PROXIES) == "10.2.2.2"
    assert forwarded_client("10.0.0.1", "garbage", PROXIES) == "10.0.0.1"


def test_ports_and_mapped_addresses_are_understood() -> None:
    assert forwarded_client("192.0.2.7", "203.0.113.5:4711", PROXIES) == "203.0.113.5"
    assert forwarded_client("192.0.2.7", "[2001:db8::5]:443, 203.0.113.5", PROXIES) == "203.0.113.5"
    meta: dict[str, object] = {"REMOTE_ADDR": "::ffff:10.0.0.3", "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    request_resolve(meta, PROXIES)
    assert meta["REMOTE_ADDR"] == "203.0.113.8"


def test_the_proxy_adjacent_to_the_service_says_the_scheme() -> None:
    meta: dict[str, object] = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_PROTO": "https, http",
                               "wsgi.url_scheme": "http"}
    request_resolve(meta, PROXIES)
    assert meta["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "proxy.example", "10.0.0.300", ""])
def test_a_wrong_trusted_proxy_entry_is_refused(entry: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="NRM_TRUSTED_PROXIES"):
        networks_parse([entry])


def test_every_configured_range_is_parsed() -> None:
    assert PROXIES == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"),
                       ipaddress.ip_network("192.0.2.7/32"))


# Through the middleware -------------------------------------------------------------------------


@pytest.fixture
def https_only(settings: Any) -> Any:
    settings.SECURE_SSL_REDIRECT = True
    settings.NRM_TRUSTED_PROXIES = ["10.0.0.0/8"]
    return settings


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_a_spoofed_forwarded_proto_does_not_skip_the_https_redirect() -> None:
    response = Client().get("/cookies", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/cookies"


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_a_trusted_proxy_says_the_request_came_over_https() -> None:
    assert Client().get("/cookies", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert Client().get("/cookies", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_PROTO="http").status_code == 301
    assert Client().get("/cookies", REMOTE_ADDR="10.1.2.3").status_code == 301


@pytest.mark.django_db
def test_no_trusted_proxy_by_default(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert settings.NRM_TRUSTED_PROXIES == []
    assert Client().get("/cookies", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https").status_code == 301


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_throttling(settings: Any, make_user: Any) -> None:
    settings.NRM_PASSWORD_RESET_LIMIT_PER_HOUR = 2
    settings.NRM_TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = make_user(Role.FIRST_RESPONDER)

    def ask(remote: str, forwarded: str) -> int:
        return Client().post("/sign-in/forgotten-password", {"email": user.email}, REMOTE_ADDR=remote,
                             HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [ask("203.0.113.50", f"198.51.100.{n}") for n in range(3)] == [200, 200, 429]
    # Behind the trusted proxy, each client is counted by the address the proxy saw.
    assert [ask("10.0.0.2", "198.51.100.1, 203.0.113.60") for _ in range(3)] == [200, 200, 429]
    assert ask("10.0.0.2", "203.0.113.61") == 200
    # A client cannot pose as another by prefixing the header: the proxy appends what it saw.
    assert ask("10.0.0.2", "203.0.113.61, 203.0.113.60") == 429


def test_the_client_address_is_the_resolved_remote_address() -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.70")
    request_resolve(request.META, PROXIES)
    assert client_address(request) == "203.0.113.70"
    assert request.META[PEER] == "10.0.0.9"


def test_a_request_without_an_address_has_no_client_address() -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    assert client_address(request) is None
    request.META["REMOTE_ADDR"] = "not an address"
    assert client_address(request) is None
    assert client_address(None) is None
