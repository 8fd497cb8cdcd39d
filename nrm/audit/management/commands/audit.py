from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.audit.seals import AuditReport, audit_seal, audit_verify_sealed


class Command(BaseCommand):
    help = ("Audit log tools. `nrm audit verify` checks the hash chain and every seal for tampering; "
            "`nrm audit seal` seals the chain's current end now (the worker does it every period).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument("--seal-dir", type=Path, default=None,
                            help="Directory of the seals (default: NRM_AUDIT_SEAL_DIR, var/audit-seals)")
        parser.add_argument("--period", type=int, default=None,
                            help="The sealing period in seconds (default: NRM_AUDIT_SEAL_PERIOD, 300); a newest "
                                 "seal older than twice this while events follow it fails verification")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["seal_dir"] or Path(settings.AUDIT_SEAL_DIR)
        if options["action"] == "seal":
            seal = audit_seal(directory=directory, key=settings.AUDIT_SEAL_KEY)
            self.stdout.write(self.style.SUCCESS(
                f"Sealed event {seal.last_id} ({seal.count} events) at {seal.sealed_at} in {directory / seal.name}."))
            return
        period = timedelta(seconds=options["period"] or settings.AUDIT_SEAL_PERIOD)
        report = audit_verify_sealed(directory=directory, key=settings.AUDIT_SEAL_KEY, period=period)
        self._describe(report, directory)
        if not report.intact:
            problems = report.problems()
            for problem in problems[:50]:
                self.stderr.write(problem)
            raise CommandError(f"The audit log has been tampered with: {len(problems)} problem(s) in "
                               f"{report.events} events and {report.seals} seal(s).")
        self.stdout.write(self.style.SUCCESS(
            f"The audit log is intact: {report.events} events, chain verified, {report.seals} seal(s) verified."))

    def _describe(self, report: AuditReport, directory: Path) -> None:
        self.stdout.write(f"Chain: {report.events} events, {len(report.chain_problems)} problem(s).")
        if report.last_seal is None:
            self.stdout.write(f"Seals: none in {directory}. Without seals, whoever controls the database can "
                              "rewrite the log undetected: run `nrm audit seal`, and the worker.")
            return
        seal = report.last_seal
        self.stdout.write(f"Seals: {report.seals} in {directory}, linked; last sealed point: event {seal.last_id} "
                          f"({seal.count} events) at {seal.sealed_at} (seal number {seal.seq}).")
        self.stdout.write(f"After it: {report.after_last_seal} event(s), not yet sealed (the next seal covers them).")
