"""``migrate`` as the tables' owner when ``DATABASE_OWNER_URL`` is set, then the application's
role (the user in ``DATABASE_URL``) re-granted its rights on every table, new ones included."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate

from nrm.site.db_roles import app_role_grants, application_user, owner_connection, role_exists


class Command(DjangoMigrate):
    help = (f"{DjangoMigrate.help} With DATABASE_OWNER_URL set, runs as that owner, then grants the "
            "application's role (DATABASE_URL's user) its rights: see `nrm db app-role`.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "DATABASE_OWNER", None):
            super().handle(*args, **options)
            return
        app_user, _ = application_user(options["database"])
        with owner_connection(options["database"]) as connection:
            super().handle(*args, **options)
            owner_user = connection.settings_dict.get("USER")
            if not app_user or app_user == owner_user:
                return
            with connection.cursor() as cursor:
                if not role_exists(cursor, app_user):
                    self.stdout.write(f"The application's role {app_user} does not exist yet: "
                                      "create it with `nrm db app-role`.")
                    return
                app_role_grants(cursor, role=app_user)
            if options["verbosity"]:
                self.stdout.write(f"Granted the application's role {app_user} its rights on every table.")
