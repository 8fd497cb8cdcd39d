from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.site.db_roles import RoleError, app_role_apply, app_role_privileges, application_user, owner_connection


class Command(BaseCommand):
    help = ("Database administration. `nrm db app-role --role NAME` creates or updates the application's "
            "least-privilege PostgreSQL role (no superuser, no TRUNCATE, ALTER or DROP, INSERT and SELECT only "
            "on the audit log) and grants it exactly that; run it as the owner (DATABASE_OWNER_URL, else "
            "DATABASE_URL). Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["app-role"])
        parser.add_argument("--role", default=None,
                            help="The role's name (default: the user in DATABASE_URL, when DATABASE_OWNER_URL is set)")
        parser.add_argument("--password-env", default=None, metavar="VARIABLE",
                            help="Set the role's password from this environment variable (default: DATABASE_URL's "
                                 "password when the role is DATABASE_URL's user; else the password is not changed)")

    def handle(self, *args: Any, **options: Any) -> None:
        app_user, app_password = application_user()
        with owner_connection() as connection:
            if connection.vendor != "postgresql":
                raise CommandError("`nrm db app-role` is for PostgreSQL: DATABASE_URL does not name a PostgreSQL database.")
            role = options["role"] or (app_user if app_user != connection.settings_dict.get("USER") else "")
            if not role:
                raise CommandError("Give the role: `nrm db app-role --role NAME` (or set DATABASE_OWNER_URL, and "
                                   "DATABASE_URL with the application's user).")
            password = self._password(options["password_env"], role, app_user, app_password)
            try:
                with connection.cursor() as cursor:
                    statements = app_role_apply(cursor, role=role, password=password)
                    privileges = app_role_privileges(cursor, role=role)
            except RoleError as exc:
                raise CommandError(str(exc)) from exc
        if options["verbosity"] > 1:
            for statement in statements:
                self.stdout.write(statement)
        refused = ", ".join(name for name, allowed in privileges.items() if not allowed)
        allowed = ", ".join(name for name, allowed in privileges.items() if allowed)
        self.stdout.write(self.style.SUCCESS(f"Role {role} is the application's role. It may: {allowed}. "
                                             f"It may not: {refused}."))

    @staticmethod
    def _password(variable: str | None, role: str, app_user: str, app_password: str) -> str | None:
        if variable:
            value = os.environ.get(variable, "")
            if not value:
                raise CommandError(f"{variable} is not set or empty.")
            return value
        return app_password if role == app_user and app_password else None
