"""The production server and the demo as real processes: they serve, and whatever signal stops
them (SIGKILL included), their worker processes stop too."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nrm.site.server import MAX_DEFAULT_WORKERS, gunicorn_options, worker_count
from nrm.site.tests.production import production_env

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
NRM = [sys.executable, "-m", "nrm.cli"]
STOP_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL]


@pytest.mark.parametrize(("cpus", "expected"), [(1, 3), (2, 5), (3, 7), (4, MAX_DEFAULT_WORKERS), (64, MAX_DEFAULT_WORKERS)])
def test_workers_are_two_per_cpu_plus_one_capped(cpus: int, expected: int) -> None:
    assert worker_count({}, cpus) == expected


def test_web_concurrency_overrides_the_worker_count() -> None:
    assert worker_count({"WEB_CONCURRENCY": "12"}, 2) == 12
    assert worker_count({"WEB_CONCURRENCY": " "}, 1) == 3


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_wrong_web_concurrency_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        worker_count({"WEB_CONCURRENCY": value}, 2)


def test_gunicorn_settings_from_the_environment() -> None:
    options = gunicorn_options("127.0.0.1:9000", {"NRM_REQUEST_TIMEOUT": "12", "NRM_GRACEFUL_TIMEOUT": "7",
                                                  "WEB_CONCURRENCY": "2"})
    assert options["bind"] == ["127.0.0.1:9000"]
    assert options["workers"] == 2
    assert options["timeout"] == 12
    assert options["graceful_timeout"] == 7
    # gunicorn believes no proxy header (nrm.core.proxies does that) and writes no access log.
    assert options["forwarded_allow_ips"] == ""
    assert options["secure_scheme_headers"] == {}
    assert options["accesslog"] is None


# Processes -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until_gone(pids: set[int], seconds: float = 20) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if _running(pid)}
        if not left:
            return left
        time.sleep(0.2)
    return {pid for pid in pids if _running(pid)}


def _wait_for_children(pid: int, count: int, seconds: float = 60) -> set[int]:
    deadline = time.monotonic() + seconds
    while len(children := _children(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return children


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _wait_for_port(process: subprocess.Popen[bytes], port: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped (exit {process.returncode})")
        try:
            _get(port, "/health/live")
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer in time")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied by each test."""
    tmp = tmp_path_factory.mktemp("migrated")
    subprocess.run([*NRM, "migrate", "--verbosity", "0"], env=production_env(tmp), check=True, timeout=300)
    return tmp / "nrm.sqlite3"


@pytest.fixture
def database(migrated: Path, tmp_path: Path) -> Path:
    shutil.copy(migrated, tmp_path / "nrm.sqlite3")
    return tmp_path


@pytest.fixture
def stopper() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test started, killed (with their children) if the test left them running."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        children = _children(process.pid) if sys.platform.startswith("linux") else set()
        if process.poll() is None:
            process.kill()
            process.wait()
        for child in children:
            if _running(child):
                os.kill(child, signal.SIGKILL)


def test_serve_production_needs_production_settings(tmp_path: Path) -> None:
    env = production_env(tmp_path, NRM_ENVIRONMENT="development")
    result = subprocess.run([*NRM, "serve", "--production"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "NRM_ENVIRONMENT=production" in result.stderr


def test_serve_production_refuses_to_start_before_migrations(tmp_path: Path) -> None:
    result = subprocess.run([*NRM, "serve", "--production", f"127.0.0.1:{_free_port()}"], env=production_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "nrm migrate" in result.stderr


@linux_only
@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_production_server_stops_its_workers_on_any_signal(database: Path, stopper: list[subprocess.Popen[bytes]],
                                                          sig: int) -> None:
    port = _free_port()
    # A worker still starting (importing the service on a busy machine) cannot take the signal yet;
    # the master then kills it when the graceful timeout ends, so the test waits a little longer.
    server = subprocess.Popen([*NRM, "serve", "--production", f"127.0.0.1:{port}"],
                              env=production_env(database, WEB_CONCURRENCY="2", NRM_GRACEFUL_TIMEOUT="5"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopper.append(server)
    _wait_for_port(server, port)
    response = _get(port, "/health/live")
    assert response.status == 200
    assert response.getheader("Server") == "nrm", "the Server header names no product or version"
    workers = _wait_for_children(server.pid, 2)
    assert len(workers) == 2

    server.send_signal(sig)
    assert _wait_until_gone(workers, seconds=30) == set()
    assert server.wait(timeout=30) is not None


@linux_only
@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_demo_stops_its_worker_on_any_signal(database: Path, stopper: list[subprocess.Popen[bytes]], sig: int) -> None:
    port = _free_port()
    demo = subprocess.Popen([*NRM, "demo", "--cases", "0", "--addrport", f"127.0.0.1:{port}"],
                            env=production_env(database, NRM_ENVIRONMENT="development"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopper.append(demo)
    _wait_for_port(demo, port, seconds=180)
    workers = _wait_for_children(demo.pid, 1)
    assert len(workers) == 1, "the demo runs one worker beside the web server"

    demo.send_signal(sig)
    assert _wait_until_gone(workers) == set()
    assert demo.wait(timeout=30) is not None


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_the_development_server_stops_on_any_signal(database: Path, stopper: list[subprocess.Popen[bytes]],
                                                    sig: int) -> None:
    port = _free_port()
    server = subprocess.Popen([*NRM, "serve", f"127.0.0.1:{port}"],
                              env=production_env(database, NRM_ENVIRONMENT="development"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopper.append(server)
    _wait_for_port(server, port, seconds=180)
    children = _children(server.pid)
    server.send_signal(sig)
    assert server.wait(timeout=30) == 128 + sig
    assert _wait_until_gone(children) == set()


def test_the_deployment_checks_are_clean_under_production_settings(tmp_path: Path) -> None:
    result = subprocess.run([*NRM, "check", "--deploy", "--fail-level", "WARNING"], env=production_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# The production server's settings with an application that takes as many seconds as it is asked
# (the service has no page that is slow on purpose).
SLOW_SERVER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
django.setup()
from nrm.site import server

def slow(environ, start_response):
    time.sleep(float(environ.get("QUERY_STRING") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]

class Slow(server.ProductionServer):
    def load(self):
        return slow

Slow(server.gunicorn_options(sys.argv[1], os.environ)).run()
"""


def _slow_server(database: Path, stopper: list[subprocess.Popen[bytes]], **env: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SLOW_SERVER, f"127.0.0.1:{port}"],
                              env=production_env(database, WEB_CONCURRENCY="1", **env),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopper.append(server)
    _wait_for_port(server, port)
    return server, port


def _slow_get(port: int, seconds: float, answers: list[object]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"/?{seconds}")
        response = conn.getresponse()
        answers.append((response.status, response.read()))
    except OSError as exc:
        answers.append(exc)
    finally:
        conn.close()


@linux_only
def test_sigterm_lets_a_request_in_flight_finish(database: Path, stopper: list[subprocess.Popen[bytes]]) -> None:
    import threading

    server, port = _slow_server(database, stopper, NRM_GRACEFUL_TIMEOUT="20")
    answers: list[object] = []
    request = threading.Thread(target=_slow_get, args=(port, 3, answers))
    request.start()
    time.sleep(1)  # the request is being served
    server.send_signal(signal.SIGTERM)
    request.join(timeout=30)
    assert answers == [(200, b"done")]
    assert server.wait(timeout=30) == 0


@linux_only
def test_a_request_longer_than_the_timeout_is_stopped_and_its_worker_replaced(
        database: Path, stopper: list[subprocess.Popen[bytes]]) -> None:
    server, port = _slow_server(database, stopper, NRM_REQUEST_TIMEOUT="2")
    answers: list[object] = []
    started = time.monotonic()
    _slow_get(port, 20, answers)
    assert time.monotonic() - started < 15, "the request was not stopped at the timeout"
    assert len(answers) == 1
    assert isinstance(answers[0], OSError) or answers[0] != (200, b"done")
    assert _get(port, "/").status == 200  # a new worker answers
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0


@linux_only
def test_production_logs_are_one_json_object_per_line_without_personal_data(
        database: Path, stopper: list[subprocess.Popen[bytes]]) -> None:
    import json

    port = _free_port()
    log = database / "server.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen([*NRM, "serve", "--production", f"127.0.0.1:{port}"],
                                  env=production_env(database, WEB_CONCURRENCY="1", NRM_LOG_LEVEL="INFO"),
                                  stdout=subprocess.DEVNULL, stderr=stderr)
        stopper.append(server)
        _wait_for_port(server, port)
        assert _get(port, "/health/live?email=tomasz.nowak@example.org").status == 200
        assert _get(port, "/cases/tomasz.nowak").status == 301  # plain HTTP is sent to HTTPS first
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not not_json
    entries = [json.loads(line) for line in lines]
    requests = [e for e in entries if e["logger"] == "nrm.request"]
    assert [(e["method"], e["path"], e["status"]) for e in requests][-2:] == [
        ("GET", "/health/live", 200), ("GET", "(no page)", 301)]
    assert all(len(e["request_id"]) == 32 for e in requests)
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    assert "tomasz" not in log.read_text()


@pytest.mark.django_db  # the model checks ask the database what it supports
def test_an_error_from_the_deployment_checks_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    from django.core import checks

    from nrm.site.server import deployment_checks

    def broken(**kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Error("the test's own deployment error", id="nrm.E999")]

    checks.register(broken, deploy=True)
    try:
        assert deployment_checks() >= 1
    finally:
        checks.registry.registry.deployment_checks.discard(broken)
    assert any("the test's own deployment error" in r.getMessage() and r.levelno == 40 for r in caplog.records)
