"""Writing and verifying audit events.

Services call :func:`audit_record` inside the transaction that makes the change, so the event
and the change commit or roll back together. Events are chained: each stores the SHA-256 of
its own content plus the previous event's hash, and :func:`audit_verify` recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from nrm.audit.models import AuditEvent
from nrm.core.middleware import current_request_id

GENESIS_HASH = "0" * 64
_PG_ADVISORY_LOCK = 0x4E524D41  # "NRMA": serialises appends to the chain on PostgreSQL


def lock_chain() -> None:
    """Hold the chain's append lock until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_ADVISORY_LOCK])


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def event_hash(event: AuditEvent) -> str:
    payload = json.dumps(
        {
            "occurred_at": event.occurred_at.isoformat(),
            "actor": str(event.actor_id) if event.actor_id else None,
            "actor_label": event.actor_label,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "case_id": str(event.case_id) if event.case_id else None,
            "request_id": event.request_id,
            "before": event.before,
            "after": event.after,
            "previous_hash": event.previous_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def actor_reference(user: Any) -> str:
    """How an event names its actor: a stable reference to the account, never their email or name
    (a page resolves the display name through the accounts table when it shows the event)."""
    return f"user:{user.pk}"


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    case: Any = None,
) -> AuditEvent:
    """Append an event to the chain. Call it inside the service's own transaction."""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        case_id = getattr(case, "pk", None)
        if case_id is None and type(target).__name__ == "Case":
            case_id = target.pk
        authenticated = actor is not None and getattr(actor, "is_authenticated", False)
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor if authenticated else None,
            actor_label=actor_reference(actor) if authenticated else "system",
            action=action,
            object_type=type(target)._meta.label if hasattr(type(target), "_meta") else type(target).__name__,
            object_id=str(getattr(target, "pk", target)),
            case_id=case_id,
            request_id=current_request_id() or "",
            before=_jsonable(before),
            after=_jsonable(after),
            previous_hash=last or GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def audit_verify(*, each: Callable[[AuditEvent], None] | None = None) -> list[ChainProblem]:
    """Recompute every hash in order; an edited, removed or inserted event breaks the chain.

    This alone cannot catch someone who rewrites the chain from the edit onwards, cuts its tail or
    empties the table: the seals (``nrm.audit.seals``) do. ``each`` sees every event, in order."""
    problems: list[ChainProblem] = []
    expected_previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if each is not None:
            each(event)
        if event.previous_hash != expected_previous:
            problems.append(ChainProblem(event.id, "does not follow the event before it (an event was removed or inserted)"))
        if event_hash(event) != event.hash:
            problems.append(ChainProblem(event.id, "its content does not match its hash (it was changed)"))
        expected_previous = event.hash
    return problems
