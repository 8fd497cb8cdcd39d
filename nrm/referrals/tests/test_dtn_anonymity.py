"""A Duty to Notify report is anonymous by construction: starting from the report, following every
relation Django knows of (so a relation added later is covered too) and every audit event that
names it, nothing leads to the person, the first responder, the draft it came from or a time finer
than the report's date. Requests to refer keep personal details only while the retention rule allows."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.audit.services import audit_verify
from nrm.core import middleware
from nrm.core.policy import int_value
from nrm.notify.models import OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.models import Concern, ConcernStatus, DraftEvent, DutyToNotifyReport, Referral
from nrm.referrals.tests.answer_sets import ADULT, DUTY_TO_NOTIFY
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"
REQUEST_ID = "f" * 32
# What the first responder typed before the adult refused consent, and what the request said.
IDENTIFYING = ("Tomasz", "Nowak", "1980", "Hill Estate", "car wash", "Alex Morgan", "alex.morgan@school.example",
               "Absent most Mondays", "Jo Evans", "jo.evans@nhs.example")


def _in_request(func: Callable[[], Any]) -> Any:
    """Run a service as a page would, with a request id set."""
    def call() -> Any:
        middleware._request_id.set(REQUEST_ID)
        return func()

    return contextvars.copy_context().run(call)


@pytest.fixture
def report_and_traces(first_responder: User, make_user: Callable[..., User],
                      django_capture_on_commit_callbacks: Any) -> tuple[DutyToNotifyReport, dict[str, str]]:
    """A report made from a draft that went through every identifying step first: a request to
    refer, names and a date of birth, evidence, an invited contributor, a read, an expiry warning."""
    met = Organisation.objects.get(slug="police-e23000001")
    concern = services.concern_raise(
        organisation=met, urgency="urgent", summary="A man is kept at a car wash.",
        person_details="Known as Tomasz; lives on the Hill Estate.", raiser_name="Jo Evans",
        raiser_email="jo.evans@nhs.example", raiser_phone="", raiser_role="Health visitor")
    draft: Referral = _in_request(lambda: services.concern_start_referral(concern=concern, actor=first_responder))
    _in_request(lambda: services.referral_save_step(referral=draft, actor=first_responder, step="person-name",
                                                    values={k: v for k, v in ADULT.items() if k != "consent"}))
    with django_capture_on_commit_callbacks(execute=True):
        attachment = services.attachment_add(referral=draft, actor=first_responder,
                                             upload=SimpleUploadedFile("nowak.pdf", PDF), description="Tomasz Nowak")
    teacher = make_user(Role.CONTRIBUTOR, email="alex.morgan@school.example", full_name="Alex Morgan")
    invitation = services.invitation_send(referral=draft, actor=first_responder, name="Alex Morgan",
                                          email="alex.morgan@school.example", organisation_name="School",
                                          site_url="https://nrm.example")
    services.invitation_accept(invitation=invitation, actor=teacher)
    services.contribution_add(referral=draft, actor=teacher, topic="Attendance", text="Absent most Mondays")
    services.referral_record_view(referral=draft, actor=first_responder, where="check")
    Referral.objects.filter(pk=draft.pk).update(expires_at=timezone.now() + timedelta(days=2))
    assert services.drafts_warn_expiring() == 1
    draft.refresh_from_db()
    draft.answers = {**draft.answers, **DUTY_TO_NOTIFY}
    draft.save(update_fields=["answers"])
    stored = str(attachment.file.name)
    traces = {"draft": str(draft.pk), "user": str(first_responder.pk), "user_email": first_responder.email,
              "contributor": str(teacher.pk), "invitation": str(invitation.pk), "attachment": str(attachment.pk),
              "file": stored, "request": REQUEST_ID}
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with django_capture_on_commit_callbacks(execute=True):
        result = _in_request(lambda: services.referral_submit(referral=draft, actor=first_responder))
    report = result.duty_to_notify
    assert isinstance(report, DutyToNotifyReport)
    assert not AuditEvent.objects.filter(id__gt=last_event or 0).exists(), (
        "nothing is written to the audit log when the report is made: its place in the chain, its "
        "time and its request would link it to the first responder and the draft")
    assert not default_storage.exists(stored)
    return report, traces


def _is_reference_data(model: type[models.Model]) -> bool:
    return model._meta.app_label == "reference"


def _reachable(start: models.Model) -> Iterator[models.Model]:
    """Every record linked to ``start``, following forward and reverse relations (via ``_meta``)
    except into shared reference data (organisations, countries, forces), which links nothing."""
    seen: set[tuple[str, Any]] = set()
    todo = [start]
    while todo:
        record = todo.pop()
        key = (record._meta.label, record.pk)
        if key in seen:
            continue
        seen.add(key)
        yield record
        for field in record._meta.get_fields(include_hidden=True):
            if not field.is_relation or field.related_model is None:
                continue
            related: type[models.Model] = field.related_model
            if _is_reference_data(related):
                continue
            todo.extend(_related_records(record, field))


def _related_records(record: models.Model, field: Any) -> list[models.Model]:
    accessor = field.name if field.concrete or not field.auto_created else field.get_accessor_name()
    if field.one_to_one and not field.concrete:
        value = getattr(record, accessor, None) if hasattr(record, accessor) else None
        return [value] if value is not None else []
    value = getattr(record, accessor, None)
    if value is None:
        return []
    if isinstance(value, models.Model):
        return [value]
    return list(value.all())


def _field_values(record: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def _text(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _finds(haystack: str, traces: dict[str, str]) -> list[str]:
    found = [name for name, trace in traces.items() if trace and trace in haystack]
    found += [word for word in IDENTIFYING if word in haystack]
    return found


def test_every_record_linked_to_a_report_holds_nothing_identifying(
        report_and_traces: tuple[DutyToNotifyReport, dict[str, str]]) -> None:
    report, traces = report_and_traces
    reached = list(_reachable(report))
    assert reached[0] == report
    for record in reached:
        values = _field_values(record)
        assert not _finds(_text(values), traces), f"{record._meta.label} links to {_finds(_text(values), traces)}"
        times = [name for name, field in ((f.attname, f) for f in record._meta.concrete_fields)
                 if isinstance(field, models.DateTimeField)]
        assert not times, f"{record._meta.label} keeps a time of day: {times}"
    forward = {f.related_model._meta.label for f in report._meta.get_fields()
               if f.is_relation and f.concrete and f.related_model is not None}
    assert all(label.startswith("reference.") for label in forward), "a report points only at reference data"


def test_no_record_anywhere_keeps_the_draft_it_came_from(
        report_and_traces: tuple[DutyToNotifyReport, dict[str, str]], settings: Any) -> None:
    """The draft's id, its attachments, invitation and held audit events are gone from every table
    (the audit log included) and from file storage, so nothing can lead back from the report."""
    _, traces = report_and_traces
    gone = {k: traces[k] for k in ("draft", "invitation", "attachment", "file")}
    for model in apps.get_models(include_auto_created=True):
        for values in model._default_manager.all().values(*[f.attname for f in model._meta.concrete_fields]):
            assert not _finds_only(_text(values), gone), f"{model._meta.label} still holds {_finds_only(_text(values), gone)}"
    assert not DraftEvent.objects.exists()
    assert not Referral.objects.exists()
    assert not OutboxMessage.objects.exclude(kind="concern").exists(), (
        "the invitation and the expiry warning about the draft went with it, and no receipt names the report")
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    names = [str(p.relative_to(root)) for p in root.rglob("*")] if root.exists() else []
    assert not [n for n in names if _finds_only(n, gone)], names


def _finds_only(haystack: str, traces: dict[str, str]) -> list[str]:
    return [name for name, trace in traces.items() if trace and (trace in haystack or trace.replace("-", "") in haystack)]


def test_the_report_is_audited_after_its_day_with_the_organisation_and_date_only(
        report_and_traces: tuple[DutyToNotifyReport, dict[str, str]]) -> None:
    report, traces = report_and_traces
    assert services.duty_to_notify_audit_reports() == 0, "not while the report's day runs"
    DutyToNotifyReport.objects.filter(pk=report.pk).update(report_date=report.report_date - timedelta(days=1))
    report.refresh_from_db()
    assert services.duty_to_notify_audit_reports() == 1
    assert services.duty_to_notify_audit_reports() == 0, "once"
    events = [e for e in AuditEvent.objects.all() if str(report.pk) in _text(_field_values(e))]
    assert len(events) == 1
    event = events[0]
    assert (event.actor_id, event.actor_label, event.request_id, event.case_id) == (None, "system", "", None)
    assert event.before is None
    assert event.after == {"organisation": "police-e23000001",
                                                    "report_date": report.report_date.isoformat()}
    assert timezone.localdate(event.occurred_at) > report.report_date, "written after the day, not at the time"
    assert not _finds(_text(_field_values(event)), traces)
    assert audit_verify() == []


def test_a_draft_sent_as_an_nrm_referral_keeps_its_full_audit_trail(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    draft = make_draft(first_responder, "adult")
    _in_request(lambda: services.referral_save_step(referral=draft, actor=first_responder, step="account",
                                                    values={"account": "More detail."}))
    assert DraftEvent.objects.filter(referral=draft).count() == 2
    assert not AuditEvent.objects.filter(object_id=str(draft.pk)).exists(), "held with the draft until it is sent"
    services.referral_submit(referral=draft, actor=first_responder)
    actions = list(AuditEvent.objects.filter(object_id=str(draft.pk)).values_list("action", flat=True))
    assert actions[:3] == ["referral.draft_started", "referral.draft_saved", "referral.submitted"]
    saved = AuditEvent.objects.get(object_id=str(draft.pk), action="referral.draft_saved")
    assert saved.actor == first_responder
    assert saved.after is not None
    assert saved.after["request_id"] == REQUEST_ID
    assert saved.after["questions"] == ["account"]
    assert datetime.fromisoformat(saved.after["happened_at"]) <= saved.occurred_at
    assert not DraftEvent.objects.exists()
    assert audit_verify() == []


@pytest.mark.parametrize("fate", ["deleted", "expired"])
def test_a_deleted_or_expired_draft_keeps_its_audit_trail(
        fate: str, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    draft = make_draft(first_responder, "child")
    if fate == "deleted":
        services.referral_draft_delete(referral=draft, actor=first_responder)
    else:
        services.drafts_expire(now=draft.expires_at + timedelta(seconds=1))
    actions = list(AuditEvent.objects.filter(object_id=str(draft.pk)).values_list("action", flat=True))
    assert actions == ["referral.draft_started", f"referral.draft_{fate}"]


def _concern(created: date) -> Concern:
    concern = services.concern_raise(
        organisation=Organisation.objects.get(slug="police-e23000001"), urgency="standard",
        summary="A man is kept at a car wash.", person_details="Lives on the Hill Estate.", raiser_name="Jo Evans",
        raiser_email="jo.evans@nhs.example", raiser_phone="0161 496 0000", raiser_role="Health visitor")
    moment = timezone.make_aware(datetime.combine(created, datetime.min.time())) + timedelta(hours=12)
    Concern.objects.filter(pk=concern.pk).update(created_at=moment)
    return concern


def test_requests_to_refer_lose_their_personal_details_under_the_dated_retention_rule(
        first_responder: User) -> None:
    today = timezone.localdate()
    days = int_value("concern_retention_days", on=today)
    old, recent = _concern(today - timedelta(days=days + 1)), _concern(today - timedelta(days=days - 1))
    assert services.concerns_clear_personal_details(today=today) == 1
    assert services.concerns_clear_personal_details(today=today) == 0, "once"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.raiser_name, old.raiser_email, old.raiser_phone, old.summary, old.person_details) == ("",) * 5
    assert old.status == ConcernStatus.CLOSED
    assert old.personal_details_cleared_on == today
    assert recent.person_details == "Lives on the Hill Estate."
    assert recent.personal_details_cleared_on is None
    event = AuditEvent.objects.get(action="concern.personal_details_cleared")
    assert event.object_id == str(old.pk)
    assert event.actor_id is None
    assert "Hill Estate" not in _text(event.after)
    assert "Jo Evans" not in _text(event.after)
    page = sign_in(Client(), first_responder).get(reverse("referrals:concern_detail", kwargs={"concern_id": old.pk}))
    assert page.status_code == 200
    assert "retention period" in page.content.decode()
    assert "Jo Evans" not in page.content.decode()


def test_the_worker_runs_the_anonymity_and_retention_jobs() -> None:
    from nrm.core.periodic import load_jobs

    assert {"referrals.audit_duty_to_notify_reports", "referrals.clear_concern_personal_details"} <= set(load_jobs())

