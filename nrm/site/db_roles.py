"""The application's least-privilege PostgreSQL role (ADR 0014).

Migrations run as the tables' owner (``DATABASE_OWNER_URL``); the service runs as a role that owns
nothing and may only read and write rows: no superuser or other role attributes, no TRUNCATE, no
ALTER or DROP (those need ownership), no CREATE in the schema, and on the audit table INSERT and
SELECT only, so it can neither change nor remove an event nor switch off the append-only trigger.
:func:`app_role_apply` creates or updates the role and grants exactly that, every time (it is
idempotent); ``migrate`` re-grants after running as the owner, so new tables are covered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from nrm.audit.models import AuditEvent

AUDIT_TABLE = AuditEvent._meta.db_table
MIGRATIONS_TABLE = "django_migrations"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"


class RoleError(Exception):
    """The role cannot be made the application's role (its name, or it owns tables)."""


def _quoted(role: str) -> str:
    if not ROLE_NAME.match(role):
        raise RoleError(f"{role!r} is not a role name this command accepts: lower-case letters, digits and "
                        "underscores, starting with a letter or underscore, at most 63 characters.")
    return f'"{role}"'


def _identifier(name: str) -> str:
    """A name read from the catalogue, quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def _one(cursor: Any, sql: str, params: list[Any]) -> Any:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def role_exists(cursor: Any, role: str) -> bool:
    return bool(_one(cursor, "SELECT count(*) FROM pg_roles WHERE rolname = %s", [role]))


def app_role_grants(cursor: Any, *, role: str) -> list[str]:
    """Grant ``role`` exactly the application's rights on this database's tables; the statements run."""
    quoted = _quoted(role)
    database = _one(cursor, "SELECT current_database()", [])
    statements = [
        f"REVOKE ALL ON DATABASE {_identifier(database)} FROM {quoted}",
        f"GRANT CONNECT ON DATABASE {_identifier(database)} TO {quoted}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"REVOKE ALL ON SCHEMA public FROM {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE ON {AUDIT_TABLE} FROM {quoted}",
    ]
    if _one(cursor, "SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE]):
        statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {MIGRATIONS_TABLE} FROM {quoted}")
    if not _one(cursor, "SELECT to_regclass(%s) IS NOT NULL", [AUDIT_TABLE]):
        statements.remove(f"REVOKE UPDATE, DELETE ON {AUDIT_TABLE} FROM {quoted}")  # not migrated yet
    for statement in statements:
        cursor.execute(statement)
    return statements


def app_role_apply(cursor: Any, *, role: str, password: str | None = None) -> list[str]:
    """Create ``role`` if needed, strip it of every role attribute and membership but LOGIN, and
    grant it the application's rights (:func:`app_role_grants`); the statements run."""
    quoted = _quoted(role)
    if role == _one(cursor, "SELECT current_user", []):
        raise RoleError(f"{role} is the role running this command (the owner): the application needs a role of its own.")
    owned = _one(cursor, "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                         "WHERE r.rolname = %s AND c.relnamespace = 'public'::regnamespace", [role])
    if owned:
        raise RoleError(f"{role} owns {owned} table(s) or other relation(s) here, so it could alter or drop them: "
                        "the application needs a role that owns nothing.")
    statements: list[str] = []
    if not role_exists(cursor, role):
        statements.append(f"CREATE ROLE {quoted} {ROLE_ATTRIBUTES}")
    statements.append(f"ALTER ROLE {quoted} {ROLE_ATTRIBUTES}")
    cursor.execute("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                   "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s ORDER BY 1", [role])
    statements += [f"REVOKE {_identifier(granted)} FROM {quoted}" for (granted,) in cursor.fetchall()]
    for statement in statements:
        cursor.execute(statement)
    if password:
        cursor.execute(f"ALTER ROLE {quoted} PASSWORD %s", [password])
        statements.append(f"ALTER ROLE {quoted} PASSWORD '...'")
    return statements + app_role_grants(cursor, role=role)


def app_role_privileges(cursor: Any, *, role: str) -> dict[str, bool]:
    """What ``role`` may do that matters here, as PostgreSQL answers it."""
    checks = {f"{privilege} on {AUDIT_TABLE}": privilege for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE",
                                                                            "TRUNCATE", "TRIGGER")}
    migrated = bool(_one(cursor, "SELECT to_regclass(%s) IS NOT NULL", [AUDIT_TABLE]))
    answers = {label: migrated and bool(_one(cursor, "SELECT has_table_privilege(%s, %s, %s)",
                                             [role, AUDIT_TABLE, privilege]))
               for label, privilege in checks.items()}
    answers["superuser"] = bool(_one(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role]))
    answers["CREATE on schema public"] = bool(_one(cursor, "SELECT has_schema_privilege(%s, 'public', 'CREATE')",
                                                   [role]))
    answers["owns tables"] = bool(_one(
        cursor, "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s", [role]))
    return answers


@contextmanager
def owner_connection(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """The ``alias`` connection, switched to the owner's credentials (``DATABASE_OWNER_URL``) while
    the block runs, then back to the application's role. Without an owner URL, unchanged."""
    connection = connections[alias]
    owner: dict[str, Any] | None = getattr(settings, "DATABASE_OWNER", None)
    if not owner or alias != DEFAULT_DB_ALIAS:
        yield connection
        return
    if connection.vendor != "postgresql":
        raise ImproperlyConfigured("DATABASE_OWNER_URL is for PostgreSQL; DATABASE_URL does not name PostgreSQL.")
    owner = {key: value for key, value in owner.items() if key != "NAME"}  # the same database (a test one too)
    saved = {key: connection.settings_dict.get(key) for key in owner}
    connection.close()
    connection.settings_dict.update(owner)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def application_user(alias: str = DEFAULT_DB_ALIAS) -> tuple[str, str]:
    """The user and password the service connects with (from DATABASE_URL)."""
    settings_dict = connections[alias].settings_dict
    return str(settings_dict.get("USER") or ""), str(settings_dict.get("PASSWORD") or "")
