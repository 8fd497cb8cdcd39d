"""Which proxy headers to believe: only those from the proxies named in ``NRM_TRUSTED_PROXIES``.

Behind a load balancer or a reverse proxy, the peer of every request is the proxy: the client's
address and whether it came over HTTPS travel in ``X-Forwarded-For`` and ``X-Forwarded-Proto``.
Anyone can send those headers, so they are believed only when the peer (``REMOTE_ADDR``) is a
trusted proxy. :class:`TrustedProxyMiddleware`, first in the middleware, then

- sets ``REMOTE_ADDR`` to the client: the right-most address of ``X-Forwarded-For`` that is not
  itself a trusted proxy (each proxy appends the peer it saw, so addresses left of that were
  written by the client and prove nothing);
- sets the request's scheme (``wsgi.url_scheme``) from ``X-Forwarded-Proto`` (the proxy in front
  of the service must set it, not append to it; its last value counts);
- removes both headers from requests that did not come from a trusted proxy, so nothing later
  can believe them.

The peer's own address is kept in ``request.META["NRM_PEER_ADDR"]``. Everything that needs the
client's address (throttling, the account lockout's records) asks :func:`client_address`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PEER = "NRM_PEER_ADDR"


def networks_parse(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR ranges (``10.0.0.0/8``, ``192.0.2.7``, ``2001:db8::/32``) as networks."""
    parsed = []
    for entry in entries:
        try:
            parsed.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"NRM_TRUSTED_PROXIES: {entry!r} is not an IP address or a CIDR range (like 10.0.0.0/8)."
            ) from None
    return tuple(parsed)


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return networks_parse(entries)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: str, networks: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The client's address, given a trusted ``peer`` and the ``X-Forwarded-For`` it sent: the
    right-most hop that is not a trusted proxy (a malformed hop ends the walk at the last good one)."""
    client = peer
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not any(address in network for network in networks):
            break
    return client


def trusted_networks() -> tuple[Network, ...]:
    return _trusted(tuple(settings.NRM_TRUSTED_PROXIES))


def request_resolve(meta: dict[str, object], networks: Sequence[Network]) -> None:
    """Rewrite a request's ``META`` as the module's description says."""
    peer = str(meta.get("REMOTE_ADDR") or "")
    meta[PEER] = peer
    if not is_trusted(peer, networks):
        meta.pop("HTTP_X_FORWARDED_FOR", None)
        meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return
    forwarded_for = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    if forwarded_for:
        meta["REMOTE_ADDR"] = forwarded_client(peer, forwarded_for, networks)
    proto = str(meta.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[-1].strip().lower()
    if proto in {"http", "https"}:
        meta["wsgi.url_scheme"] = proto


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_resolve(request.META, trusted_networks())
        return self.get_response(request)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address: the peer's, or the one a trusted proxy forwarded; None if the request
    has none (a request made inside the process, a test's)."""
    meta = getattr(request, "META", None) or {}
    address = _address(str(meta.get("REMOTE_ADDR") or ""))
    return None if address is None else str(address)
