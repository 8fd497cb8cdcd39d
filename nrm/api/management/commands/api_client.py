"""`nrm api_client create|rotate|revoke`: machine credentials for partner systems (the token is printed once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.accounts.roles import Role
from nrm.api.models import ApiClient
from nrm.api.services import api_client_create, api_client_revoke, api_client_rotate
from nrm.core.errors import ServiceError
from nrm.reference.models import Organisation


class Command(BaseCommand):
    help = "Create, rotate or revoke an API client. The token is shown once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--organisation", required=True, help="the organisation's slug")
        create.add_argument("--name", required=True)
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument("--scope", action="append", required=True, dest="scopes")
        for action in ("rotate", "revoke"):
            sub.add_parser(action).add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                organisation = Organisation.objects.get(slug=options["organisation"])
                client, token = api_client_create(organisation=organisation, name=options["name"],
                                                  role=Role(options["role"]), scopes=options["scopes"])
                self.stdout.write(f"Created {client.key_id}. Token (shown once): {token}")
                return
            client = ApiClient.objects.get(key_id=options["key_id"])
            if options["action"] == "rotate":
                self.stdout.write(f"Rotated {client.key_id}. New token (shown once): {api_client_rotate(client=client)}")
            else:
                api_client_revoke(client=client)
                self.stdout.write(f"Revoked {client.key_id}.")
        except (Organisation.DoesNotExist, ApiClient.DoesNotExist) as exc:
            raise CommandError(str(exc)) from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None
