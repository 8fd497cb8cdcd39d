"""A local OpenID Connect provider for the single sign-on tests: a small HTTP server on 127.0.0.1
(a random port, its own thread) serving discovery, JWKS, authorize (straight back with a code),
token (an RS256 ID token signed with a key made here) and userinfo.

What the next sign-in says is set on the instance: ``claims`` (the person), ``token_changes`` (to
spoil the ID token: another audience or issuer, an old expiry; None removes a claim),
``sign_with`` (another key: a bad signature), ``replay_id_token`` (an earlier token, nonce and
all) and ``userinfo_changes`` (what userinfo says beyond the claims). The token endpoint checks the client's secret, the code (once) and the PKCE verifier.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from nrm.testing import QuietJsonHandler

CLIENT_ID = "open-nrm-test"
CLIENT_SECRET = "fake-provider-client-secret"
KEY_ID = "fake-provider-key-1"
MFA_ACR = "http://example.test/acr/mfa"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProvider:
    def __init__(self) -> None:
        self.key = new_key()
        self.claims: dict[str, Any] = {}
        self.token_changes: dict[str, Any] = {}
        self.sign_with: rsa.RSAPrivateKey | None = None
        self.replay_id_token: str | None = None
        self.userinfo_changes: dict[str, Any] = {}
        self.issued_id_tokens: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.offers_sign_out = True  # an end_session_endpoint in the discovery document
        self.sign_outs: list[dict[str, str]] = []  # the end-session requests received
        self._codes: dict[str, dict[str, str]] = {}
        self._access: dict[str, dict[str, Any]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks", "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            **({"end_session_endpoint": f"{self.issuer}/logout"} if self.offers_sign_out else {}),
        }

    def end_session(self, query: dict[str, str]) -> tuple[int, str]:
        """RP-Initiated Logout: the session ends if the ID token is one issued here to this client;
        the browser goes back to the service's address."""
        self.sign_outs.append(query)
        if query.get("id_token_hint") not in self.issued_id_tokens or query.get("client_id") != CLIENT_ID:
            return 400, ""
        return 302, query.get("post_logout_redirect_uri", "")

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> str:
        """The browser's stop here: where it is sent back to (the person is already signed in)."""
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert query["code_challenge"]
        code = secrets.token_urlsafe(16)
        self._codes[code] = query
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        asked = self._codes.pop(form.get("code", ""), None)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge.decode().rstrip("=") != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"}
        subject = str(self.claims.get("sub", "subject-" + str(self.claims.get("email", ""))))
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "sub": subject, "aud": CLIENT_ID, "iat": now,
                                   "exp": now + 300, "nonce": asked.get("nonce"), **self.claims}
        for name, value in self.token_changes.items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        id_token = self.replay_id_token or jwt.encode(payload, self.sign_with or self.key, algorithm="RS256",
                                                      headers={"kid": KEY_ID})
        self.issued_id_tokens.append(id_token)
        access_token = secrets.token_urlsafe(16)
        self._access[access_token] = {"sub": subject, **{k: v for k, v in self.claims.items() if k not in {"amr", "acr"}},
                                      **self.userinfo_changes}
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        found = self._access.get(authorization.removeprefix("Bearer "))
        return (200, found) if found is not None else (401, {"error": "invalid_token"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(QuietJsonHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self.send_json(200, provider.discovery())
                elif url.path == "/jwks":
                    self.send_json(200, provider.jwks())
                elif url.path == "/authorize":
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path == "/logout":
                    status, location = provider.end_session(query)
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path == "/userinfo":
                    self.send_json(*provider.userinfo(self.headers.get("Authorization", "")))
                else:
                    self.send_json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token":
                    self.send_json(*provider.token(form))
                else:
                    self.send_json(404, {"error": "not_found"})

        return Handler


@contextmanager
def fake_provider_configured(settings: Any, monkeypatch: Any) -> Iterator[FakeProvider]:
    """A started fake provider that the service's single sign-on settings point at (pytest's
    ``settings`` and ``monkeypatch``). The checked-in table maps the Metropolitan Police only (first
    responders, partner recipients); caseworkers, whose role needs a second factor, come from a test
    domain, ``sca.example.gov.uk``, mapped here to the SCA. An acr of ``MFA_ACR`` means MFA."""
    from nrm.accounts import single_sign_on
    from nrm.accounts.sign_in_claims import SignOnTable, sign_on_table

    fake = FakeProvider().start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.NRM_OIDC_ISSUER = fake.issuer
    settings.NRM_OIDC_CLIENT_ID = CLIENT_ID
    settings.NRM_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.NRM_OIDC_ENDPOINTS = dict.fromkeys(single_sign_on.ENDPOINTS, "")
    settings.NRM_OIDC_MFA_ACRS = [MFA_ACR]
    table = sign_on_table()
    monkeypatch.setattr(single_sign_on, "sign_on_table", lambda: SignOnTable(
        organisations={**table.organisations, "sca.example.gov.uk": "sca"}, roles=table.roles))
    try:
        yield fake
    finally:
        fake.stop()
