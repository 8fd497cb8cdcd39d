"""Load test of the production set-up: two web instances (`nrm serve --production`) and two
workers (`nrm worker`) on 127.0.0.1 against a scratch PostgreSQL database, driven by simulated
users at several concurrency levels.

    .venv/bin/python bench/load.py [--server postgres://postgres@127.0.0.1:5432/postgres]
                                   [--users 10,50,200] [--seconds 20] [--web-concurrency 3] [--cases 300]

Each user is a thread that opens a page, waits 0.2-1 s (reading), and opens the next, over a new
connection each time (as the proxy in front would send them), with the proxy's headers
(`X-Forwarded-Proto: https` from 127.0.0.1, named in NRM_TRUSTED_PROXIES). The mix: 40% signed
out (start page, cookies, sign-in page, publications, a stylesheet), 30% a first responder (home,
their referrals, cases they referred), 30% a caseworker (the queue, a case). Prints requests per
second, p50/p95/p99 per page, errors, and the most PostgreSQL connections open at once (sampled
every 0.2 s). The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common

ROOT = _common.ROOT
NRM = [sys.executable, "-m", "nrm.cli"]
THINK = (0.2, 1.0)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(database_url: str, var: Path, web_concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_")}
    env.update({
        "NRM_ENVIRONMENT": "production", "DATABASE_URL": database_url,
        "NRM_SECRET_KEY": secrets.token_urlsafe(50), "NRM_PSEUDONYMISATION_KEY": secrets.token_urlsafe(50),
        "NRM_AUDIT_SEAL_KEY": secrets.token_urlsafe(50),
        "NRM_DATA_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(), "NRM_AUDIT_SEAL_DIR": str(var / "seals"),
        "NRM_VAR_DIR": str(var), "NRM_ALLOWED_HOSTS": "127.0.0.1", "NRM_TRUSTED_PROXIES": "127.0.0.1",
        "NRM_LOG_LEVEL": "WARNING", "NRM_REQUEST_LOG": "0", "WEB_CONCURRENCY": str(web_concurrency),
        # SMTP to a port nothing listens on: the messages wait in the outbox, as in an email outage.
        "NRM_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "nrm.settings",
    })
    return env


# Set-up -----------------------------------------------------------------------------------------


def _database(server_url: str, name: str, *, drop: bool = False) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


@dataclass
class World:
    first_responder_cookie: str
    caseworker_cookie: str
    case_ids: list[str]


def _session_cookie(user: Any) -> str:
    """A signed-in session (second factor included) for ``user``, as sign-in would make it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _prepare(env: dict[str, str], cases: int) -> World:
    """Migrate, load roles, demo users and synthetic cases, and sign two users in (in this process,
    as development: synthetic data is refused in production; the secret key is the instances')."""
    os.environ.update({**env, "NRM_ENVIRONMENT": "development", "NRM_DEBUG": "0"})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from nrm.accounts.demo import demo_users_create
    from nrm.accounts.models import User
    from nrm.cases.models import Case
    from nrm.synth.database import synth_into_db

    call_command("migrate", interactive=False, verbosity=0)
    call_command("sync_roles", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    demo_users_create()
    synth_into_db(referrals=cases, seed=2026)
    first_responder = User.objects.get(email="first.responder@police.demo.open-nrm.uk")
    caseworker = User.objects.get(email="caseworker@sca.demo.open-nrm.uk")
    world = World(_session_cookie(first_responder), _session_cookie(caseworker),
                  [str(pk) for pk in Case.objects.filter(competent_authority="SCA").values_list("pk", flat=True)[:200]])
    connections.close_all()
    return world


def _start(env: dict[str, str], ports: list[int], workers: int, processes: list[subprocess.Popen[bytes]]) -> None:
    """Start the instances and workers into ``processes`` (each stops if this process dies), and
    wait until every instance is ready."""
    from nrm.core.processes import die_with_parent

    for port in ports:
        processes.append(subprocess.Popen([*NRM, "serve", "--production", f"127.0.0.1:{port}"], env=env, cwd=ROOT,
                                          preexec_fn=die_with_parent))
    for _ in range(workers):
        processes.append(subprocess.Popen([*NRM, "worker", "--verbosity", "0"], env=env, cwd=ROOT,
                                          preexec_fn=die_with_parent))
    deadline = time.monotonic() + 180
    for port in ports:
        while True:
            try:
                if _request(port, "/health/ready", "")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the instance on port {port} did not become ready")
            time.sleep(0.5)


# Load ------------------------------------------------------------------------------------------


def _request(port: int, path: str, cookie: str) -> tuple[int, float]:
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


Page = tuple[str, str, str]  # label, path, cookie


def _pages(world: World, rng: random.Random) -> Callable[[], Page]:
    signed_out: list[Page] = [("start", "/", ""), ("cookies", "/cookies", ""), ("sign-in", "/sign-in", ""),
                              ("publications", "/statistics/", ""),
                              ("stylesheet", "/static/govuk/govuk-frontend.min.css", "")]
    first_responder: list[Page] = [("home (FR)", "/", world.first_responder_cookie),
                                   ("referrals", "/referrals/", world.first_responder_cookie),
                                   ("cases referred", "/cases/referred", world.first_responder_cookie)]

    def caseworker() -> Page:
        if rng.random() < 0.5 or not world.case_ids:
            return ("queue", "/cases/", world.caseworker_cookie)
        return ("case", f"/cases/{rng.choice(world.case_ids)}", world.caseworker_cookie)

    def pick() -> Page:
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(signed_out)
        if roll < 0.7:
            return rng.choice(first_responder)
        return caseworker()

    return pick


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, status: int | None, seconds: float) -> None:
        with self.lock:
            if status is None or status >= 400:
                self.errors[label] += 1
            else:
                self.latencies[label].append(seconds)


def _user(world: World, ports: list[int], stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    pick = _pages(world, rng)
    port = ports[seed % len(ports)]
    while not stop.is_set():
        label, path, cookie = pick()
        try:
            status, seconds = _request(port, path, cookie)
        except OSError:
            status, seconds = None, 0.0
        tally.add(label, status, seconds)
        stop.wait(rng.uniform(*THINK))


def _connections(server_url: str, name: str, stop: threading.Event, seen: list[int]) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()
            seen.append(int(row[0]) if row else 0)
            stop.wait(0.2)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def _level(world: World, ports: list[int], users: int, seconds: float, server_url: str, name: str) -> None:
    tally, stop, seen = Tally(), threading.Event(), [0]
    sampler = threading.Thread(target=_connections, args=(server_url, name, stop, seen), daemon=True)
    sampler.start()
    threads = [threading.Thread(target=_user, args=(world, ports, stop, tally, n), daemon=True) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    elapsed = time.monotonic() - started
    done = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.errors.values())
    print(f"\n### {users} users, {elapsed:.0f} s: {done / elapsed:.1f} requests/s, {errors} errors, "
          f"at most {max(seen)} PostgreSQL connections\n")
    print("| page | requests | p50 ms | p95 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in sorted(set(tally.latencies) | set(tally.errors)):
        values = tally.latencies[label]
        print(f"| {label} | {len(values)} | {_percentile(values, 0.5):.0f} | {_percentile(values, 0.95):.0f} | "
              f"{_percentile(values, 0.99):.0f} | {tally.errors[label]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--users", default="10,50,200")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web-concurrency", type=int, default=3)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    name = f"nrm_load_{os.getpid()}"
    var = ROOT / "bench" / "out" / name
    var.mkdir(parents=True, exist_ok=True)
    env = _environment(_database(args.server, name), var, args.web_concurrency)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _log(f"Preparing {name}: migrations, demo users, {args.cases} synthetic cases")
        world = _prepare(env, args.cases)
        ports = [_free_port(), _free_port()]
        _log(f"Starting 2 web instances (WEB_CONCURRENCY={args.web_concurrency}) and 2 workers")
        _start(env, ports, 2, processes)
        print(f"\nMachine: {_common.cpu_model()}, {os.cpu_count()} CPUs. Web: 2 x {args.web_concurrency} sync "
              f"workers; 2 outbox workers; think time {THINK[0]}-{THINK[1]} s.")
        for users in [int(u) for u in args.users.split(",")]:
            _level(world, ports, users, args.seconds, args.server, name)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        _database(args.server, name, drop=True)


if __name__ == "__main__":
    main()
