"""The partner inbox: each organisation sees its own crime referrals and safeguarding
notifications, acknowledges them, and gets one reminder when it does not."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.notify.models import OutboxMessage
from nrm.notify.selectors import partner_inbox_for
from nrm.notify.services import outbox_add, outbox_remind_unacknowledged
from nrm.reference.models import Organisation
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db


def crime_referral(slug: str, acknowledge_by_days: int = 2) -> OutboxMessage:
    return outbox_add(kind="crime_referral", subject=f"Crime referral for {slug}", body="Please record a crime.",
                      recipient_organisation=Organisation.objects.get(slug=slug),
                      acknowledge_by=timezone.localdate() + timedelta(days=acknowledge_by_days))


def test_partners_see_only_their_organisations_partner_messages(make_user: Callable[..., User]) -> None:
    met = crime_referral("police-e23000001")
    crime_referral("police-e23000014")
    outbox_add(kind="concern", subject="Request to refer", body="x",
               recipient_organisation=Organisation.objects.get(slug="police-e23000001"))
    crime_unit = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001")
    assert list(partner_inbox_for(crime_unit)) == [met], "not other forces' messages, not requests to refer"
    first_responder = make_user(Role.FIRST_RESPONDER, organisation="police-e23000001")
    assert not partner_inbox_for(first_responder).exists(), "first responders of the force are not its crime unit"


def test_acknowledging_a_message(make_user: Callable[..., User]) -> None:
    message = crime_referral("police-e23000001", acknowledge_by_days=-1)
    user = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001")
    client = sign_in(Client(), user)
    inbox = client.get(reverse("inbox:list")).content.decode()
    assert message.subject in inbox
    assert "Overdue" in inbox
    url = reverse("inbox:acknowledge", kwargs={"message_id": message.pk})
    refused = client.post(url, {"crime_reference": ""})
    assert refused.status_code == 400
    assert "Enter the crime reference number" in refused.content.decode()
    message.refresh_from_db()
    assert message.acknowledged_at is None, "a crime referral is acknowledged with the crime's reference"
    response = client.post(url, {"crime_reference": "  42/12345/26 "})
    assert response["Location"] == reverse("inbox:message", kwargs={"message_id": message.pk})
    message.refresh_from_db()
    assert message.crime_reference == "42/12345/26"
    assert message.acknowledged_by == user
    assert message.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="outbox.acknowledged", object_id=str(message.pk)).exists()
    assert message.subject not in client.get(reverse("inbox:list")).content.decode(), "no longer to acknowledge"
    assert message.subject in client.get(reverse("inbox:list") + "?show=all").content.decode()
    page = client.get(reverse("inbox:message", kwargs={"message_id": message.pk})).content.decode()
    assert "Acknowledged by" in page
    assert "42/12345/26" in page


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the crime reference number"),
    ("ab", "must be 3 to 40"),
    ("x" * 41, "must be 3 to 40"),
    ("42/1\x00", "must be 3 to 40"),
    ("<script>", "must be 3 to 40"),
])
def test_a_crime_reference_number_that_is_missing_or_malformed_is_refused_and_kept(
        make_user: Callable[..., User], typed: str, message: str) -> None:
    crime = crime_referral("police-e23000001")
    client = sign_in(Client(), make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001"))
    response = client.post(reverse("inbox:acknowledge", kwargs={"message_id": crime.pk}), {"crime_reference": typed})
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert 'href="#crime_reference"' in page, "the error summary links to the box"
    crime.refresh_from_db()
    assert crime.acknowledged_at is None


def test_only_a_crime_referral_takes_a_crime_reference(make_user: Callable[..., User]) -> None:
    notification = outbox_add(kind="safeguarding", subject="A child", body="x",
                              recipient_organisation=Organisation.objects.get(slug="la-e09000007"),
                              acknowledge_by=timezone.localdate())
    client = sign_in(Client(), make_user(Role.PARTNER_RECIPIENT, organisation="la-e09000007"))
    page = client.get(reverse("inbox:message", kwargs={"message_id": notification.pk})).content.decode()
    assert "Crime reference number" not in page
    client.post(reverse("inbox:acknowledge", kwargs={"message_id": notification.pk}))
    notification.refresh_from_db()
    assert notification.acknowledged_at is not None
    assert notification.crime_reference == ""


def test_an_unacknowledged_message_gets_one_reminder_in_the_same_inbox(make_user: Callable[..., User]) -> None:
    message = crime_referral("police-e23000001", acknowledge_by_days=-1)
    assert outbox_remind_unacknowledged() == 1
    reminder = OutboxMessage.objects.get(kind="reminder")
    user = make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001")
    client = sign_in(Client(), user)
    page = client.get(reverse("inbox:message", kwargs={"message_id": reminder.pk})).content.decode()
    assert reverse("inbox:message", kwargs={"message_id": message.pk}) in page
    assert outbox_remind_unacknowledged() == 0


def test_the_inbox_is_for_partner_recipients_only(make_user: Callable[..., User]) -> None:
    assert sign_in(Client(), make_user(Role.CASEWORKER)).get(reverse("inbox:list")).status_code == 404
    assert Client().get(reverse("inbox:list"))["Location"].startswith("/sign-in")


def test_the_inbox_pages_and_searches_by_reference_at_any_size(make_user: Callable[..., User]) -> None:
    from nrm.core.pagination import PAGE_SIZE

    met = Organisation.objects.get(slug="police-e23000001")
    total = PAGE_SIZE + 7
    created = [outbox_add(kind="crime_referral", subject=f"Crime referral: NRM referral NRM-P{n:06d}",
                          body="Please record a crime.", recipient_organisation=met,
                          acknowledge_by=timezone.localdate() + timedelta(days=2)) for n in range(total)]
    # Every message at the same moment: the order must not depend on the time alone.
    OutboxMessage.objects.filter(pk__in=[m.pk for m in created]).update(created_at=timezone.now())
    client = sign_in(Client(), make_user(Role.PARTNER_RECIPIENT, organisation="police-e23000001"))
    seen: list[str] = []
    for number in (1, 2):
        page = client.get(reverse("inbox:list"), {"page": str(number)}).content.decode()
        seen += re.findall(r"NRM-P\d{6}", page)
    assert f"Showing 1 to {PAGE_SIZE} of {total}" in client.get(reverse("inbox:list")).content.decode()
    assert len(seen) == total
    assert set(seen) == {m.subject.rsplit(" ", 1)[1] for m in created}
    found = client.get(reverse("inbox:list"), {"q": "nrm-p000003"}).content.decode()
    assert re.findall(r"NRM-P\d{6}", found) == ["NRM-P000003"]
    # Acknowledged messages are found by a search too.
    OutboxMessage.objects.filter(subject__endswith="NRM-P000003").update(acknowledged_at=timezone.now())
    found = client.get(reverse("inbox:list"), {"q": "NRM-P000003"}).content.decode()
    assert found.count("Crime referral: NRM referral NRM-P000003") == 1
