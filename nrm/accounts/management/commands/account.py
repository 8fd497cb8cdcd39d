from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.accounts import services
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.core.errors import ServiceError


def _user(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"There is no account for {email}.")
    return user


def _administrator(email: str | None) -> User | None:
    if not email:
        return None
    admin = _user(email)
    if not admin.has_role(Role.ADMINISTRATOR):
        raise CommandError(f"{email} is not an administrator.")
    return admin


class Command(BaseCommand):
    help = ("Administer accounts: unlock after too many failed sign-ins, reset an authenticator "
            "(emails a set-up link), invite a user (emails a link to set a password). Every action is audited.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", help="email of the administrator doing this (recorded in the audit log)")
        parser.add_argument("--base-url", default=settings.NRM_BASE_URL, help="the service's address, for links")
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("unlock", help="clear an account's failed sign-ins").add_argument("email")
        sub.add_parser("reset-authenticator", help="remove an authenticator and email a set-up link").add_argument("email")
        invite = sub.add_parser("invite", help="create an account and email a link to set a password")
        invite.add_argument("email")
        invite.add_argument("--name", required=True)
        invite.add_argument("--organisation", required=True, help="organisation slug")
        invite.add_argument("--role", required=True, choices=[str(r) for r in Role])

    def handle(self, *args: Any, **options: Any) -> None:
        actor = _administrator(options["by"])
        action = options["action"]
        if action == "unlock":
            cleared = services.account_unlock(user=_user(options["email"]), actor=actor)
            self.stdout.write(f"Unlocked {options['email']} ({cleared} failure records cleared).")
        elif action == "reset-authenticator":
            services.authenticator_reset(user=_user(options["email"]), actor=actor, base_url=options["base_url"])
            self.stdout.write(f"Removed the authenticator of {options['email']} and emailed a set-up link.")
        else:
            self._invite(actor, options)

    def _invite(self, actor: User | None, options: dict[str, Any]) -> None:
        from nrm.reference.models import Organisation

        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation {options['organisation']}.")
        if User.objects.filter(email=options["email"].strip().lower()).exists():
            raise CommandError(f"There is already an account for {options['email']}.")
        try:
            services.user_invite(email=options["email"], full_name=options["name"], organisation=organisation,
                                 role=Role(options["role"]), invited_by=actor, base_url=options["base_url"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Invited {options['email']}: a link to set a password has been emailed.")
