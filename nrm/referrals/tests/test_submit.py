"""Submitting: the case, the partner messages, the audit trail, idempotency, Duty to Notify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.cases.lifecycle import State
from nrm.cases.models import Case
from nrm.core.errors import AccessDenied, ServiceError
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.reference.models import LocalAuthority, Organisation, PoliceForce
from nrm.referrals.models import DutyToNotifyReport, Referral, ReferralStatus, new_duty_to_notify_reference
from nrm.referrals.services import ReferralIncomplete, referral_start, referral_submit

pytestmark = pytest.mark.django_db


def slug_of(message: OutboxMessage) -> str:
    assert message.recipient_organisation is not None
    return message.recipient_organisation.slug


def code_of(row: Any) -> str:
    assert row is not None
    return str(row.code)


def messages_about(referral: Referral) -> dict[str, OutboxMessage]:
    return {m.kind: m for m in OutboxMessage.objects.filter(about_id=str(referral.pk))}


def test_a_child_referral_opens_a_case_and_tells_the_police_and_childrens_services(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    result = referral_submit(referral=referral, actor=first_responder)
    today = timezone.localdate()

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SUBMITTED
    assert str(referral.reference).startswith(f"NRM-{today.year}-")
    assert referral.is_child
    assert referral.competent_authority == "SCA"
    assert referral.county_lines
    assert code_of(referral.police_force) == "E23000005"
    assert code_of(referral.local_authority) == "E08000003"
    assert code_of(referral.safeguarding_local_authority) == "E09000007"
    assert [c.code for c in referral.nationalities.all()] == ["RO"]
    assert sorted(t.code for t in referral.exploitation_types.all()) == ["criminal", "sexual"]

    case = result.case
    assert isinstance(case, Case)
    assert case.referral == referral
    assert case.reference == referral.reference
    assert case.state == State.AWAITING_RG
    assert case.competent_authority == "SCA"
    assert case.is_child
    assert case.safety_risk
    assert case.received_on == today
    # Camden is a devolved decision-making pilot site (June 2021) and has had Independent Child
    # Trafficking Guardians since May 2021 (dated per-area policy, ADR 0028): its panel has 45 days.
    assert case.rg_target_date == today + timedelta(days=45)
    assert case.decision_panel is not None
    assert case.decision_panel.slug == "child-panel-camden-islington"

    sent = messages_about(referral)
    assert set(sent) == {MessageKind.CRIME_REFERRAL, MessageKind.SAFEGUARDING, MessageKind.GUARDIAN,
                         MessageKind.RECEIPT}
    crime, safeguarding, guardian, receipt = (sent[k] for k in ("crime_referral", "safeguarding", "guardian",
                                                                "receipt"))
    assert slug_of(crime) == "police-e23000005"  # where it happened: Greater Manchester
    assert slug_of(safeguarding) == "la-e09000007"  # where the child lives: Camden
    assert slug_of(guardian) == "ictg-england-wales"
    for message in (crime, safeguarding, guardian):
        assert message.requires_acknowledgement
        assert message.acknowledge_by == add_working_days(today, 2)
        assert "Popescu" not in message.body, "messages carry no case content"
    assert receipt.recipient_email == "priya.shah@met.police.example"
    assert not receipt.requires_acknowledgement
    assert referral.reference in receipt.subject

    actions = list(AuditEvent.objects.filter(request_id="").values_list("action", flat=True))
    for action in ("referral.submitted", "case.opened", "case.routed"):
        assert action in actions
    assert actions.count("outbox.queued") == 4


def test_an_adult_in_detention_goes_to_the_ieca_and_no_safeguarding_is_sent(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult")
    result = referral_submit(referral=referral, actor=first_responder)
    assert result.case.competent_authority == "IECA"
    assert not result.case.is_child
    sent = messages_about(referral)
    assert set(sent) == {"crime_referral", "receipt"}
    assert slug_of(sent["crime_referral"]) == "police-e23000029"  # Thames Valley (UK part)
    referral.refresh_from_db()
    assert sorted(c.code for c in referral.nationalities.all()) == ["DE", "PL"]
    assert referral.location_of_exploitation == "both"
    assert referral.county_lines is False


@pytest.mark.parametrize("location", ["overseas", "unknown"])
def test_crime_referral_goes_to_the_referrers_force_when_the_place_is_overseas_or_unknown(
        location: str, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "adult", location=location, exploitation_countries=["PL"],
                          fr_police_force="E23000014")
    referral_submit(referral=referral, actor=first_responder)
    assert slug_of(messages_about(referral)["crime_referral"]) == "police-e23000014"
    referral.refresh_from_db()
    assert referral.police_force is None, "no UK force area is recorded for overseas or unknown"


@pytest.mark.parametrize(("authority", "childrens_services"), [
    ("E07000178", "la-e10000025"),  # Oxford (a district): Oxfordshire County Council
    ("W06000015", "la-w06000015"),  # Cardiff
    ("S12000036", "la-s12000036"),  # City of Edinburgh
    ("N09000003", "hsct-belfast"),  # Belfast: the Health and Social Care Trust
])
def test_safeguarding_goes_to_the_authority_that_runs_childrens_services(
        authority: str, childrens_services: str, first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child", child_local_authority=authority)
    referral_submit(referral=referral, actor=first_responder)
    assert slug_of(messages_about(referral)["safeguarding"]) == childrens_services


def test_every_force_and_authority_has_an_organisation_to_receive_messages() -> None:
    from nrm.referrals.routing import childrens_services_for, police_organisation_for

    today = timezone.localdate()
    for force in PoliceForce.objects.in_force(today):
        assert police_organisation_for(force) is not None, force.code
    for authority in LocalAuthority.objects.in_force(today):
        organisation = childrens_services_for(authority)
        assert organisation is not None, authority.code
        assert "partner_recipient" in organisation.role_names, authority.code


def test_submitting_twice_creates_one_case_and_one_set_of_messages(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    first = referral_submit(referral=referral, actor=first_responder)
    again = referral_submit(referral=referral, actor=first_responder)
    assert again.already_submitted
    assert again.case == first.case
    assert Case.objects.filter(referral=referral).count() == 1
    assert OutboxMessage.objects.filter(about_id=str(referral.pk)).count() == 4  # with the guardian service's


def test_an_incomplete_referral_is_refused_and_nothing_typed_is_lost(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child", account="", dob={"day": "31", "month": "2", "year": "2010"})
    with pytest.raises(ReferralIncomplete) as refused:
        referral_submit(referral=referral, actor=first_responder)
    assert {(p.field, p.message) for p in refused.value.problems} == {
        ("dob", "Date of birth must be a real date"), ("account", "Describe what happened to the person")}
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DRAFT
    assert referral.answers["dob"]["day"] == "31"
    assert not Case.objects.exists()
    assert not OutboxMessage.objects.filter(about_id=str(referral.pk)).exists()


def test_only_answers_on_the_path_are_kept(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child", consent="no", age_band="25 to 34", exploitation_countries=["PL"])
    referral_submit(referral=referral, actor=first_responder)
    referral.refresh_from_db()
    assert not {"consent", "age_band", "exploitation_countries"} & set(referral.answers)
    assert referral.answers["first_names"] == "Ana"


def test_only_first_responders_of_the_organisation_can_submit(
        first_responder: User, make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    other_force = make_user(Role.FIRST_RESPONDER, organisation="police-e23000014")
    crime_unit = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001")
    for user in (other_force, crime_unit):
        with pytest.raises(AccessDenied):
            referral_submit(referral=referral, actor=user)
    colleague = make_user(Role.FIRST_RESPONDER, organisation="police-e23000001")
    assert referral_submit(referral=referral, actor=colleague).case is not None


def test_a_non_first_responder_cannot_start_a_referral(make_user: Callable[..., User]) -> None:
    crime_unit = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001")
    with pytest.raises(AccessDenied):
        referral_start(actor=crime_unit, organisation=Organisation.objects.get(slug="police-e23000001"))


def test_a_new_draft_is_filled_in_from_the_account(first_responder: User) -> None:
    referral = referral_start(actor=first_responder, organisation=Organisation.objects.get(slug="police-e23000001"))
    assert referral.answers == {"fr_name": "Priya Shah", "fr_job_title": "Detective Constable",
                                "fr_email": first_responder.email, "fr_phone": "020 7946 0000",
                                "fr_police_force": "E23000001"}
    assert referral.status == ReferralStatus.DRAFT
    assert referral.last_step == "first-responder"
    assert (referral.expires_at - timezone.now()).days in {29, 30}


def test_organisations_outside_the_police_know_their_force(make_user: Callable[..., User]) -> None:
    from nrm.referrals.routing import police_force_for_organisation

    def force(slug: str) -> str | None:
        found = police_force_for_organisation(Organisation.objects.get(slug=slug))
        return found.code if found else None

    assert force("la-e09000007") == "E23000001"  # Camden: Metropolitan Police
    assert force("la-e10000025") == "E23000029"  # Oxfordshire: Thames Valley
    assert force("hsct-belfast") == "N23000001"
    assert force("salvation-army") is None


# --- Duty to Notify ---------------------------------------------------------------------------------

def test_an_adult_who_refuses_consent_becomes_an_anonymous_duty_to_notify_report(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "dtn", first_names="Should", last_name="Vanish")
    pk = referral.pk
    result = referral_submit(referral=referral, actor=first_responder)
    report = result.duty_to_notify
    assert result.referral is None
    assert result.case is None
    assert isinstance(report, DutyToNotifyReport)
    assert report.organisation.slug == "police-e23000001"
    assert report.report_date == timezone.localdate()
    assert (report.gender, report.age_band, report.location_of_exploitation) == ("female", "25 to 34", "uk")
    assert code_of(report.police_force) == "E23000014"
    assert [c.code for c in report.nationalities.all()] == ["AL"]
    assert [t.code for t in report.exploitation_types.all()] == ["sexual"]
    assert not Referral.objects.filter(pk=pk).exists(), "the draft, with anything identifying, is deleted"
    assert not Case.objects.exists()
    assert not OutboxMessage.objects.exists(), (
        "no crime referral or safeguarding for an anonymous report, and no receipt linking it to the first responder")
    assert "Vanish" not in str(list(AuditEvent.objects.values_list("before", "after")))


def test_the_duty_to_notify_model_cannot_hold_anything_that_links_to_a_person() -> None:
    fields = {f.name: f for f in DutyToNotifyReport._meta.get_fields()}
    # ``reference`` is random (``new_duty_to_notify_reference``); the two texts are intelligence about the
    # exploitation and the exploiters, asked for without the person's details.
    assert set(fields) == {"id", "report_date", "organisation", "gender", "nationalities", "age_band",
                           "exploitation_types", "location_of_exploitation", "police_force", "reference",
                           "what_happened", "about_exploiters"}
    assert DutyToNotifyReport._meta.get_field("reference").default is new_duty_to_notify_reference
    related = {f.related_model._meta.label for f in fields.values() if f.is_relation and f.related_model}
    assert related == {"reference.Organisation", "reference.Country", "reference.ExploitationType",
                       "reference.PoliceForce"}, "only reference data: no person, draft, user or case"
    assert fields["report_date"].get_internal_type() == "DateField", "a date, not a time of day"
    assert not any(f.get_internal_type() == "DateTimeField" for f in fields.values() if not f.is_relation)


def test_a_sent_referral_cannot_be_changed(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    from nrm.referrals.services import referral_save_step

    referral = make_draft(first_responder, "child")
    referral_submit(referral=referral, actor=first_responder)
    with pytest.raises(ServiceError, match="already been sent"):
        referral_save_step(referral=referral, actor=first_responder, step="account", values={"account": "changed"})


def test_reminders_follow_unacknowledged_partner_messages(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    from nrm.notify.services import outbox_remind_unacknowledged

    referral = make_draft(first_responder, "child")
    referral_submit(referral=referral, actor=first_responder)
    crime = messages_about(referral)["crime_referral"]
    assert outbox_remind_unacknowledged(today=crime.acknowledge_by) == 0
    assert crime.acknowledge_by is not None
    day_after = add_working_days(crime.acknowledge_by, 1)
    assert outbox_remind_unacknowledged(today=day_after) == 3  # crime referral, safeguarding and guardian
    reminder = OutboxMessage.objects.get(kind="reminder", about_id=str(crime.pk))
    assert reminder.recipient_organisation == crime.recipient_organisation
    assert outbox_remind_unacknowledged(today=day_after) == 0, "one reminder each"


def test_duty_to_notify_age_bands_are_the_ones_the_statistics_use() -> None:
    from nrm.analytics import extract_schema
    from nrm.referrals.journey import AGE_BANDS
    from nrm.referrals.models import AgeBand

    assert tuple(AgeBand.values) == extract_schema.DTN_AGE_BANDS
    assert (*AGE_BANDS, "Not specified or unknown") == extract_schema.DTN_AGE_BANDS


@pytest.mark.parametrize(("authority", "guardian"), [
    ("E08000003", "ictg-england-wales"),  # Manchester: an early adopter site (2017)
    ("W06000015", "ictg-england-wales"),  # Cardiff: all of Wales
    ("S12000049", "guardianship-scotland"),  # Glasgow: Guardianship Scotland since April 2023
    ("N09000003", "ni-independent-guardian-service"),  # Belfast: the Independent Guardian Service
    ("E06000001", None),  # Hartlepool: no guardian service in the sources
])
def test_a_childs_referral_goes_to_the_guardian_service_where_the_child_lives(
        authority: str, guardian: str | None, first_responder: User, make_draft: Callable[..., Referral],
        make_user: Callable[..., User]) -> None:
    from nrm.notify.selectors import partner_inbox_for

    referral = make_draft(first_responder, "child", child_local_authority=authority)
    referral_submit(referral=referral, actor=first_responder)
    sent = messages_about(referral)
    if guardian is None:
        assert MessageKind.GUARDIAN not in sent
        return
    message = sent[MessageKind.GUARDIAN]
    assert slug_of(message) == guardian
    assert message.requires_acknowledgement
    assert "Popescu" not in message.body, "messages carry no case content"
    member = make_user(Role.PARTNER_RECIPIENT, guardian)
    assert list(partner_inbox_for(member)) == [message]
