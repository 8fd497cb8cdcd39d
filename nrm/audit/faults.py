"""What someone who controls the database can do to the audit log, written as they would: SQL
as the tables' owner, the append-only trigger switched off, the hash chain recomputed so that it
verifies on its own. Used by the audit tests and ``bench/security.py`` (tampering section) to show
that the seals (``nrm.audit.seals``) catch each move. Never called by the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from nrm.audit.models import AuditEvent
from nrm.audit.seals import Seal, audit_seal
from nrm.audit.services import GENESIS_HASH, event_hash

TABLE = AuditEvent._meta.db_table
TRIGGER = "audit_event_append_only"


@contextmanager
def trigger_off() -> Iterator[Any]:
    """A cursor with the append-only trigger disabled (PostgreSQL), in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def _rechain(cursor: Any, *, from_id: int) -> int:
    """Recompute the hash of every event from ``from_id`` on, so that the chain verifies; how many."""
    before = AuditEvent.objects.filter(id__lt=from_id).order_by("-id").values_list("hash", flat=True).first()
    previous = before or GENESIS_HASH
    changed = 0
    for event in AuditEvent.objects.filter(id__gte=from_id).order_by("id"):
        event.previous_hash = previous
        event.hash = event_hash(event)
        cursor.execute(f"UPDATE {TABLE} SET previous_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                       [event.previous_hash, event.hash, event.id])
        previous = event.hash
        changed += 1
    return changed


def _reset_sequence(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), (SELECT max(id) FROM {TABLE}))")  # noqa: S608


def forge_insert(*, before_id: int, action: str = "case.decision.changed") -> int:
    """Insert a forged event just before event ``before_id`` (moving the later ids up by one) and
    recompute the chain from it. Returns the forged event's id."""
    with trigger_off() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET id = -id WHERE id >= %s", [before_id])  # noqa: S608
        cursor.execute(f"UPDATE {TABLE} SET id = 1 - id WHERE id < 0")  # noqa: S608
        model = AuditEvent.objects.get(id=before_id + 1)
        forged = AuditEvent(
            id=before_id, occurred_at=model.occurred_at - timedelta(microseconds=1), actor_label="system",
            action=action, object_type=model.object_type, object_id=model.object_id, case_id=model.case_id,
            before=None, after={"forged": True}, previous_hash=GENESIS_HASH, hash="",
        )
        forged.hash = event_hash(forged)
        forged.save(force_insert=True)
        _rechain(cursor, from_id=before_id)
        _reset_sequence(cursor)
    return before_id


def edit_and_rechain(*, event_id: int, after: dict[str, Any]) -> int:
    """Change what event ``event_id`` says and recompute the chain after it; events rehashed."""
    with trigger_off() as cursor:
        AuditEvent.objects.filter(id=event_id).update(after=after)
        return _rechain(cursor, from_id=event_id)


def cut_tail(*, events: int) -> list[int]:
    """Delete the last ``events`` events (what is left is still a valid chain); their ids."""
    with trigger_off() as cursor:
        ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:events])
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [min(ids)])  # noqa: S608
    return ids


def truncate() -> None:
    """Empty the table (TRUNCATE on PostgreSQL: no row trigger fires)."""
    with trigger_off() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}" if connection.vendor == "postgresql" else f"DELETE FROM {TABLE}")  # noqa: S608


def forge_seal(*, directory: Path, key: str) -> Seal:
    """A seal of the current log made with a key that is not the service's (the database's guess)."""
    return audit_seal(directory=directory, key=key)
