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
            "(emails a set-up link), invite a user (emails a link to set a password, or to an existing account a "
            "link to accept the role), deactivate a leaver, reactivate. Every action is audited.")

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
        sub.add_parser("deactivate", help="a leaver: end every role, session and emailed link; no more sign-in"
                       ).add_argument("email")
        sub.add_parser("reactivate", help="let a deactivated account sign in again (with no role)").add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = _administrator(options["by"])
        action = options["action"]
        if action == "unlock":
            cleared = services.account_unlock(user=_user(options["email"]), actor=actor)
            self.stdout.write(f"Unlocked {options['email']} ({cleared} failure records cleared).")
        elif action == "reset-authenticator":
            services.authenticator_reset(user=_user(options["email"]), actor=actor, base_url=options["base_url"])
            self.stdout.write(f"Removed the authenticator of {options['email']} and emailed a set-up link.")
        elif action == "deactivate":
            user = _user(options["email"])
            if actor is not None and actor.pk == user.pk:
                raise CommandError("An administrator cannot deactivate their own account.")
            if services.account_deactivate(user=user, actor=actor):
                self.stdout.write(f"Deactivated {user.email}: every role, session and emailed link has ended.")
            else:
                self.stdout.write(f"{user.email} was already deactivated.")
        elif action == "reactivate":
            user = _user(options["email"])
            if services.account_reactivate(user=user, actor=actor):
                self.stdout.write(f"Reactivated {user.email}. It holds no role until an administrator gives one.")
            else:
                self.stdout.write(f"{user.email} is not deactivated.")
        else:
            self._invite(actor, options)

    def _invite(self, actor: User | None, options: dict[str, Any]) -> None:
        from nrm.reference.models import Organisation

        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"There is no organisation {options['organisation']}.")
        existing = User.objects.filter(email=options["email"].strip().lower()).first()
        try:
            if existing is not None:
                services.membership_offer(user=existing, organisation=organisation, role=Role(options["role"]),
                                          offered_by=actor, base_url=options["base_url"])
            else:
                services.user_invite(email=options["email"], full_name=options["name"], organisation=organisation,
                                     role=Role(options["role"]), invited_by=actor, base_url=options["base_url"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if existing is not None:
            self.stdout.write(f"{options['email']} already has an account: a link to accept or decline the role has "
                              "been emailed. The role starts when they accept.")
        else:
            self.stdout.write(f"Invited {options['email']}: a link to set a password has been emailed.")
