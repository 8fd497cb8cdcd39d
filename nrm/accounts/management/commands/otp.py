from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Authenticator codes are never printed in production.")
        from nrm.accounts.demo import DEMO_LOGINS

        for login in DEMO_LOGINS:
            if login.email == options["email"].lower() and login.totp_key_hex:
                self.stdout.write(login.current_code() or "")
                return
        raise CommandError(f"{options['email']} is not a demo user with an authenticator.")
