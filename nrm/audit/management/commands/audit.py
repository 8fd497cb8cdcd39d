from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.audit.models import AuditEvent
from nrm.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `nrm audit verify` checks the hash chain for tampering."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_verify()
        total = AuditEvent.objects.count()
        if problems:
            for problem in problems[:50]:
                self.stderr.write(f"event {problem.event_id}: {problem.problem}")
            raise CommandError(f"The audit log has been tampered with: {len(problems)} problem(s) in {total} events.")
        self.stdout.write(self.style.SUCCESS(f"The audit log is intact: {total} events, chain verified."))
