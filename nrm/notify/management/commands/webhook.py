"""`nrm webhook add|list|rotate|remove`: partner systems' webhook endpoints (the secret is printed once)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.core.errors import ServiceError
from nrm.notify.models import WebhookEndpoint, WebhookEvent
from nrm.notify.webhooks import webhook_add, webhook_remove, webhook_rotate, webhooks_of
from nrm.reference.models import Organisation


class Command(BaseCommand):
    help = ("Add, list, rotate the secret of, or remove an organisation's webhook endpoints. "
            f"Events: {', '.join(WebhookEvent.values)}. The secret is shown once.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        add.add_argument("--organisation", required=True, help="the organisation's slug")
        add.add_argument("--url", required=True)
        add.add_argument("--event", action="append", required=True, dest="events", choices=WebhookEvent.values)
        listing = sub.add_parser("list")
        listing.add_argument("--organisation", help="the organisation's slug (default: all)")
        for action in ("rotate", "remove"):
            sub.add_parser(action).add_argument("endpoint_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation {options.get('organisation')!r}") from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def _add(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.get(slug=options["organisation"])
        endpoint, secret = webhook_add(organisation=organisation, url=options["url"], events=options["events"])
        self.stdout.write(f"Added webhook {endpoint.pk} for {organisation.slug}.\nSecret (shown once): {secret}")

    def _list(self, options: dict[str, Any]) -> None:
        slug = options.get("organisation")
        organisation = Organisation.objects.get(slug=slug) if slug else None
        for endpoint in webhooks_of(organisation):
            self.stdout.write(f"{endpoint.pk}  {endpoint.organisation.slug}  {endpoint.url}  {','.join(endpoint.event_names)}")

    def _endpoint(self, options: dict[str, Any]) -> WebhookEndpoint:
        try:
            return WebhookEndpoint.objects.get(pk=UUID(options["endpoint_id"]), removed_at__isnull=True)
        except (ValueError, WebhookEndpoint.DoesNotExist):
            raise CommandError(f"No webhook {options['endpoint_id']!r} in use") from None

    def _rotate(self, options: dict[str, Any]) -> None:
        endpoint = self._endpoint(options)
        self.stdout.write(f"Rotated webhook {endpoint.pk}.\nNew secret (shown once): {webhook_rotate(endpoint=endpoint)}")

    def _remove(self, options: dict[str, Any]) -> None:
        endpoint = webhook_remove(endpoint=self._endpoint(options))
        self.stdout.write(f"Removed webhook {endpoint.pk}.")
