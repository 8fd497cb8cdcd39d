from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.accounts.models import User
from nrm.core.errors import ServiceError
from nrm.reference.models import Organisation
from nrm.reviews.models import Panellist
from nrm.reviews.services import panellist_add


class Command(BaseCommand):
    help = ("Add a panel member or chair to the pool Multi-Agency Assurance Panels are drawn from, with the "
            "organisation they come from (its type gives their sector), or list the pool.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", nargs="?", help="The panel member's or chair's email address")
        parser.add_argument("home_organisation", nargs="?", help="Slug of the organisation they come from")

    def handle(self, *args: Any, **options: Any) -> None:
        email, slug = options.get("email"), options.get("home_organisation")
        if not email:
            for p in Panellist.objects.select_related("user", "home_organisation"):
                state = "" if p.is_active else " (inactive)"
                self.stdout.write(f"{p.user.email}\t{p.get_sector_display()}\t{p.home_organisation.slug}{state}")
            return
        if not slug:
            raise CommandError("Give the slug of the organisation the panellist comes from, e.g. police-e23000001.")
        user = User.objects.filter(email=email.lower()).first()
        organisation = Organisation.objects.filter(slug=slug).first()
        if user is None:
            raise CommandError(f"There is no user with the email address {email}.")
        if organisation is None:
            raise CommandError(f"There is no organisation with the slug {slug}.")
        try:
            panellist = panellist_add(user=user, home_organisation=organisation)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.email} is in the panel pool ({panellist.get_sector_display()}, {organisation}).")
