"""`nrm keys status` and `nrm keys rotate` (ADR 0019)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from nrm.audit.services import audit_record
from nrm.core.crypto import KeyUnavailableError, newest_kek_version
from nrm.core.keys import data_keys_by_kek_version, data_keys_rotate
from nrm.core.sealing import RecordClass


class Command(BaseCommand):
    help = ("Data keys of the encryption at rest. `nrm keys status` counts the live data keys each "
            "key-encryption key (NRM_DATA_KEYS version) wraps; `nrm keys rotate` rewraps them all under the "
            "newest version, without touching the encrypted data. Add the new version to NRM_DATA_KEYS, "
            "rotate, then remove the old version.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "rotate"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            try:
                rewrapped = data_keys_rotate()
            except KeyUnavailableError as exc:
                raise CommandError(f"Cannot rotate: {exc}. Keep every version still in use in NRM_DATA_KEYS.") from exc
            with transaction.atomic():
                audit_record(actor=None, action="data_keys.rotated", target=RecordClass("data_key"),
                             after={"rewrapped": rewrapped, "kek_version": newest_kek_version()})
            self.stdout.write(self.style.SUCCESS(
                f"Rewrapped {rewrapped} data key(s) under key-encryption key version {newest_kek_version()}."))
        for version, count in data_keys_by_kek_version().items():
            self.stdout.write(f"key-encryption key version {version}: {count} live data key(s)")
