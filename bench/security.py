"""Security and failure figures (issue 12), one section per concern.

    .venv/bin/python bench/security.py                       # every section
    .venv/bin/python bench/security.py --section workers     # one section
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/security.py

Each section prints its own figures. Add a section by writing a function that takes the parsed
arguments and registering it in ``SECTIONS``.

workers: real ``nrm worker`` processes send outbox messages while some are killed with SIGKILL
(and replaced at once); deliveries go to a file backend that honours idempotency keys. Prints
workers x kills x messages -> delivered, lost, delivered twice, and the repeat sends that the
idempotency key absorbed (sends cut short by a kill between the provider accepting and the
worker recording).

tampering: the moves of someone who controls the database against the audit log. On PostgreSQL,
first as the application's role (``nrm db app-role``): TRUNCATE, UPDATE, DELETE, disabling the
trigger, DROP, each refused or not. Then as the tables' owner, each on a fresh sealed log: a
forged insert and an edit with the chain recomputed, a cut tail, TRUNCATE, a seal made with another
key; prints whether the chain alone and the chain with the seals (``nrm audit verify``) detect it.

access: every role, and a signed-out visitor, against every concrete URL the resolver lists, GET
and POST, with the access test's probe: requests made, answers the capability table does not
predict, and cross-organisation reads or writes (another organisation's object answered below 400).

fuzz: every URL opened by a role that may, every form found posted the fixed hostile payloads and
generated input, every API endpoint posted hostile and generated JSON, with the no-server-error
test's fuzzer: URLs, forms and endpoints, requests, and answers of 500 or more.

All run on PostgreSQL when DATABASE_URL names a server (a scratch database
``nrm_bench_security`` is made next to it), else on a scratch SQLite file.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import _common

SCRATCH = os.environ.get("NRM_BENCH_SCRATCH_DB", "nrm_bench_security")  # a name of its own if others bench too
WORKER_RUNS = ((1, 0, 1000), (3, 0, 1000), (3, 6, 1000), (5, 12, 1000))


def _scratch_database(url: str, scratch: Path) -> None:
    """Point this process at a fresh scratch database (before Django starts)."""
    os.environ.setdefault("NRM_ENVIRONMENT", "development")
    os.environ["NRM_AUDIT_SEAL_DIR"] = str(scratch / "audit-seals")  # the workers' seals of the scratch log
    if not url:
        os.environ["DATABASE_URL"] = ""
        os.environ["NRM_SQLITE_PATH"] = str(scratch / "bench.sqlite3")
        return
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{SCRATCH}"))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def workers_section(args: argparse.Namespace) -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from nrm.notify.faults import fault_run
    from nrm.notify.models import OutboxMessage, PeriodicRun, WorkerHeartbeat

    print(f"\n## workers: exactly-once outbox delivery under SIGKILL ({connection.vendor})\n")
    print("workers | kills | messages | delivered | lost | delivered twice | repeats absorbed by key | seconds")
    print("---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:")
    for workers, kills, messages in args.worker_runs:
        for model in (OutboxMessage, DBTaskResult, PeriodicRun, WorkerHeartbeat):
            model.objects.all().delete()
        with tempfile.TemporaryDirectory(prefix="nrm-bench-workers-") as directory:
            run = fault_run(directory=Path(directory), workers=workers, kills=kills, messages=messages,
                            time_limit=args.time_limit, lease_seconds=5)
        print(f"{run.workers} | {run.kills} | {run.messages} | {run.delivered} | {run.lost} | "
              f"{run.delivered_twice} | {run.repeats_caught_by_key} | {run.seconds:.1f}", flush=True)


def _as_test_client_host() -> None:
    """The probes use Django's test client (host ``testserver``) and a worker seen alive (for /health/ready)."""
    from django.conf import settings
    from django.utils import timezone

    from nrm.accounts.services import roles_sync
    from nrm.notify.models import WorkerHeartbeat

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.WORKER_STALE_SECONDS = 24 * 60 * 60
    roles_sync()
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker_id="bench-probes", defaults={
        "hostname": "bench", "pid": 1, "started_at": now, "seen_at": now})


def access_section(args: argparse.Namespace) -> None:
    """Every role (and a signed-out visitor) against every concrete URL, GET and POST: the access
    test's own probe (nrm/site/tests/test_access.py), run here to count."""
    from django.db import connection

    from nrm.site.tests.test_access import ROLES, access_probe
    from nrm.testing import user_make

    _as_test_client_host()
    print(f"\n## access: every role x every concrete URL, GET and POST ({connection.vendor})\n")
    print("role | requests | unexpected answers | cross-organisation reads/writes | seconds")
    print("--- | ---: | ---: | ---: | ---:")
    totals = [0, 0, 0]
    for role in ROLES:
        began = time.monotonic()
        probe = access_probe(role, user_make)
        totals = [totals[0] + probe.requests, totals[1] + len(probe.problems),
                  totals[2] + len(probe.cross_organisation)]
        print(f"{role or 'signed out'} | {probe.requests} | {len(probe.problems)} | {len(probe.cross_organisation)} | "
              f"{time.monotonic() - began:.1f}", flush=True)
        for problem in probe.problems[:5]:
            print(f"  - {problem}")
    print(f"**all {len(ROLES)}** | {totals[0]} | {totals[1]} | {totals[2]} |")


def fuzz_section(args: argparse.Namespace) -> None:
    """Generated posts to every form and API endpoint: the no-server-error test's own fuzzer
    (nrm/site/tests/test_no_server_error.py), run here to count."""
    from django.db import connection

    os.environ.setdefault("NRM_FUZZ_EXAMPLES", str(args.fuzz_examples))
    from nrm.site.tests.test_no_server_error import _build_world, fuzz_everything
    from nrm.testing import user_make

    _as_test_client_host()
    began = time.monotonic()
    tally = fuzz_everything(_build_world(user_make))
    print(f"\n## fuzz: generated input to every form and API endpoint ({connection.vendor}, "
          f"{os.environ['NRM_FUZZ_EXAMPLES']} generated examples per form)\n")
    print("URLs | forms and endpoints | requests | 5xx | seconds")
    print("---: | ---: | ---: | ---: | ---:")
    server_errors = [f for f in tally.failures if f.startswith("5")]
    print(f"{tally.urls} | {tally.forms} | {tally.requests} | {len(server_errors)} | {time.monotonic() - began:.0f}")
    for failure in tally.failures[:10]:
        print(f"  - {failure}")


APP_ROLE = "nrm_bench_app"


def _as_app_role_attempts() -> list[tuple[str, bool]]:
    """PostgreSQL: each hostile statement tried as the application's role; whether it was refused."""
    import psycopg
    from django.db import connection

    from nrm.site.db_roles import app_role_apply

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "host": db["HOST"] or None, "port": db["PORT"] or None}
    password = secrets.token_urlsafe(16)
    owner = psycopg.connect(**params, user=db["USER"], password=db["PASSWORD"] or None, autocommit=True,
                            cursor_factory=psycopg.ClientCursor)
    app_role_apply(owner.cursor(), role=APP_ROLE, password=password)
    table = "audit_auditevent"
    attempts = {
        "TRUNCATE the audit table": f"TRUNCATE {table}",
        "UPDATE an audit event": f"UPDATE {table} SET action = 'tampered'",  # noqa: S608
        "DELETE audit events": f"DELETE FROM {table}",  # noqa: S608
        "ALTER TABLE ... DISABLE TRIGGER": f"ALTER TABLE {table} DISABLE TRIGGER audit_event_append_only",
        "DROP the audit table": f"DROP TABLE {table}",
        "SET session_replication_role = replica": "SET session_replication_role = replica",
    }
    results: list[tuple[str, bool]] = []
    try:
        with psycopg.connect(**params, user=APP_ROLE, password=password) as app:
            for name, sql in attempts.items():
                try:
                    with app.transaction():
                        app.execute(sql)
                    results.append((name, False))
                except psycopg.errors.InsufficientPrivilege:
                    results.append((name, True))
            with app.transaction(force_rollback=True):  # the service's own write still works
                app.execute(f"INSERT INTO {table} (occurred_at, actor_label, action, object_type, object_id, "  # noqa: S608
                            "request_id, previous_hash, hash) VALUES (now(), 'system', 'bench', 'bench', '1', '', "
                            "%s, %s)", ["0" * 64, secrets.token_hex(32)])
                results.append(("(the service's write) INSERT an audit event", False))
    finally:
        owner.execute(f"DROP OWNED BY {APP_ROLE}")
        owner.execute(f"DROP ROLE {APP_ROLE}")
        owner.close()
    return results


def _tamper_once(attack: Callable[[list[int], Path], object], events: int, after: int) -> tuple[bool, bool, float, int]:
    """A fresh log of ``events`` events, sealed, then ``after`` more; the attack; then whether the
    chain alone and the chain with the seals detect it, the verify seconds and the seals' problems."""
    from nrm.audit import faults
    from nrm.audit.seals import audit_seal, audit_verify_sealed
    from nrm.audit.services import audit_record, audit_verify
    from nrm.reference.models import Organisation

    faults.truncate()
    target = Organisation.objects.get(slug="sca")
    with tempfile.TemporaryDirectory(prefix="nrm-bench-seals-") as directory:
        seals = Path(directory)
        ids = [audit_record(actor=None, action="bench.event", target=target, after={"i": i}).id for i in range(events)]
        audit_seal(directory=seals, key=KEY)
        ids += [audit_record(actor=None, action="bench.event", target=target, after={"i": i}).id for i in range(after)]
        attack(ids, seals)
        chain_alone = bool(audit_verify())
        began = time.perf_counter()
        report = audit_verify_sealed(directory=seals, key=KEY)
        seconds = time.perf_counter() - began
    return chain_alone, not report.intact, seconds, len(report.problems())


KEY = "bench-audit-seal-key"


def _attacks(sealed: int) -> dict[str, Callable[[list[int], Path], object]]:
    from nrm.audit import faults

    return {
        "(a) forged insert before the last seal, chain recomputed":
            lambda ids, _: faults.forge_insert(before_id=ids[sealed // 2]),
        "(b) edit before the last seal, chain recomputed":
            lambda ids, _: faults.edit_and_rechain(event_id=ids[sealed // 3], after={"i": "edited"}),
        "(c) tail of 5 events deleted": lambda _ids, _: faults.cut_tail(events=5),
        "(d) TRUNCATE": lambda _ids, _: faults.truncate(),
        "(e) seal forged with another key": lambda _ids, seals: faults.forge_seal(directory=seals, key="guess"),
    }


def tampering_section(args: argparse.Namespace) -> None:
    from django.db import connection

    from nrm.audit import faults

    events, after = args.tamper_events, 3
    print(f"\n## tampering: rewriting the audit log ({connection.vendor}, {events} events sealed, {after} after)\n")
    if connection.vendor == "postgresql":
        print("As the application's role (`nrm db app-role`):\n")
        print("attempt | refused")
        print("--- | ---")
        for name, refused in _as_app_role_attempts():
            print(f"{name} | {'yes' if refused else 'no'}", flush=True)
        print()
    print("As the tables' owner (trigger disabled, SQL), then `nrm audit verify`:\n")
    print("attack | chain alone detects | chain + seals detect | problems | verify seconds")
    print("--- | --- | --- | ---: | ---:")
    detected = 0
    attacks = _attacks(events)
    for name, attack in attacks.items():
        chain_alone, sealed, seconds, problems = _tamper_once(attack, events, after)
        detected += sealed
        print(f"{name} | {'yes' if chain_alone else 'no'} | {'yes' if sealed else 'NO'} | {problems} | {seconds:.3f}",
              flush=True)
    chain_alone, sealed, seconds, problems = _tamper_once(
        lambda ids, _: faults.edit_and_rechain(event_id=ids[-1], after={"i": "edited"}), events, after)
    print(f"(residual) edit after the last seal, chain recomputed | {'yes' if chain_alone else 'no'} | "
          f"{'yes' if sealed else 'no: reported as unsealed events'} | {problems} | {seconds:.3f}")
    print(f"\nDetected {detected} of {len(attacks)} attacks before the last seal.")


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {"access": access_section,
                                                              "fuzz": fuzz_section,
                                                              "workers": workers_section,
                                                              "tampering": tampering_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append",
                        help="Run only this section (repeatable; default: all)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="Seconds allowed per worker run")
    parser.add_argument("--quick", action="store_true", help="Workers section: one run of 3 workers, 6 kills")
    parser.add_argument("--tamper-events", type=int, default=1000,
                        help="Tampering section: events in the sealed log (default 1000)")
    parser.add_argument("--fuzz-examples", type=int, default=4,
                        help="Fuzz section: generated examples per form (NRM_FUZZ_EXAMPLES; default 4)")
    args = parser.parse_args()
    args.worker_runs = ((3, 6, 1000),) if args.quick else WORKER_RUNS
    print(f"# Open NRM security figures\n\nMachine: {_common.cpu_model()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}\nCommand: {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory(prefix="nrm-bench-security-") as scratch:
        _scratch_database(os.environ.get("DATABASE_URL", "").strip(), Path(scratch))
        _setup_django()
        began = time.monotonic()
        for name in args.section or sorted(SECTIONS):
            SECTIONS[name](args)
        print(f"\nTotal {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
