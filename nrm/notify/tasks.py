"""Background tasks (Django's tasks API, database-backed queue; run by `nrm worker`)."""

from __future__ import annotations

from django.tasks import task

from nrm.notify.models import OutboxMessage


@task()
def send_outbox_message(message_id: str) -> None:
    from nrm.notify.services import outbox_send

    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is not None:
        outbox_send(message)


@task()
def periodic() -> dict[str, int]:
    """Run by the worker's scheduler every few minutes: retries, reminders, expiries."""
    from nrm.core.periodic import run_periodic_jobs

    return run_periodic_jobs()
