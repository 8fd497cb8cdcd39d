"""`nrm erase --case REF --reason TEXT`: the administrator's right-to-erasure path (ADR 0019)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.cases.models import Case
from nrm.cases.services import case_erase
from nrm.core.errors import ServiceError


class Command(BaseCommand):
    help = ("Erase a case's personal details for good (right to erasure): destroys the data key of its "
            "referral, so its answers, evidence, notes, letters and the audit details sealed under it can "
            "never be read again. Pages then show 'Erased'; the case's codes, dates and the audit chain stay. "
            "--reason is required and audited: give the erasure request's reference, not personal data.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", required=True, metavar="REF", help="the case reference")
        parser.add_argument("--reason", required=True, help="why (the erasure request's reference)")

    def handle(self, *args: Any, **options: Any) -> None:
        case = Case.objects.select_related("referral").filter(reference=options["case"].strip().upper()).first()
        if case is None:
            raise CommandError(f"No case {options['case']!r}.")
        try:
            destroyed = case_erase(case=case, actor=None, reason=options["reason"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if not destroyed:
            self.stdout.write(f"Case {case.reference} was already erased.")
            return
        self.stdout.write(self.style.SUCCESS(f"Case {case.reference} erased ({destroyed} data key(s) destroyed)."))
