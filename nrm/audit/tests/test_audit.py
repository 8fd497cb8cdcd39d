import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from nrm.audit.models import AuditEvent
from nrm.audit.services import GENESIS_HASH, audit_record, audit_verify
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    organisation = Organisation.objects.get(slug="sca")
    return [audit_record(actor=None, action=f"test.{i}", target=organisation, after={"i": i}) for i in range(n)]


def test_events_form_a_chain() -> None:
    events = _events(3)
    assert events[0].previous_hash == GENESIS_HASH or AuditEvent.objects.filter(id__lt=events[0].id).exists()
    assert events[1].previous_hash == events[0].hash
    assert events[2].previous_hash == events[1].hash
    assert audit_verify() == []


def test_an_event_records_who_what_which_and_when() -> None:
    event = _events(1)[0]
    assert event.actor_label == "system"
    assert event.object_type == "reference.Organisation"
    assert event.object_id == str(Organisation.objects.get(slug="sca").pk)
    assert event.after == {"i": 0}
    assert event.occurred_at is not None


def test_a_changed_event_is_detected() -> None:
    events = _events(3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    AuditEvent.objects.filter(id=events[1].id).update(after={"i": 99})
    problems = audit_verify()
    assert [p.event_id for p in problems] == [events[1].id]
    assert "changed" in problems[0].problem


def test_a_removed_event_is_detected() -> None:
    events = _events(3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    AuditEvent.objects.filter(id=events[1].id).delete()
    problems = audit_verify()
    assert [p.event_id for p in problems] == [events[2].id]
    assert "removed" in problems[0].problem


def test_postgresql_refuses_update_and_delete() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; this runs in the PostgreSQL pass")
    event = _events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=event.id).delete()


def test_audit_verify_command_reports(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    events = _events(2)
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    AuditEvent.objects.filter(id=events[0].id).update(actor_label="someone else")
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify")
