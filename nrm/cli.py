"""`nrm`: the project's command. It wraps Django's management commands and adds a few of its
own (demo, serve, worker), and turns configuration mistakes into a clear message instead of a
stack trace."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrm.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"nrm: configuration problem: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    if not args:
        args = ["help"]
    try:
        execute_from_command_line(["nrm", *args])
    except ImproperlyConfigured as exc:
        print(f"nrm: configuration problem: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"nrm: cannot use the database: {exc}. Check DATABASE_URL and that the database is running.",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
