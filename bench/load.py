"""Load test of the production set-up: two web instances (`nrm serve --production`) and two
workers (`nrm worker`) on 127.0.0.1 against a scratch PostgreSQL database of 100,000 cases,
driven by simulated people at several concurrency levels; with ``--fault``, one web instance and
one worker are killed with SIGKILL mid-load and every referral and message is counted.

    .venv/bin/python bench/load.py [--server postgres://postgres@127.0.0.1:5432/postgres]
                                   [--database nrm_load] [--cases 100000] [--users 10,50,200]
                                   [--seconds 60] [--think 3,12] [--web-concurrency 3] [--fault] [--quick] [--keep]

The scratch database (``--database``, ``nrm_load`` by default) is dropped and created again, its
cases loaded with COPY by bench/queue.py's loader, and dropped at the end; no other database is
touched. Every server started here listens on 127.0.0.1 and is stopped when the run ends (or
when this process dies).

Each simulated person is a thread with a role, waiting ``--think`` seconds (uniform) between
pages, over a new connection each time (as the proxy in front would send them), with the
proxy's headers (`X-Forwarded-Proto: https` from 127.0.0.1, named in NRM_TRUSTED_PROXIES):

- first responders (35%): their home page and referrals list, then either a new referral filled
  in page by page (GET and POST of each of the journey's 22-23 pages, CSRF token and all) or a
  saved draft resumed for its last three pages (half each), checked, submitted, and the
  confirmation page;
- caseworkers of the SCA (40%): the queue and case pages of random cases;
- partners (15%): the Metropolitan Police crime unit and Camden children's social care open
  their inbox and acknowledge the crime referrals and safeguarding notifications sent to them;
- signed out (10%): start page, sign-in page, publications.

Per stage it prints requests per second, p50/p95/p99 per page, errors, the most PostgreSQL
connections open at once on the scratch database (sampled every 0.2 s) and the load average.

``--fault`` runs one stage instead (50 people, think 0.3-1.5 s, more first responders so that
many referrals are in flight) and, halfway through, SIGKILLs one worker (when it holds claimed
messages, if it does within a few seconds) and one web instance (its whole process group: the
gunicorn master and its workers, as when a container dies; when a submit is waiting for its
answer there, if one is within 20 s). The client acts as the proxy would: a refused connection
is sent to the surviving instance. Every submit is written in a
ledger with its draft id (the submit's idempotency key: a second submit of a draft creates
nothing); after the stage the unanswered ones are pressed again, as the person would, and then
the database and the mail delivered are counted: referrals accepted vs rows, cases and partner
messages per referral, each outbox message delivered exactly once (`IdempotentFileBackend`:
one file per idempotency key, repeats logged) and none left unsent, the killed worker's claims
sent by the survivor, and no error from the survivors after the kill. Exits 1 if anything is
lost or duplicated.
"""

from __future__ import annotations

import argparse
import base64
import html
import http.client
import importlib.util
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import _common

ROOT = _common.ROOT
NRM = [sys.executable, "-m", "nrm.cli"]
STARTUP_SECONDS = 180
DRAIN_SECONDS = 120
LEASE_SECONDS = 10  # outbox claim lease in the bench, so a dead worker's claims are retaken within the run
MIX = (("first responder", 0.35), ("caseworker", 0.40), ("partner", 0.15), ("signed out", 0.10))
FAULT_MIX = (("first responder", 0.60), ("caseworker", 0.25), ("partner", 0.15))
FIRST_RESPONDERS = "@first-responders.load.invalid"  # each simulated first responder's account: n@...
CASEWORKER = "caseworker@sca.demo.open-nrm.uk"
PARTNERS = ("crime.unit@police.demo.open-nrm.uk", "childrens.services@la.demo.open-nrm.uk")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GUIDANCE_FIELD = re.compile(r'name="guidance_shown" id="guidance-shown" value="([^"]*)"')
INBOX_MESSAGE = re.compile(r'href="/inbox/([0-9a-f-]{36})"')


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


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
        # A provider that honours idempotency keys, writing each message once under var/mail
        # (nrm.notify.backends), so deliveries can be counted across worker processes.
        "NRM_EMAIL_BACKEND": "nrm.notify.backends.IdempotentFileBackend",
        "NRM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "DJANGO_SETTINGS_MODULE": "nrm.settings",
    })
    return env


# Set-up -----------------------------------------------------------------------------------------


def _database(server_url: str, name: str, *, drop: bool = False) -> str:
    """Drop the scratch database ``name`` (only that one) and, unless ``drop``, create it again."""
    import psycopg

    if not name.startswith("nrm_load"):
        raise SystemExit(f"refusing to drop {name!r}: the scratch database's name starts with nrm_load")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


@dataclass
class World:
    """What the simulated people need: a session per person and role, and the cases to open."""

    sessions: dict[str, list[str]]  # role -> session cookies ("name=value"), one per person
    case_ids: list[str]
    # The saved drafts of each first responder (by session): (page to resume at, answers).
    drafts: dict[int, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saved_draft(self, account: int) -> tuple[str, dict[str, Any]] | None:
        with self.lock:
            mine = self.drafts.get(account)
            return mine.pop() if mine else None


RESUMED_PAGES = 3  # a saved draft is resumed this many pages before its end
DRAFTS_EACH = 4  # saved drafts per first responder at the start


def _first_responders(count: int) -> list[Any]:
    """``count`` first responders of the Metropolitan Police, one per simulated person."""
    from nrm.accounts.models import User
    from nrm.accounts.roles import Role
    from nrm.accounts.services import membership_grant
    from nrm.reference.models import Organisation

    organisation = Organisation.objects.get(slug="police-e23000001")
    made = []
    for n in range(count):
        user = User.objects.create_user(f"{n}{FIRST_RESPONDERS}", secrets.token_urlsafe(20),
                                        full_name=f"Officer {n}", job_title="Detective Constable", phone="020 7946 0000")
        membership_grant(user=user, organisation=organisation, role=Role.FIRST_RESPONDER)
        made.append(user)
    return made


def _saved_drafts(author: Any, count: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """``count`` drafts of ``author``, answered all through, as saved and left; each as the path
    of the page it is resumed at (a few pages before the end) and its answers."""
    from nrm.reference.models import Organisation
    from nrm.referrals import journey
    from nrm.referrals.services import referral_start

    organisation = Organisation.objects.get(slug="police-e23000001")
    paths = []
    for _ in range(count):
        referral = referral_start(actor=author, organisation=organisation)
        referral.answers = _answers(rng)
        referral.save(update_fields=["answers"])
        steps, step = [], journey.STEPS[0]
        while step is not None:
            steps.append(step.slug)
            step = journey.next_step(step, referral.answers)
        paths.append((f"/referrals/{referral.pk}/{steps[-RESUMED_PAGES]}", referral.answers))
    return paths


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


def _queue_loader() -> Any:
    """bench/queue.py, the COPY loader of the million-case benchmark, imported under another name
    (as `queue` it would hide the standard library's module)."""
    spec = importlib.util.spec_from_file_location("bench_queue", _common.HERE / "queue.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_queue"] = module
    spec.loader.exec_module(module)
    return module


def _prepare(env: dict[str, str], cases: int, people: Mapping[str, int], drafts: int) -> World:
    """Migrate, load roles and demo users, COPY ``cases`` synthetic cases in, make a session for
    each person of ``people`` (role -> how many: first responders with an account each and
    ``drafts`` saved drafts each; caseworkers and partners share the demo accounts) (in this
    process, as development: synthetic data is refused in production; the secret key is the
    instances')."""
    os.environ.update({**env, "NRM_ENVIRONMENT": "development", "NRM_DEBUG": "0"})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from nrm.accounts.demo import demo_users_create
    from nrm.accounts.models import User
    from nrm.cases.models import Case

    call_command("migrate", interactive=False, verbosity=0)
    call_command("sync_roles", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    demo_users_create()
    _queue_loader().load(cases, seed=2026)
    first_responders = _first_responders(people["first responder"])
    users = {"first responder": first_responders,
             "caseworker": [User.objects.get(email=CASEWORKER)],
             "partner": list(User.objects.filter(email__in=PARTNERS).order_by("email"))}
    sessions = {role: [_session_cookie(accounts[n % len(accounts)]) for n in range(people[role])]
                for role, accounts in users.items()}
    sessions["signed out"] = [""] * people["signed out"]
    case_ids = [str(pk) for pk in Case.objects.filter(competent_authority="SCA").order_by("?")
                .values_list("pk", flat=True)[:5000]]
    rng = random.Random(2026)
    saved = {n: _saved_drafts(author, drafts, rng) for n, author in enumerate(first_responders)}
    connections.close_all()
    return World(sessions, case_ids, saved)


class Servers:
    """The web instances and workers, each in a process group of its own (so an instance can be
    killed whole), each stopping if this process dies."""

    def __init__(self, env: dict[str, str], var: Path) -> None:
        self.env = env
        self.var = var
        self.web: dict[int, subprocess.Popen[bytes]] = {}
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        from nrm.core.processes import die_with_parent

        with open(self.var / log, "ab") as out:
            return subprocess.Popen([*NRM, *args], env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                    preexec_fn=die_with_parent, start_new_session=True)

    def start(self, instances: int, workers: int) -> list[int]:
        for n in range(instances):
            port = _free_port()
            self.web[port] = self._spawn(["serve", "--production", f"127.0.0.1:{port}"], f"web-{n + 1}.log")
        for n in range(workers):
            self.workers.append(self._spawn(["worker", "--verbosity", "1"], f"worker-{n + 1}.log"))
        deadline = time.monotonic() + STARTUP_SECONDS
        for port in self.web:
            while not self._ready(port):
                if time.monotonic() > deadline:
                    raise SystemExit(f"the instance on port {port} did not become ready (see {self.var})")
                time.sleep(0.5)
        return list(self.web)

    @staticmethod
    def _ready(port: int) -> bool:
        try:
            return _send(port, "GET", "/health/ready", {}).status == 200
        except OSError:
            return False

    def kill_web(self, port: int) -> None:
        os.killpg(self.web[port].pid, signal.SIGKILL)
        self.web[port].wait()

    def kill_worker(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        processes = [*self.web.values(), *self.workers]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# HTTP ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str
    body: str
    cookies: dict[str, str]


def _send(port: int, method: str, path: str, cookies: Mapping[str, str], form: Mapping[str, Any] | None = None) -> Answer:
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form, doseq=True)
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://127.0.0.1",
                        "Referer": f"https://127.0.0.1{path}"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        set_cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            set_cookies[name.strip()] = rest.split(";", 1)[0]
        location = urllib.parse.urlsplit(response.getheader("Location") or "").path
        return Answer(response.status, location, text, set_cookies)
    finally:
        conn.close()


class Router:
    """The proxy in front: each person keeps to one instance; a refused connection marks the
    instance down and the request goes to the next one up (it never reached a server)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.down: set[int] = set()
        self.rerouted = 0
        self.in_flight: Counter[tuple[int, str]] = Counter()  # (port, page) -> requests waiting for an answer
        self.lock = threading.Lock()

    def send(self, preferred: int, label: str, method: str, path: str, cookies: Mapping[str, str],
             form: Mapping[str, Any] | None = None) -> Answer:
        order = self.ports[preferred % len(self.ports):] + self.ports[:preferred % len(self.ports)]
        for port in order:
            if port in self.down:
                continue
            with self.lock:
                self.in_flight[port, label] += 1
            try:
                return _send(port, method, path, cookies, form)
            except ConnectionRefusedError:
                self.down.add(port)
                self.rerouted += 1
            finally:
                with self.lock:
                    self.in_flight[port, label] -= 1
        raise ConnectionRefusedError("no instance is up")

    def busy(self, port: int, label: str) -> int:
        with self.lock:
            return self.in_flight[port, label]


@dataclass
class Tally:
    """Each request's page, outcome, time taken and when it started (monotonic seconds)."""

    rows: list[tuple[str, bool, float, float]] = field(default_factory=list)
    first_failure: dict[str, str] = field(default_factory=dict)  # page -> what its first failure was
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, ok: bool, seconds: float, started: float, failure: str = "") -> None:
        with self.lock:
            self.rows.append((label, ok, seconds, started))
            if not ok:
                self.first_failure.setdefault(label, failure)


@dataclass
class Submit:
    account: int = 0  # whose draft it is (the first responder's session)
    attempts: int = 0
    answered: bool = False
    accepted: bool = False


class Ledger:
    """Every referral submit the client attempted, by draft id (the submit's idempotency key),
    and what came back."""

    def __init__(self) -> None:
        self.submits: dict[str, Submit] = {}
        self.lock = threading.Lock()

    def attempt(self, draft_id: str, account: int = 0) -> None:
        with self.lock:
            self.submits.setdefault(draft_id, Submit(account=account)).attempts += 1

    def answer(self, draft_id: str, status: int, location: str) -> None:
        """A submit answered: accepted when it redirects to the referral's confirmation page."""
        with self.lock:
            entry = self.submits[draft_id]
            entry.answered = True
            entry.accepted = entry.accepted or (status == 302 and location == f"/referrals/{draft_id}/sent")

    def unanswered(self) -> list[str]:
        return [draft for draft, entry in self.submits.items() if not entry.answered]

    def accepted(self) -> set[str]:
        return {draft for draft, entry in self.submits.items() if entry.accepted}


class Person:
    """One simulated person: their role, session and cookies, and their instance."""

    def __init__(self, n: int, role: str, world: World, router: Router, tally: Tally, ledger: Ledger,
                 stop: threading.Event, think: tuple[float, float], account: int | None = None) -> None:
        self.n, self.role, self.world, self.router, self.tally, self.ledger = n, role, world, router, tally, ledger
        self.stop, self.think = stop, think
        self.rng = random.Random(n)
        self.account = (n if account is None else account) % len(world.sessions[role])
        session = world.sessions[role][self.account]
        self.cookies: dict[str, str] = dict([session.split("=", 1)]) if session else {}

    def page(self, label: str, path: str, form: Mapping[str, Any] | None = None) -> Answer | None:
        """One request, recorded; None if it failed (an error status or no answer)."""
        started = time.monotonic()
        try:
            answer = self.router.send(self.n, label, "POST" if form is not None else "GET", path, self.cookies, form)
        except OSError as exc:
            self.tally.add(label, False, time.monotonic() - started, started, f"{path}: {exc!r}")
            return None
        self.cookies.update(answer.cookies)
        ok = answer.status < 400
        self.tally.add(label, ok, time.monotonic() - started, started, f"{path}: {answer.status}")
        return answer if ok else None

    def pause(self) -> bool:
        """Think; False once the stage is over."""
        return not self.stop.wait(self.rng.uniform(*self.think))

    def run(self) -> None:
        act: Callable[[], None] = {"first responder": self.refer, "caseworker": self.casework,
                                   "partner": self.acknowledge, "signed out": self.browse}[self.role]
        self.stop.wait(self.rng.uniform(0, self.think[1]))  # people do not all arrive at once
        while not self.stop.is_set():
            act()
            self.pause()

    # What each role does --------------------------------------------------------------------

    def browse(self) -> None:
        label, path = self.rng.choice([("start", "/"), ("sign-in", "/sign-in"), ("publications", "/statistics/")])
        self.page(label, path)

    def casework(self) -> None:
        if self.rng.random() < 0.5 or not self.world.case_ids:
            self.page("queue", "/cases/")
        else:
            self.page("case", f"/cases/{self.rng.choice(self.world.case_ids)}")

    def acknowledge(self) -> None:
        inbox = self.page("inbox", "/inbox/")
        found = INBOX_MESSAGE.findall(inbox.body) if inbox else []
        if not found or not self.pause():
            return
        message_id = self.rng.choice(found)
        message = self.page("inbox message", f"/inbox/{message_id}")
        token = CSRF_FIELD.search(message.body) if message else None
        if token is None or not self.pause():
            return
        form = {"csrfmiddlewaretoken": html.unescape(token.group(1))}
        if 'name="crime_reference"' in message.body:  # type: ignore[union-attr]
            form["crime_reference"] = f"01/{self.rng.randrange(10000, 99999)}/26"
        self.page("acknowledge", f"/inbox/{message_id}/acknowledge", form)

    def refer(self) -> None:
        """Home, the referrals list, then half the time a saved draft's last pages and its
        submit, half the time a new referral from start to confirmation."""
        for label, path in (("home (FR)", "/"), ("referrals", "/referrals/")):
            if self.page(label, path) is None or not self.pause():
                return
        saved = self.world.saved_draft(self.account) if self.rng.random() < 0.5 else None
        if saved is not None:
            check = self.fill(*saved)
            if check is not None:
                self.submit(check)
            return
        start = self.page("referral start", "/referrals/start")
        token = CSRF_FIELD.search(start.body) if start else None
        if token is None or not self.pause():
            return
        begun = self.page("referral start (POST)", "/referrals/start",
                          {"csrfmiddlewaretoken": html.unescape(token.group(1))})
        if begun is None or begun.status != 302:
            return
        check = self.fill(begun.location, _answers(self.rng))
        if check is not None:
            self.submit(check)

    def fill(self, url: str, answers: dict[str, Any]) -> str | None:
        """Each page of the journey, read then sent; the check page's path, or None if stopped."""
        from nrm.referrals import journey
        from nrm.testing import journey_form_data

        while "/check" not in url:
            shown = self.page("referral page", url)
            token = CSRF_FIELD.search(shown.body) if shown else None
            if token is None or not self.pause():
                return None
            step = journey.STEPS_BY_SLUG[url.rsplit("/", 1)[-1]]
            form = {**journey_form_data(step, answers), "csrfmiddlewaretoken": html.unescape(token.group(1))}
            sent = self.page("referral page (POST)", url, form)
            guidance = GUIDANCE_FIELD.search(sent.body) if sent is not None and sent.status == 200 else None
            if guidance is not None:  # language guidance, shown once: sent again as read
                sent = self.page("referral page (POST)", url, {**form, "guidance_shown": html.unescape(guidance.group(1))})
            if sent is None:
                return None
            if sent.status != 302:  # the page refused an answer: a fault of this client, counted as an error
                problems = re.findall(r'<a href="#[^"]*">([^<]+)</a>', sent.body)[:3]
                self.tally.add("referral page refused", False, 0.0, time.monotonic(), f"{url}: {problems}")
                return None
            url = sent.location
        return url

    def submit(self, check_url: str) -> None:
        shown = self.page("check answers", check_url)
        token = CSRF_FIELD.search(shown.body) if shown else None
        if token is None or not self.pause():
            return
        draft_id = check_url.split("/")[2]
        self.ledger.attempt(draft_id, self.account)
        sent = self.page("submit", f"/referrals/{draft_id}/submit", {"csrfmiddlewaretoken": html.unescape(token.group(1))})
        if sent is not None:
            self.ledger.answer(draft_id, sent.status, sent.location)
            if sent.status == 302 and self.pause():
                self.page("confirmation", sent.location)


def _answers(rng: random.Random) -> dict[str, Any]:
    """Complete answers for a child (a third) or an adult, exploited in Camden, in the Met's area,
    so the crime referral reaches the Met's crime unit and a child's safeguarding notification
    Camden's children's social care (the demo partners)."""
    from nrm.referrals.tests.answer_sets import ADULT, CHILD

    chosen = CHILD if rng.random() < 1 / 3 else ADULT
    return {**chosen, "exploitation_police_force": "E23000001", "exploitation_local_authority": "E09000007",
            "last_name": rng.choice(["Popescu", "Nowak", "Nguyen", "Ahmed", "Kovacs"])}



# Stages ----------------------------------------------------------------------------------------


def _warm_up(world: World, ports: list[int], web_concurrency: int) -> None:
    """Each page once per sync worker of each instance, unmeasured: the first request of a worker
    compiles its templates."""
    pages = [("", "/"), ("first responder", "/"), ("first responder", "/referrals/"),
             ("first responder", "/referrals/start"), ("caseworker", "/cases/"), ("partner", "/inbox/")]
    pages += [("caseworker", f"/cases/{case_id}") for case_id in world.case_ids[:3]]

    def fetch(port: int, role: str, path: str) -> None:
        session = world.sessions[role][0] if role else ""
        try:
            _send(port, "GET", path, dict([session.split("=", 1)]) if session else {})
        except OSError:
            pass

    threads = [threading.Thread(target=fetch, args=(port, role, path))
               for port in ports for role, path in pages for _ in range(2 * web_concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


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


def _roles(users: int, mix: Iterable[tuple[str, float]]) -> list[str]:
    """``users`` roles in the proportions of ``mix`` (largest remainders), interleaved."""
    mix = list(mix)
    counts = {role: int(share * users) for role, share in mix}
    by_remainder = sorted(mix, key=lambda m: m[1] * users - counts[m[0]], reverse=True)
    for role, _ in by_remainder[:users - sum(counts.values())]:
        counts[role] += 1
    roles = [role for role, count in counts.items() for _ in range(count)]
    random.Random(users).shuffle(roles)
    return roles


@dataclass
class Stage:
    users: int
    seconds: float
    think: tuple[float, float]
    mix: tuple[tuple[str, float], ...] = MIX


FAULT_STAGE = Stage(users=50, seconds=60, think=(0.3, 1.5), mix=FAULT_MIX)


def _run_stage(stage: Stage, world: World, router: Router, server_url: str, name: str,
               during: Callable[[threading.Event], None] | None = None) -> tuple[Tally, Ledger, float]:
    tally, ledger, stop, seen = Tally(), Ledger(), threading.Event(), [0]
    sampler = threading.Thread(target=_connections, args=(server_url, name, stop, seen), daemon=True)
    sampler.start()
    seen_in_role: Counter[str] = Counter()
    people = []
    for n, role in enumerate(_roles(stage.users, stage.mix)):
        people.append(Person(n, role, world, router, tally, ledger, stop, stage.think, account=seen_in_role[role]))
        seen_in_role[role] += 1
    threads = [threading.Thread(target=p.run, daemon=True) for p in people]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    if during is not None:
        during(stop)
    stop.wait(max(0.0, stage.seconds - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    elapsed = time.monotonic() - started
    _report(stage, tally, elapsed, max(seen))
    return tally, ledger, started


def _report(stage: Stage, tally: Tally, elapsed: float, connections: int) -> None:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    for label, ok, seconds, _ in tally.rows:
        if ok:
            latencies[label].append(seconds)
        else:
            errors[label] += 1
    done = sum(len(v) for v in latencies.values())
    print(f"\n### {stage.users} users, think {stage.think[0]:g}-{stage.think[1]:g} s, {elapsed:.0f} s: "
          f"{done / elapsed:.1f} requests/s, {sum(errors.values())} errors, at most {connections} PostgreSQL "
          f"connections, load average {_load_average()}\n")
    print("| page | requests | p50 ms | p95 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in sorted(set(latencies) | set(errors)):
        values = latencies[label]
        print(f"| {label} | {len(values)} | {_percentile(values, 0.5):.0f} | {_percentile(values, 0.95):.0f} | "
              f"{_percentile(values, 0.99):.0f} | {errors[label]} |", flush=True)
    for label, failure in sorted(tally.first_failure.items()):
        print(f"  first failure of {label}: {failure}")


# Counting after a fault run ---------------------------------------------------------------------


@dataclass
class ReferralCount:
    attempted: int
    accepted: int  # answered with the confirmation page (after retries)
    unanswered: int  # still no answer after the retries
    rows: int  # submitted referrals in the database from this run's drafts
    lost: int  # accepted, but no submitted referral (or no case) in the database
    duplicated: int  # more than one case or partner message of a kind for a referral, or extra referrals
    not_confirmed: int  # in the database, but the person never saw it accepted

    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unanswered == 0


def referral_count(ledger: Ledger, cases_per_referral: Mapping[str, int], extra_referrals: int,
                   messages_per_referral: Mapping[tuple[str, str], int]) -> ReferralCount:
    """Referrals the client saw accepted against the database: ``cases_per_referral`` maps each
    submitted referral of the run's author to its number of cases, ``extra_referrals`` counts the
    author's submitted referrals from no draft in the ledger, ``messages_per_referral`` the
    partner messages per (referral, kind)."""
    accepted = ledger.accepted()
    rows = set(cases_per_referral)
    lost = len(accepted - {r for r, cases in cases_per_referral.items() if cases >= 1})
    duplicated = (extra_referrals + sum(cases - 1 for cases in cases_per_referral.values() if cases > 1)
                  + sum(n - 1 for n in messages_per_referral.values() if n > 1))
    return ReferralCount(attempted=len(ledger.submits), accepted=len(accepted), unanswered=len(ledger.unanswered()),
                         rows=len(rows), lost=lost, duplicated=duplicated, not_confirmed=len(rows - accepted))


@dataclass
class MessageCount:
    messages: int  # outbox messages made during the run
    by_email: int  # of which sent by email (the others are read in the partner inbox)
    delivered: int  # delivered once, by idempotency key
    lost: int  # by email but never delivered, or not recorded as sent
    delivered_twice: int
    repeats_caught_by_key: int  # sends repeated after a kill, absorbed by the provider's idempotency key
    unsent: int

    def ok(self) -> bool:
        return self.lost == 0 and self.delivered_twice == 0 and self.unsent == 0


def message_count(status_by_message: Mapping[str, tuple[str, bool]], delivered_keys: set[str],
                  deliveries_log: list[str], repeats: int) -> MessageCount:
    """``status_by_message``: each outbox message's (status, has an email address);
    ``delivered_keys``: the idempotency keys with a delivered file; ``deliveries_log``: a key per
    first delivery written; ``repeats``: sends refused as repeats."""
    by_email = {m for m, (_, email) in status_by_message.items() if email}
    unsent = {m for m, (status, _) in status_by_message.items() if status != "sent"}
    log = Counter(k for k in deliveries_log if k in status_by_message)
    return MessageCount(messages=len(status_by_message), by_email=len(by_email),
                        delivered=len(by_email & delivered_keys), lost=len((by_email - delivered_keys) | unsent),
                        delivered_twice=sum(n - 1 for n in log.values() if n > 1), repeats_caught_by_key=repeats,
                        unsent=len(unsent))


def _database_counts(run_started: Any, authors: str, ledger: Ledger) -> tuple[dict[str, int], int, dict[tuple[str, str], int]]:
    """From the database: the submitted referrals since ``run_started`` of the authors whose
    email ends in ``authors``, with their cases; those from drafts not in the ledger; and the
    partner messages per (referral, kind)."""
    from django.db.models import Count

    from nrm.notify.models import OutboxMessage
    from nrm.referrals.models import Referral, ReferralStatus

    submitted = Referral.objects.filter(author__email__endswith=authors, status=ReferralStatus.SUBMITTED,
                                        submitted_at__gte=run_started)
    cases = {str(pk): n for pk, n in submitted.annotate(n=Count("case")).values_list("pk", "n")}
    extra = sum(1 for pk in cases if pk not in ledger.submits)
    messages = Counter((m.about_id, m.kind) for m in OutboxMessage.objects.filter(
        about_type="referrals.Referral", about_id__in=list(cases)).only("about_id", "kind"))
    return cases, extra, dict(messages)


def _message_statuses(run_started: Any) -> dict[str, tuple[str, bool]]:
    from nrm.notify.models import MessageKind, OutboxMessage

    return {str(pk): (status, bool(email)) for pk, status, email in OutboxMessage.objects.filter(
        created_at__gte=run_started).exclude(kind=MessageKind.WEBHOOK).values_list("pk", "status", "recipient_email")}


def _wait_sent(run_started: Any, deadline: float) -> int:
    from nrm.notify.models import MessageKind, MessageStatus, OutboxMessage

    while True:
        left = (OutboxMessage.objects.filter(created_at__gte=run_started).exclude(kind=MessageKind.WEBHOOK)
                .exclude(status=MessageStatus.SENT).count())
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(1)


def _claims_of(process: subprocess.Popen[bytes]) -> set[str]:
    """Messages the worker ``process`` holds claimed and has not sent (its id names its pid)."""
    from nrm.notify.models import MessageStatus, OutboxMessage

    return {str(pk) for pk in OutboxMessage.objects.filter(claimed_by__contains=f"-{process.pid}-")
            .exclude(status=MessageStatus.SENT).values_list("pk", flat=True)}


@dataclass
class Kill:
    at: float = 0.0
    port: int = 0
    worker_pid: int = 0
    claims: set[str] = field(default_factory=set)
    submits_in_flight: int = 0


def _kill_midway(servers: Servers, router: Router, stage: Stage, kill: Kill) -> Callable[[threading.Event], None]:
    """Halfway through the stage: SIGKILL the first worker (when it holds claimed messages, if it
    does within 5 s), then the first web instance (when a submit is waiting for its answer there,
    if one is within 20 s)."""
    def during(stop: threading.Event) -> None:
        if stop.wait(stage.seconds / 2):
            return
        worker = servers.workers[0]
        wait_until = time.monotonic() + 5
        kill.claims = _claims_of(worker)
        while not kill.claims and time.monotonic() < wait_until:
            time.sleep(0.005)
            kill.claims = _claims_of(worker)
        servers.kill_worker(worker)
        kill.worker_pid = worker.pid
        kill.port = router.ports[0]
        wait_until = time.monotonic() + 20
        while not router.busy(kill.port, "submit") and time.monotonic() < wait_until:
            time.sleep(0.005)
        kill.submits_in_flight = router.busy(kill.port, "submit")
        kill.at = time.monotonic()
        servers.kill_web(kill.port)
        _log(f"SIGKILL: worker {worker.pid} (holding {len(kill.claims)} claimed messages), then the web instance "
             f"on port {kill.port} (its process group; {kill.submits_in_flight} submits in flight there)")
    return during


def _retry_unanswered(ledger: Ledger, world: World, router: Router) -> tuple[int, int]:
    """Press submit again for each submit that got no answer, on a surviving instance: how many
    had been sent (their check page redirects to the confirmation) and how many were sent now."""
    tally, stop = Tally(), threading.Event()
    found = again = 0
    for draft_id in ledger.unanswered():
        person = Person(ledger.submits[draft_id].account, "first responder", world, router, tally, ledger, stop,
                        (0.0, 0.0))
        check = person.page("check answers", f"/referrals/{draft_id}/check")
        if check is not None and check.status == 302:  # sent already: the check page redirects
            person.page("confirmation", check.location)
            ledger.answer(draft_id, 302, check.location)
            found += 1
            continue
        token = CSRF_FIELD.search(check.body) if check is not None else None
        form = {"csrfmiddlewaretoken": html.unescape(token.group(1))} if token else {}
        ledger.attempt(draft_id, person.account)
        sent = person.page("submit", f"/referrals/{draft_id}/submit", form)
        if sent is not None:
            ledger.answer(draft_id, sent.status, sent.location)
            again += 1
    return found, again


def _after_kill(tally: Tally, kill: Kill) -> tuple[int, int, int]:
    """Requests begun after the kill (plus a second for the proxy to notice): done, failed; and
    requests in flight at the kill that failed."""
    after = [ok for _, ok, _, started in tally.rows if started > kill.at + 1]
    cut = sum(1 for _, ok, seconds, started in tally.rows if not ok and started <= kill.at <= started + seconds)
    return len(after), after.count(False), cut


def _fault(world: World, servers: Servers, router: Router, server_url: str, name: str, stage: Stage) -> bool:
    from django.utils import timezone

    from nrm.notify.backends import delivery_counts

    run_started = timezone.now()
    kill = Kill()
    tally, ledger, began = _run_stage(stage, world, router, server_url, name, during=_kill_midway(servers, router, stage, kill))
    pressed = ledger.unanswered()
    found, again = _retry_unanswered(ledger, world, router)
    left = _wait_sent(run_started, time.monotonic() + DRAIN_SECONDS)
    cases, extra, messages = _database_counts(run_started, FIRST_RESPONDERS, ledger)
    referrals = referral_count(ledger, cases, extra, messages)
    keys, repeats = delivery_counts(servers.var / "mail")
    log_file = servers.var / "mail" / "deliveries.log"
    log = [line.split()[-1] for line in log_file.read_text().splitlines()] if log_file.exists() else []
    mail = message_count(_message_statuses(run_started), keys, log, repeats)
    after, failed_after, cut = _after_kill(tally, kill)
    statuses = _message_statuses(run_started)
    reclaimed = sum(1 for m in kill.claims if statuses.get(m, ("", False))[0] == "sent")
    print(f"\n### Fault run: SIGKILL of one web instance and one worker {kill.at - began:.0f} s into the stage\n")
    print(f"- Referral submits: {referrals.attempted} drafts submitted, {len(pressed)} without an answer pressed "
          f"again ({found} had been sent, {again} sent by the second press), {referrals.accepted} accepted, {referrals.rows} submitted referrals in the database, "
          f"{referrals.lost} lost, {referrals.duplicated} duplicated (extra referrals, cases or partner messages), "
          f"{referrals.not_confirmed} in the database but never confirmed, {referrals.unanswered} still unanswered")
    print(f"- Outbox messages: {mail.messages} made ({mail.by_email} by email), {mail.delivered} delivered once, "
          f"{mail.lost} lost, {mail.delivered_twice} delivered twice, {mail.repeats_caught_by_key} repeated sends "
          f"absorbed by the idempotency key, {mail.unsent} unsent {DRAIN_SECONDS} s after the load "
          f"({left} when the wait ended)")
    print(f"- The killed worker held {len(kill.claims)} claimed messages; {reclaimed} of them sent by the survivor")
    print(f"- Survivors: {after} requests begun after the kill, {failed_after} failed; {cut} requests in flight at "
          f"the kill cut off; {router.rerouted} connections refused by the dead instance and sent to the survivor",
          flush=True)
    return referrals.ok() and mail.ok() and failed_after == 0 and reclaimed == len(kill.claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="nrm_load", help="the scratch database, dropped and created again")
    parser.add_argument("--users", default="10,50,200")
    parser.add_argument("--seconds", type=float, default=60, help="length of each stage")
    parser.add_argument("--think", default="3,12", help="seconds between one person's pages, min,max")
    parser.add_argument("--web-concurrency", type=int, default=3)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--fault", action="store_true", help="one 50-user stage with a web instance and a worker killed")
    parser.add_argument("--quick", action="store_true", help="2,000 cases, 10 s stages of 5 and 20 users")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards (to profile pages)")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.seconds, args.users = min(args.cases, 2000), min(args.seconds, 10), "5,20"
    think = tuple(float(x) for x in args.think.split(","))
    var = ROOT / "bench" / "out" / f"{args.database}_{os.getpid()}"
    var.mkdir(parents=True, exist_ok=True)
    env = _environment(_database(args.server, args.database), var, args.web_concurrency)
    servers = Servers(env, var)
    ok = True
    try:
        stages = ([FAULT_STAGE] if args.fault else
                  [Stage(int(u), args.seconds, (think[0], think[1])) for u in args.users.split(",")])
        people = {role: max(1, *(_roles(s.users, s.mix).count(role) for s in stages)) for role, _ in MIX}
        _log(f"Preparing {args.database}: migrations, demo users, {args.cases:,} cases by COPY, "
             f"{people['first responder']} first responders with {DRAFTS_EACH} saved drafts each; load average "
             f"{_load_average()}")
        world = _prepare(env, args.cases, people, DRAFTS_EACH)
        _log(f"Starting 2 web instances (WEB_CONCURRENCY={args.web_concurrency}) and 2 workers")
        router = Router(servers.start(2, 2))
        _warm_up(world, router.ports, args.web_concurrency)
        print(f"\nMachine: {_common.cpu_model()}, {os.cpu_count()} CPUs (nproc), shared with other work. "
              f"{args.cases:,} cases. Web: 2 x {args.web_concurrency} sync workers; 2 outbox workers.")
        if args.fault:
            ok = _fault(world, servers, router, args.server, args.database, replace(FAULT_STAGE, seconds=args.seconds))
        else:
            for stage in stages:
                _run_stage(stage, world, router, args.server, args.database)
    finally:
        servers.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            _database(args.server, args.database, drop=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
