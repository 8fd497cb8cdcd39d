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
def periodic() -> dict[str, int | None]:
    """The periodic jobs not yet run in this five-minute period (the worker runs them itself; this
    task is kept for runs already queued). Claimed per period, so never run twice."""
    from nrm.notify.delivery import process_worker_id
    from nrm.notify.periodic_runs import periodic_run_due

    return periodic_run_due(worker_id=process_worker_id(), every=300)
