from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nrm.accounts.services import roles_sync


class Command(BaseCommand):
    help = "Write the roles defined in code (nrm/accounts/roles.py) to the database."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = roles_sync()
        self.stdout.write(f"Roles in sync ({len(changed)} created or changed: {', '.join(changed) or 'none'}).")
