"""Benchmark: the caseworker's queue and the case page at a million cases, on PostgreSQL.

    .venv/bin/python bench/queue.py --cases 1000000

Creates a fresh database on the PostgreSQL server that ``tools/with_postgres.py`` finds
(DATABASE_URL, the server on 127.0.0.1:5432, or a throwaway cluster), migrates it, loads
``--cases`` synthetic cases with their referrals, decisions, reasons, status changes,
requests for information, notes, contributions and audit events using COPY, runs ANALYZE,
then requests through Django's test client (the real URLs, middleware, selectors, views and
templates, signed in as an SCA caseworker with a second factor):

- the first page of the queue under a rotation of filters (stage, child, safety risk, days
  left to the RG target, age, allocation), and a page deep into the queue by keyset;
- the case page of random SCA cases.

It prints p50 and p95 server time (the time Django takes to answer, in process) for each,
against the targets (queue p95 < 50 ms, case page p95 < 100 ms), then drops the database
unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import _common  # repository on the path, bench/ off it: this file would hide `queue`

if getattr(sys.modules.get("queue"), "__file__", None) == str(Path(__file__).resolve()):
    del sys.modules["queue"]

ROOT = _common.ROOT
sys.path.insert(0, str(ROOT / "tools"))

QUEUE_TARGET_MS = 50.0
CASE_TARGET_MS = 100.0
START = date(2019, 5, 1)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Database set-up
# ---------------------------------------------------------------------------------------------


def _with_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                      "pg_backend_pid()", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("NRM_ENVIRONMENT", "development")
    os.environ["NRM_DEBUG"] = "0"  # no query logging, templates compiled once
    os.environ.setdefault("NRM_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# Loading with COPY
# ---------------------------------------------------------------------------------------------


def _copy(model: Any, rows: Iterable[dict[str, Any]], *, label: str) -> int:
    """COPY ``rows`` (dicts by attname) into ``model``'s table; other columns get their defaults."""
    from django.db import connection

    # Auto-numbered primary keys are left to their sequence.
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and f.get_internal_type() in {"AutoField", "BigAutoField"})]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    line = _CopyLine(model, fields)
    count = 0
    started = time.perf_counter()
    chunk: list[str] = []
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                chunk.append(line(row))
                count += 1
                if len(chunk) >= 20_000:
                    copy.write("\n".join(chunk) + "\n")
                    chunk = []
            if chunk:
                copy.write("\n".join(chunk) + "\n")
    _log(f"  {label}: {count:,} rows in {time.perf_counter() - started:.1f}s")
    return count


class _CopyLine:
    """One row (a dict by attname) as a line of COPY's text format, missing columns filled by their defaults."""

    TEXT_TYPES = frozenset({"CharField", "TextField", "EmailField", "SlugField"})

    def __init__(self, model: Any, fields: list[Any]) -> None:
        self.model = model
        self.fields = fields
        self.defaults: dict[str, Any] = {}
        for f in fields:
            if f.null:
                self.defaults[f.attname] = None
            elif f.has_default() and not callable(f.default):
                self.defaults[f.attname] = f.get_default()
            elif f.get_internal_type() in self.TEXT_TYPES:
                self.defaults[f.attname] = ""
        # JSON columns, and sealed JSON (nrm.core.sealing: COPY writes it as plaintext JSON, which
        # the field reads as written before sealing).
        self.json_fields = {f.attname for f in fields
                            if f.get_internal_type() == "JSONField" or getattr(f, "json", False)}

    def value(self, row: dict[str, Any], attname: str) -> Any:
        if attname in row:
            value = row[attname]
        elif attname in self.defaults:
            value = self.defaults[attname]
        else:
            raise KeyError(f"{self.model.__name__}.{attname} needs a value")
        if attname in self.json_fields and value is not None:
            value = json.dumps(value)
        return value

    def __call__(self, row: dict[str, Any]) -> str:
        return "\t".join(_text(self.value(row, f.attname)) for f in self.fields)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    return str(value).translate(_ESCAPES)


class World:
    """Everything the generated rows refer to."""

    def __init__(self, rng: random.Random) -> None:
        from nrm.accounts.models import Membership, RoleRecord, User
        from nrm.reference.models import NegativeDecisionReason, Organisation

        self.rng = rng
        self.now = datetime.now(UTC)
        self.first_responders = list(Organisation.objects.filter(is_first_responder=True).values_list("pk", flat=True))
        weights = []
        for slug in Organisation.objects.filter(is_first_responder=True).values_list("slug", flat=True):
            weights.append(40 if slug.startswith("ho-") else 6 if slug.startswith("police-") else 1)
        self.fr_cum_weights = list(itertools.accumulate(weights))
        roles = {r.name: r for r in RoleRecord.objects.all()}
        orgs = {o.slug: o for o in Organisation.objects.filter(slug__in=["sca", "ieca", "police-e23000001"])}

        def users(prefix: str, n: int, org: str, role: str) -> list[Any]:
            made = [User(email=f"{prefix}{i}@bench.invalid", full_name=f"{prefix.title()} {i}") for i in range(n)]
            for user in made:
                user.set_unusable_password()
            User.objects.bulk_create(made)
            Membership.objects.bulk_create(
                [Membership(user=u, organisation=orgs[org], role=roles[role]) for u in made])
            return made

        self.sca_caseworkers = users("sca.caseworker", 200, "sca", "caseworker")
        self.ieca_caseworkers = users("ieca.caseworker", 40, "ieca", "caseworker")
        self.seniors = users("sca.senior", 10, "sca", "senior_decision_maker")
        self.authors = users("first.responder", 20, "police-e23000001", "first_responder")
        self.bench_user = self.sca_caseworkers[0]
        self.reasons = {stage: list(NegativeDecisionReason.objects.filter(stage=stage).values_list("pk", flat=True))
                        for stage in ("RG", "CG")}


def _target_dates(start: date, end: date) -> dict[date, dict[str, date]]:
    from nrm.core.workdays import add_working_days

    result: dict[date, dict[str, date]] = {}
    day = start
    while day <= end:
        result[day] = {n: add_working_days(day, 5, n) for n in ("england", "scotland", "wales", "northern_ireland")}
        day += timedelta(days=1)
    return result


ANSWER_TEXT = ("The person was found working long hours at a car wash, living on site with six others. "
               "The employer holds their passport and deducts rent and transport from their wages.")


def _case(case: Any, world: World, targets: dict[date, dict[str, date]]) -> dict[str, Any]:
    """One generated case as the columns the loaders below read, with the world's people in it."""
    rng = world.rng
    staff = world.sca_caseworkers if case.competent_authority == "SCA" else world.ieca_caseworkers
    return {
        "id": uuid.uuid4(), "referral_id": uuid.uuid4(), "received_on": case.received_on, "state": case.state,
        "competent_authority": case.competent_authority, "nation": case.nation, "rg_date": case.rg_date,
        "cg_date": case.cg_date, "recovery_period_days": case.recovery_period_days, "is_child": case.is_child,
        "safety_risk": case.safety_risk,
        "first_responder_organisation_id": rng.choices(world.first_responders, cum_weights=world.fr_cum_weights)[0],
        "allocated_to_id": rng.choice(staff).pk if case.is_open and rng.random() < 0.3 else None,
        "last_decision_maker_id": rng.choice(staff).pk if case.rg_date else None,
        "rg_target_date": targets[case.received_on][case.nation],
        "suspended_from": case.suspended_from,
    }


def _referrals(cases: list[dict[str, Any]], world: World) -> Iterator[dict[str, Any]]:
    for i, c in enumerate(cases):
        submitted = datetime.combine(c["received_on"], datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
        yield {
            "id": c["referral_id"], "created_at": submitted, "updated_at": submitted, "reference": f"NRM-B{i:08d}",
            "organisation_id": c["first_responder_organisation_id"], "author_id": world.authors[i % 20].pk,
            "status": "submitted", "expires_at": submitted + timedelta(days=30), "submitted_at": submitted,
            "answers": {"summary": ANSWER_TEXT, "exploitation_types": ["labour"], "location": "uk",
                        "person": {"age_band": "child" if c["is_child"] else "adult", "gender": "male",
                                   "nationality": "Vietnamese", "languages": ["Vietnamese"]},
                        "consent": True, "indicators": ["documents withheld", "debt bondage",
                                                        "restricted movement"]},
            "is_child": c["is_child"], "age_at_exploitation": "child" if c["is_child"] else "adult",
            "gender": "male", "location_of_exploitation": "uk", "competent_authority": c["competent_authority"],
            "safety_risk": c["safety_risk"],
        }


def _case_rows(cases: list[dict[str, Any]], now: datetime) -> Iterator[dict[str, Any]]:
    for i, c in enumerate(cases):
        yield {
            "id": c["id"], "created_at": now, "updated_at": now, "referral_id": c["referral_id"],
            "reference": f"NRM-B{i:08d}", "competent_authority": c["competent_authority"], "state": c["state"],
            "state_changed_at": now, "nation": c["nation"],
            "first_responder_organisation_id": c["first_responder_organisation_id"], "is_child": c["is_child"],
            "safety_risk": c["safety_risk"], "received_on": c["received_on"], "rg_target_date": c["rg_target_date"],
            "allocated_to_id": c["allocated_to_id"], "last_decision_maker_id": c["last_decision_maker_id"],
            "suspended_from": c["suspended_from"], "rg_date": c["rg_date"],
            "recovery_period_days": c["recovery_period_days"], "cg_date": c["cg_date"],
        }


class _Decisions:
    """The RG and CG decisions of the cases; the reasons of the negative ones are kept for their own table."""

    # stage: (the case's decision-date column, state -> status where not served, standard, rationale)
    STAGES: dict[str, tuple[str, dict[str, str], str, str]] = {
        "RG": ("rg_date", {"rg_under_review": "proposed", "rg_referred_back": "overturned"},
               "Reasonable grounds to believe: suspects but cannot prove",
               "The account is consistent and the indicators are present."),
        "CG": ("cg_date", {"cg_under_review": "proposed", "cg_referred_back": "overturned"},
               "Balance of probabilities", "Weighed on the balance of probabilities."),
    }

    def __init__(self, world: World, now: datetime, negative_states: dict[str, frozenset[str]]) -> None:
        self.world = world
        self.now = now
        self.negative_states = negative_states
        self.reasons: list[tuple[uuid.UUID, int]] = []

    def decision(self, c: dict[str, Any], stage: str) -> dict[str, Any]:
        date_column, statuses, standard, rationale = self.STAGES[stage]
        negative = c["state"] in self.negative_states[stage]
        status = statuses.get(c["state"], "served")
        pk = uuid.uuid4()
        if negative:
            self.reasons.append((pk, self.world.rng.choice(self.world.reasons[stage])))
        decided_on = c[date_column]
        return {"id": pk, "created_at": self.now, "updated_at": self.now, "case_id": c["id"], "stage": stage,
                "outcome": "negative" if negative else "positive", "standard_applied": standard,
                "rationale": rationale, "decided_by_id": c["last_decision_maker_id"], "decided_on": decided_on,
                "status": status, "served_on": decided_on if status == "served" else None,
                "policy": {"recovery_period_days": c["recovery_period_days"]} if stage == "RG" else {}}

    def rows(self, cases: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for c in cases:
            if c["rg_date"] is None:
                continue
            yield self.decision(c, "RG")
            if c["cg_date"] is not None:
                yield self.decision(c, "CG")


def _status_changes(cases: list[dict[str, Any]], now: datetime) -> Iterator[dict[str, Any]]:
    for c in cases:
        if c["state"] != "awaiting_rg":
            yield {"id": uuid.uuid4(), "created_at": now, "updated_at": now, "case_id": c["id"],
                   "event": "bench", "from_state": "awaiting_rg", "to_state": c["state"],
                   "actor_id": c["last_decision_maker_id"], "occurred_on": c["rg_date"] or c["received_on"]}


def _audit_events(cases: list[dict[str, Any]], now: datetime) -> Iterator[dict[str, Any]]:
    for c in cases:
        for action in ("case.opened", "case.routed", *(["case.rg_decision_recorded"] if c["rg_date"] else []),
                       *(["case.cg_decision_recorded"] if c["cg_date"] else [])):
            yield {"occurred_at": now, "actor_label": "bench", "action": action, "object_type": "cases.Case",
                   "object_id": str(c["id"]), "case_id": c["id"], "after": {"state": c["state"]},
                   "previous_hash": "0" * 64, "hash": uuid.uuid4().hex + uuid.uuid4().hex}


def _some(cases: list[dict[str, Any]], rng: random.Random, fraction: float) -> Iterator[dict[str, Any]]:
    for c in cases:
        if rng.random() < fraction:
            yield c


def load(n: int, seed: int) -> World:
    from django.db import connection

    from nrm.analytics.synthetic.caseload import CG_NEGATIVE, RG_NEGATIVE
    from nrm.analytics.synthetic.generator import queue_load
    from nrm.audit.models import AuditEvent
    from nrm.cases.models import Case, CaseNote, Decision, InformationRequest, StatusChange
    from nrm.referrals.models import Contribution, Referral

    rng = random.Random(seed)
    world = World(rng)
    today = date.today()
    days = (today - START).days
    targets = _target_dates(START, today)
    _log(f"Generating {n:,} cases over {days:,} days ...")
    # The case load is the synthetic-data generator's queue profile; here it gets the world's people.
    cases = [_case(case, world, targets) for case in queue_load(n, seed=seed, start=START, today=today)]
    _log("Loading with COPY ...")
    started = time.perf_counter()
    now = world.now
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")

    decisions = _Decisions(world, now, {"RG": frozenset(RG_NEGATIVE), "CG": frozenset(CG_NEGATIVE)})
    _copy(Referral, _referrals(cases, world), label="referrals")
    _copy(Case, _case_rows(cases, now), label="cases")
    _copy(Decision, decisions.rows(cases), label="decisions")
    _copy(Decision.reasons.through, ({"decision_id": d, "negativedecisionreason_id": r}
                                     for d, r in decisions.reasons), label="decision reasons")
    _copy(StatusChange, _status_changes(cases, now), label="status changes")
    _copy(AuditEvent, _audit_events(cases, now), label="audit events")
    _copy(Contribution, ({"id": uuid.uuid4(), "created_at": now, "updated_at": now, "referral_id": c["referral_id"],
                          "author_id": world.authors[0].pk, "author_organisation_name": "A school",
                          "topic": "What I saw", "text": ANSWER_TEXT} for c in _some(cases, rng, 0.1)),
          label="contributions")
    _copy(InformationRequest, ({"id": uuid.uuid4(), "created_at": now, "updated_at": now, "case_id": c["id"],
                                "addressed_to_id": c["first_responder_organisation_id"],
                                "requested_by_id": world.sca_caseworkers[1].pk, "question": "Please send the notes.",
                                "due_on": c["received_on"] + timedelta(days=14), "status": "answered",
                                "answer": "Sent."} for c in _some(cases, rng, 0.05)), label="information requests")
    _copy(CaseNote, ({"id": uuid.uuid4(), "created_at": now, "updated_at": now, "case_id": c["id"],
                      "author_id": world.sca_caseworkers[2].pk, "text": "Called the officer in the case."}
                     for c in _some(cases, rng, 0.1)), label="notes")
    _log(f"Loaded in {time.perf_counter() - started:.0f}s; ANALYZE ...")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    world.cases = cases  # type: ignore[attr-defined]
    return world


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

QUEUE_FILTERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("all open cases", {}),
    ("awaiting RG", {"stage": "awaiting_rg"}),
    ("awaiting CG", {"stage": "awaiting_cg"}),
    ("children awaiting RG", {"stage": "awaiting_rg", "child": "yes"}),
    ("safety risk", {"safety_risk": "yes"}),
    ("RG target overdue", {"rg_due": "overdue"}),
    ("RG due in 1-2 days", {"rg_due": "soon"}),
    ("aged 1 to 3 months", {"age": "1m_3m"}),
    ("aged under a week", {"age": "under_1w"}),
    ("allocated to me", {"allocation": "me"}),
    ("unallocated adults awaiting CG", {"stage": "awaiting_cg", "allocation": "unallocated", "child": "no"}),
    ("suspended", {"stage": "suspended"}),
    ("RG review, child, safety risk", {"stage": "rg_review", "child": "yes", "safety_risk": "yes"}),
)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return p50, p95


DB_MS: list[float] = []  # database time of each measured request, in the same order


def _time(client: Any, url: str, params: dict[str, str] | None = None) -> float:
    """Server time of one request in ms (Django's handler, in process); its database share goes to DB_MS."""
    from django.db import connection

    spent = [0.0]

    def timed(execute: Any, sql: str, sql_params: Any, many: bool, context: Any) -> Any:
        begun = time.perf_counter()
        try:
            return execute(sql, sql_params, many, context)
        finally:
            spent[0] += time.perf_counter() - begun

    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} answered {response.status_code}")
    DB_MS.append(spent[0] * 1000)
    return elapsed


def _measured(samples: Callable[[], list[float]]) -> tuple[float, float, float]:
    """p50, p95 of server time and the median database time of the same requests."""
    DB_MS.clear()
    values = samples()
    p50, p95 = _percentiles(values)
    return p50, p95, statistics.median(DB_MS)


def measure(world: World, requests: int, seed: int) -> dict[str, tuple[float, float, float]]:
    from django.test import Client
    from django.urls import reverse

    from nrm.cases import selectors
    from nrm.testing import sign_in

    rng = random.Random(seed + 1)
    client = sign_in(Client(), world.bench_user)
    queue_url = reverse("cases:queue")
    for _, params in QUEUE_FILTERS:  # warm up: templates compiled, caches filled
        _time(client, queue_url, params)
    rounds = max(1, requests // len(QUEUE_FILTERS))
    print("\nQueue, first page, by filter (ms; server p50 / p95, database median):")
    for label, params in QUEUE_FILTERS:
        p50, p95, db = _measured(lambda params=params: [_time(client, queue_url, params) for _ in range(rounds)])
        print(f"  {label:<34} p50 {p50:6.1f}  p95 {p95:6.1f}  db {db:5.1f}")
    results: dict[str, tuple[float, float, float]] = {}
    results["queue (all filters)"] = _measured(lambda: [
        _time(client, queue_url, params) for _ in range(rounds) for _, params in QUEUE_FILTERS])

    # A page deep into the open queue, reached by keyset (after the 4,000th case).
    page = selectors.case_queue(world.bench_user, selectors.QueueFilters(), page_size=4000)
    cursor = page.next_cursor or ""
    results["queue page 161 (keyset)"] = _measured(lambda: [
        _time(client, queue_url, {"after": cursor}) for _ in range(max(20, rounds))])

    sca_cases = [c["id"] for c in world.cases if c["competent_authority"] == "SCA"]  # type: ignore[attr-defined]
    for case_id in rng.sample(sca_cases, 5):
        _time(client, reverse("cases:detail", kwargs={"case_id": case_id}))
    chosen = rng.sample(sca_cases, requests)
    results["case page"] = _measured(lambda: [
        _time(client, reverse("cases:detail", kwargs={"case_id": case_id})) for case_id in chosen])
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=260, help="requests per measurement (default 260)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--server", choices=["throwaway", "auto"], default="throwaway",
                        help="throwaway: a PostgreSQL cluster of its own, started and removed like the test "
                             "clusters of tools/with_postgres.py (the default, so other work on a shared server "
                             "does not skew the figures); auto: DATABASE_URL or the server on 127.0.0.1:5432 first")
    args = parser.parse_args(argv)

    import with_postgres

    name = f"nrm_bench_{os.getpid()}"
    with ExitStack() as stack:
        if args.server == "throwaway" and not os.environ.get("DATABASE_URL"):
            bindir = with_postgres._binaries()
            if bindir is None:
                raise SystemExit(with_postgres.HOW_TO_GET_ONE)
            server = stack.enter_context(with_postgres._throwaway_cluster(bindir))
            deadline = time.monotonic() + 30
            while not with_postgres._can_connect(server):
                if time.monotonic() > deadline:
                    raise SystemExit("The throwaway PostgreSQL cluster does not answer.")
                time.sleep(0.5)
        else:
            server = stack.enter_context(with_postgres.postgres_url())
        _log(f"PostgreSQL server: {server.rsplit('@', 1)[-1]}; database {name}; load average {_load()}")
        database_url = _with_database(server, name)
        if not args.keep:
            stack.callback(_drop_database, server, name)
            stack.callback(_close_connections)
        _django_setup(database_url)
        from django.core.management import call_command

        _log("Migrating ...")
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        world = load(args.cases, args.seed)
        _log(f"Ready in {time.perf_counter() - started:.0f}s. Measuring {args.requests} requests each ...")
        results = measure(world, args.requests, args.seed)
        print(f"\nResults at {args.cases:,} cases (server time, ms; load average {_load()}):")
        ok = True
        for label, (p50, p95, db) in results.items():
            target = CASE_TARGET_MS if label == "case page" else QUEUE_TARGET_MS
            met = p95 < target
            ok = ok and met
            print(f"  {label:<26} p50 {p50:6.1f}  p95 {p95:6.1f}  (database median {db:4.1f})  "
                  f"target p95 < {target:.0f}: {'met' if met else 'MISSED'}")
        if args.keep:
            print(f"\nDatabase kept: {database_url}")
        return 0 if ok else 1
    return 1


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "unknown"


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

