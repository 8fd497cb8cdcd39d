"""`nrm export htcds --from DATE --to DATE --out FILE [--organisation SLUG]`: cases in the HTCDS layout
(JSON or CSV by the file's extension), pseudonymised unless the receiving organisation's data-sharing
agreement allows identifiable data; `nrm export htcds-mapping`: the field-by-field mapping (docs/htcds.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrm.audit.services import audit_record
from nrm.reference.models import Organisation
from nrm.stats.htcds import export_rows, format_for, mapping_markdown, write_export


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2024-03-31, not {text!r}") from None


class Command(BaseCommand):
    help = "Export cases in the UN Migration Human Trafficking Case Data Standard (HTCDS) layout."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        htcds = sub.add_parser("htcds", help="cases received in a date range, as .json or .csv")
        htcds.add_argument("--from", dest="received_from", required=True, metavar="DATE")
        htcds.add_argument("--to", dest="received_to", required=True, metavar="DATE")
        htcds.add_argument("--out", required=True, metavar="FILE", help="a .json or .csv file")
        htcds.add_argument("--organisation", metavar="SLUG",
                           help="the receiving organisation (identifiable only if its data-sharing agreement allows)")
        sub.add_parser("htcds-mapping", help="print the field-by-field mapping (docs/htcds.md)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "htcds-mapping":
            self.stdout.write(mapping_markdown(), ending="")
            return
        received_from = _date(options["received_from"], "--from")
        received_to = _date(options["received_to"], "--to")
        if received_to < received_from:
            raise CommandError("--to must be the same as or after --from")
        out = Path(options["out"])
        try:
            fmt = format_for(out)
        except ValueError as exc:
            raise CommandError(f"--out: {exc}") from None
        identifiable, organisation = False, None
        if options.get("organisation"):
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation {options['organisation']!r}")
            identifiable = organisation.identifiable_data_sharing
        rows = export_rows(received_from=received_from, received_to=received_to, identifiable=identifiable)
        try:
            with out.open("w", encoding="utf-8", newline="") as f:
                count = write_export(rows, f, fmt=fmt, identifiable=identifiable, received_from=received_from,
                                     received_to=received_to)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        audit_record(actor=None, action="htcds.exported", target=organisation or "htcds", after={
            "from": received_from.isoformat(), "to": received_to.isoformat(), "cases": count,
            "identifiable": identifiable, "file": str(out), "by": "command"})
        kind = "identifiable" if identifiable else "pseudonymised"
        self.stdout.write(f"Wrote {count} case(s), {kind}, to {out}")
