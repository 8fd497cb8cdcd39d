"""A local stand-in for GOV.UK Notify's API, for tests: an HTTP server on 127.0.0.1 (random port)
in a thread. It checks the JWT in each request's Authorization header as Notify does (HS256,
signed with the key's secret, issued by the service id, recently), keeps the notifications it
accepts, answers look-ups by reference, and can be told to fail the next requests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt

from nrm.testing import QuietJsonHandler

SERVICE_ID = str(uuid.UUID(int=0x5E5))
SECRET = str(uuid.UUID(int=0x5EC2E7))
API_KEY = f"open_nrm_test-{SERVICE_ID}-{SECRET}"


@dataclass
class FakeNotify:
    """What the server holds. ``failures`` are status codes for the next sends, in order; a code
    in ``accept_then_fail`` is answered after the notification was accepted (Notify took it but
    the answer was lost)."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    failures: deque[int] = field(default_factory=deque)
    accept_then_fail: set[int] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refused_auth: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, *codes: int) -> None:
        self.failures.extend(codes)


def _authorised(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer":
        return False
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
    except jwt.InvalidTokenError:
        return False
    return bool(claims["iss"] == SERVICE_ID and abs(time.time() - float(claims["iat"])) < 30)


class _Handler(QuietJsonHandler):
    state: FakeNotify

    def _fail(self, status: int, message: str) -> None:
        self.send_json(status, {"status_code": status, "errors": [{"error": "Fake", "message": message}]})

    def _refuse_auth(self, method: str) -> bool:
        with self.state.lock:
            self.state.requests.append((method, self.path))
        if _authorised(self.headers.get("Authorization", "")):
            return False
        with self.state.lock:
            self.state.refused_auth += 1
        self._fail(403, "Invalid token")
        return True

    def do_GET(self) -> None:
        if self._refuse_auth("GET"):
            return
        reference = parse_qs(urlparse(self.path).query).get("reference", [None])[0]
        with self.state.lock:
            found = [n for n in self.state.notifications if reference is None or n["reference"] == reference]
        self.send_json(200, {"notifications": found, "links": {}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self._refuse_auth("POST"):
            return
        with self.state.lock:
            failure = self.state.failures.popleft() if self.state.failures else None
        if failure is not None and failure not in self.state.accept_then_fail:
            self._fail(failure, "told to fail")
            return
        notification = {"id": str(uuid.uuid4()), "reference": body.get("reference"),
                        "email_address": body["email_address"], "template": {"id": body["template_id"]},
                        "personalisation": body.get("personalisation", {}), "status": "created"}
        with self.state.lock:
            self.state.notifications.append(notification)
        if failure is not None:
            self._fail(failure, "accepted, but the answer is lost")
            return
        self.send_json(201, {"id": notification["id"], "reference": notification["reference"], "content": {},
                           "uri": "", "template": notification["template"]})


class FakeNotifyServer:
    def __init__(self) -> None:
        self.state = FakeNotify()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"state": self.state}))
        self.state.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNotify:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
