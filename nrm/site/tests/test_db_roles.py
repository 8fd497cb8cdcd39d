"""The application's least-privilege PostgreSQL role (`nrm db app-role`): it can do the service's
normal writes, and cannot empty, change or delete audit events, switch off the append-only
trigger, alter or drop a table. PostgreSQL only (SQLite has no roles)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from nrm.audit.models import AuditEvent
from nrm.audit.services import audit_record
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.cases.tests.factories import make_case
from nrm.reference.models import Organisation
from nrm.site.db_roles import RoleError, app_role_apply, app_role_privileges

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[3]
AUDIT = AuditEvent._meta.db_table
CASES = Case._meta.db_table
# What whoever holds the application's credentials might try; each must be refused.
REFUSED = {
    "TRUNCATE the audit table": f"TRUNCATE {AUDIT}",
    "UPDATE an audit event": f"UPDATE {AUDIT} SET action = 'tampered'",  # noqa: S608
    "DELETE audit events": f"DELETE FROM {AUDIT}",  # noqa: S608
    "disable the append-only trigger": f"ALTER TABLE {AUDIT} DISABLE TRIGGER audit_event_append_only",
    "disable every trigger": f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL",
    "DROP the audit table": f"DROP TABLE {AUDIT}",
    "DROP the cases table": f"DROP TABLE {CASES} CASCADE",
    "TRUNCATE the cases table": f"TRUNCATE {CASES} CASCADE",
    "CREATE a table": "CREATE TABLE public.rogue (id int)",
    "become replica (triggers off)": "SET session_replication_role = replica",
}


def _on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Database roles are PostgreSQL's; the suite's PostgreSQL pass runs this test")


def _connect(**overrides: Any) -> psycopg.Connection[Any]:
    """A connection of its own to the test database (as its owner unless ``overrides`` say)."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"] or None,
              "host": db["HOST"] or None, "port": db["PORT"] or None}
    return psycopg.connect(**{**params, **overrides})


def _role_name() -> str:
    return f"nrm_app_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def committed_role() -> Iterator[str]:
    """A role made by `app_role_apply` and committed in the test database, dropped afterwards."""
    _on_postgres()
    role = _role_name()
    with _connect(autocommit=True, cursor_factory=psycopg.ClientCursor) as owner:
        with owner.cursor() as cursor:
            app_role_apply(cursor, role=role, password="a-password-for-the-test")
        try:
            yield role
        finally:
            owner.execute(f"DROP OWNED BY {role}")
            owner.execute(f"DROP ROLE {role}")


def test_the_role_connects_and_writes_but_cannot_rewrite_the_audit_log(committed_role: str) -> None:
    with _connect(user=committed_role, password="a-password-for-the-test") as app:
        row = app.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        assert row == (committed_role, False)
        app.rollback()
        refused: dict[str, bool] = {}
        for attempt, sql in REFUSED.items():
            try:
                with app.transaction():
                    app.execute(sql)
            except psycopg.errors.InsufficientPrivilege:
                refused[attempt] = True
            else:
                refused[attempt] = False
        assert refused == dict.fromkeys(REFUSED, True)
        app.execute(
            f"INSERT INTO {AUDIT} (occurred_at, actor_label, action, object_type, object_id, request_id, "  # noqa: S608
            "previous_hash, hash) VALUES (now(), 'system', 'test.insert', 'test', '1', '', %s, %s)",
            ["0" * 64, uuid.uuid4().hex * 2])
        count = app.execute(f"SELECT count(*) FROM {AUDIT} WHERE action = 'test.insert'").fetchone()  # noqa: S608
        assert count == (1,)
        app.rollback()  # leave the test database as it was


@pytest.fixture
def as_app_role() -> Iterator[str]:
    """The test's own connection acting as a fresh application role (`nrm db app-role`), in its transaction."""
    _on_postgres()
    role = _role_name()
    call_command("db", "app-role", "--role", role, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_the_services_normal_writes_work_as_the_role(as_app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (as_app_role,)
    case = make_case(state=State.POSITIVE_RG)  # users, a referral, the case, a decision: every write
    event = audit_record(actor=None, action="test.as_app_role", target=Organisation.objects.get(slug="sca"))
    assert Case.objects.filter(pk=case.pk).exists()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("attempt", sorted(REFUSED))
def test_each_hostile_statement_is_refused_to_the_role(as_app_role: str, attempt: str) -> None:
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner"), transaction.atomic():
        connection.cursor().execute(REFUSED[attempt])


def test_the_role_holds_exactly_the_applications_rights() -> None:
    _on_postgres()
    role = _role_name()
    with connection.cursor() as cursor:
        app_role_apply(cursor, role=role)
        cursor.execute(f"GRANT UPDATE, DELETE, TRUNCATE ON {AUDIT} TO {role}")  # drifted since
        cursor.execute(f"ALTER ROLE {role} CREATEDB")
        app_role_apply(cursor, role=role)  # again: idempotent, and puts it right
        privileges = app_role_privileges(cursor, role=role)
        cursor.execute("SELECT rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
                       "WHERE rolname = %s", [role])
        attributes = cursor.fetchone()
    assert privileges == {
        f"SELECT on {AUDIT}": True, f"INSERT on {AUDIT}": True, f"UPDATE on {AUDIT}": False,
        f"DELETE on {AUDIT}": False, f"TRUNCATE on {AUDIT}": False, f"TRIGGER on {AUDIT}": False,
        "superuser": False, "CREATE on schema public": False, "owns tables": False,
    }
    assert attributes == (False, False, False, False)


def test_the_owner_cannot_be_the_application_role() -> None:
    _on_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner: Any = cursor.fetchone()
        with pytest.raises(RoleError, match="the owner"):
            app_role_apply(cursor, role=owner[0])
        with pytest.raises(RoleError, match="not a role name"):
            app_role_apply(cursor, role='x"; DROP TABLE cases_case; --')


def test_the_command_needs_a_role_name() -> None:
    _on_postgres()
    with pytest.raises(CommandError, match="Give the role"):
        call_command("db", "app-role", verbosity=0)


def _nrm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nrm.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False, env={"PATH": os.environ["PATH"], **env})


def test_migrate_runs_as_the_owner_and_the_service_as_the_role(tmp_path: Path) -> None:
    """The deployment order: `nrm db app-role`, `nrm migrate` with DATABASE_OWNER_URL, then the
    service with DATABASE_URL alone. Tables belong to the owner; the role seals and verifies."""
    _on_postgres()
    role, scratch = _role_name(), f"nrm_roles_{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    server = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    owner_url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{server}/{scratch}"
    env = {"NRM_ENVIRONMENT": "test", "NRM_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"postgres://{role}:role-password@{server}/{scratch}", "DATABASE_OWNER_URL": owner_url}
    with _connect(autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {scratch}")
        try:
            made = _nrm(env, "db", "app-role")
            assert made.returncode == 0, made.stderr
            migrated = _nrm(env, "migrate")
            assert migrated.returncode == 0, migrated.stderr
            assert f"Granted the application's role {role}" in migrated.stdout
            service = {k: v for k, v in env.items() if k != "DATABASE_OWNER_URL"}
            record = ("from nrm.audit.services import audit_record; "
                      "[audit_record(actor=None, action='test.event', target='x') for _ in range(3)]")
            for command in (("shell", "-c", record), ("audit", "seal"), ("audit", "verify"), ("migrate",)):
                ran = _nrm(service, *command)
                assert ran.returncode == 0, (command, ran.stderr)
            with _connect(dbname=scratch, autocommit=True) as check:
                owners = check.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
                check.execute(f"TRUNCATE {AUDIT}")  # the owner can; the seal shows it
            assert owners == [(db["USER"],)]
            verified = _nrm(service, "audit", "verify")
            assert verified.returncode == 1
            assert "the table was emptied (truncated)" in verified.stderr
            assert "tampered with" in verified.stderr
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.parametrize(("database_url", "owner_url", "message"), [
    ("", "postgres://owner@127.0.0.1/nrm", "DATABASE_URL does not name PostgreSQL"),
    ("postgres://app@127.0.0.1/nrm", "postgres://owner@127.0.0.1/other", "the same database"),
])
def test_a_misplaced_owner_url_gets_a_clear_message(database_url: str, owner_url: str, message: str) -> None:
    result = _nrm({"DATABASE_URL": database_url, "DATABASE_OWNER_URL": owner_url}, "check")
    assert result.returncode == 2
    assert message in result.stderr
