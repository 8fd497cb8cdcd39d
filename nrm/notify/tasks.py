"""Background tasks (Django's tasks API, database-backed queue; run by `nrm worker`)."""

from __future__ import annotations

from django.tasks import task


@task()
def send_outbox_message(message_id: str) -> None:
    """Send one message as soon as its transaction commits. Harmless if another worker has it:
    the claim in ``outbox_send_one`` lets exactly one of them send."""
    from nrm.notify.delivery import outbox_send_one

    outbox_send_one(message_id=message_id)


@task()
def periodic() -> dict[str, int]:
    """Run by the worker's scheduler every few minutes: retries, reminders, expiries."""
    from nrm.core.periodic import run_periodic_jobs

    return run_periodic_jobs()
