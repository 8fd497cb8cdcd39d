"""An existing account invited to a second organisation: the role starts only when its holder
accepts, signed in as themself (ADR 0027); and the `nrm account` command's deactivate and
reactivate, which use the same writer as the administration pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import AccountLink, LinkPurpose, User
from nrm.accounts.roles import Role
from nrm.audit.models import AuditEvent
from nrm.reference.models import Organisation

pytestmark = pytest.mark.django_db

POLICE = "police-e23000001"
OTHER_POLICE = "police-e23000002"


def _allow_administrator(slug: str) -> Organisation:
    org = Organisation.objects.get(slug=slug)
    org.roles = f"{org.roles};administrator"
    org.save(update_fields=["roles"])
    return org


def _invite_url() -> str:
    return reverse("administration:user_invite", kwargs={"slug": POLICE})


def _join_path() -> str:
    found = re.search(r"https?://[^/\s]+(/account/join/\S+)", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found.group(1)


def _holds(user: User, slug: str, role: Role) -> bool:
    return user.active_memberships().filter(organisation__slug=slug, role__name=str(role)).exists()


@pytest.fixture
def org_admin_client(make_user: Callable[..., User], client_for: Callable[..., Client]) -> Client:
    org = _allow_administrator(POLICE)
    return client_for(make_user(Role.ADMINISTRATOR, organisation=org.slug))


@pytest.fixture
def invite(org_admin_client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """invite(email, full_name=...) -> the answer to the administrator's invitation form, its emails sent."""

    def post(email: str, full_name: str = "x", role: str = "first_responder") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return org_admin_client.post(_invite_url(), {"full_name": full_name, "email": email, "role": role})

    return post


@pytest.fixture
def elsewhere(make_user: Callable[..., User]) -> User:
    """Someone who works at another police force already."""
    return make_user(Role.FIRST_RESPONDER, organisation=OTHER_POLICE)


def test_an_existing_account_is_invited_and_holds_nothing_until_it_accepts(invite: Callable[..., Any],
        org_admin_client: Client, elsewhere: User, client_for: Callable[..., Client]) -> None:
    response = invite(elsewhere.email.upper(), full_name="Ignored")
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:organisation", kwargs={"slug": POLICE})
    assert "not a member of" in org_admin_client.get(response["Location"]).content.decode()
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert mail.outbox[-1].to == [elsewhere.email]
    assert "accept or decline" in mail.outbox[-1].body
    path = _join_path()

    person = client_for(elsewhere)
    page = person.get(path)
    assert page.status_code == 200
    assert "Join " in page.content.decode()
    assert person.post(path, {"answer": "accept"}).status_code == 200
    elsewhere.refresh_from_db()
    assert _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert _holds(elsewhere, OTHER_POLICE, Role.FIRST_RESPONDER)  # kept
    accepted = AuditEvent.objects.filter(action="membership.accepted").last()
    assert accepted is not None
    assert accepted.actor_id == elsewhere.pk
    # The link works once.
    assert person.post(path, {"answer": "accept"}).status_code == 410
    assert person.get(path).status_code == 410


def test_declining_changes_nothing_and_is_recorded(invite: Callable[..., Any], org_admin_client: Client, elsewhere: User,
                                                   client_for: Callable[..., Client]) -> None:
    invite(elsewhere.email)
    path = _join_path()
    person = client_for(elsewhere)
    answered = person.post(path, {"answer": "decline"})
    assert answered.status_code == 200
    assert "declined" in answered.content.decode()
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert AuditEvent.objects.filter(action="membership.declined").count() == 1
    assert person.post(path, {"answer": "accept"}).status_code == 410


@pytest.mark.parametrize("answer", ["", "yes", "ACCEPT", "\x00", "accept" * 1000])
def test_an_answer_that_is_neither_is_refused_and_keeps_the_link(invite: Callable[..., Any], org_admin_client: Client, elsewhere: User,
                                                                 client_for: Callable[..., Client],
                                                                 answer: str) -> None:
    invite(elsewhere.email)
    path = _join_path()
    person = client_for(elsewhere)
    refused = person.post(path, {"answer": answer})
    assert refused.status_code == 400
    assert "Select whether to accept or decline the invitation" in refused.content.decode()
    assert person.post(path, {"answer": "accept"}).status_code == 200


def test_only_the_invited_person_signed_in_can_answer(invite: Callable[..., Any], org_admin_client: Client, elsewhere: User,
                                                      make_user: Callable[..., User],
                                                      client_for: Callable[..., Client]) -> None:
    invite(elsewhere.email)
    path = _join_path()
    signed_out = Client().get(path)
    assert signed_out.status_code == 302
    assert reverse("accounts:login") in signed_out["Location"]
    intruder = client_for(make_user(Role.FIRST_RESPONDER, organisation=OTHER_POLICE))
    assert intruder.get(path).status_code == 403
    assert intruder.post(path, {"answer": "accept"}).status_code == 403
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert client_for(elsewhere).get(reverse("accounts:join", kwargs={"token": "not-a-token"})).status_code == 410


def test_an_expired_or_superseded_invitation_does_not_work(invite: Callable[..., Any], org_admin_client: Client, elsewhere: User,
                                                           client_for: Callable[..., Client]) -> None:
    invite(elsewhere.email)
    first = _join_path()
    invite(elsewhere.email)
    second = _join_path()
    person = client_for(elsewhere)
    assert person.get(first).status_code == 410
    AccountLink.objects.filter(purpose=LinkPurpose.JOIN, used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert person.post(second, {"answer": "accept"}).status_code == 410
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)


def test_a_role_the_organisation_stopped_allowing_is_not_given(invite: Callable[..., Any], org_admin_client: Client, elsewhere: User,
                                                               client_for: Callable[..., Client]) -> None:
    invite(elsewhere.email)
    path = _join_path()
    org = Organisation.objects.get(slug=POLICE)
    org.roles = ";".join(r for r in org.role_names if r != "first_responder")
    org.save(update_fields=["roles"])
    refused = client_for(elsewhere).post(path, {"answer": "accept"})
    assert refused.status_code == 400
    assert "can no longer hold the role" in refused.content.decode()
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)


def test_who_cannot_be_invited_is_told_why_and_the_form_keeps_what_was_typed(invite: Callable[..., Any],
        org_admin_client: Client, elsewhere: User, make_user: Callable[..., User]) -> None:
    member = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    again = invite(member.email, full_name="Kim Kept")
    assert again.status_code == 400
    assert "already holds the role" in again.content.decode()
    assert 'value="Kim Kept"' in again.content.decode()
    call_command("account", "deactivate", elsewhere.email)
    gone = invite(elsewhere.email)
    assert gone.status_code == 400
    assert "This account has been deactivated" in gone.content.decode()
    assert not AccountLink.objects.filter(purpose=LinkPurpose.JOIN).exists()


def test_an_organisation_cannot_reset_or_deactivate_someone_who_also_works_elsewhere(invite: Callable[..., Any],
        org_admin_client: Client, elsewhere: User, client_for: Callable[..., Client]) -> None:
    invite(elsewhere.email)
    client_for(elsewhere).post(_join_path(), {"answer": "accept"})
    kwargs = {"slug": POLICE, "user_id": elsewhere.pk}
    for name in ("user_authenticator_reset", "user_deactivate"):
        refused = org_admin_client.post(reverse(f"administration:{name}", kwargs=kwargs), {"confirm": "yes"})
        assert refused.status_code == 400, name
        assert "ask the service team" in refused.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.is_active
    # Its roles at this organisation are still this organisation's to change.
    changed = org_admin_client.post(reverse("administration:user_roles", kwargs=kwargs), {"roles": ["partner_recipient"]})
    assert changed.status_code == 302
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert _holds(elsewhere, POLICE, Role.PARTNER_RECIPIENT)
    assert _holds(elsewhere, OTHER_POLICE, Role.FIRST_RESPONDER)


# --- The command line ----------------------------------------------------------------------------

def test_the_command_deactivates_a_leaver_as_the_pages_do(elsewhere: User, make_user: Callable[..., User],
                                                          client_for: Callable[..., Client]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    signed_in = client_for(elsewhere)
    assert Session.objects.count() >= 1
    call_command("account", "--by", admin.email, "deactivate", elsewhere.email.upper())
    elsewhere.refresh_from_db()
    assert not elsewhere.is_active
    assert not elsewhere.active_memberships().exists()
    assert signed_in.get(reverse("referrals:list")).status_code == 302  # signed out
    event = AuditEvent.objects.filter(action="user.deactivated").last()
    assert event is not None
    assert event.actor_id == admin.pk
    call_command("account", "deactivate", elsewhere.email)  # again: says so, changes nothing
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1
    call_command("account", "--by", admin.email, "reactivate", elsewhere.email)
    elsewhere.refresh_from_db()
    assert elsewhere.is_active
    assert not elsewhere.active_memberships().exists()  # no role until one is given
    assert AuditEvent.objects.filter(action="user.reactivated").count() == 1


def test_the_command_refuses_unknown_accounts_and_self_deactivation(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    with pytest.raises(CommandError, match="There is no account"):
        call_command("account", "deactivate", "nobody@example.gov.uk")
    with pytest.raises(CommandError, match="cannot deactivate their own account"):
        call_command("account", "--by", admin.email, "deactivate", admin.email)
    admin.refresh_from_db()
    assert admin.is_active


def test_the_command_invites_an_existing_account_to_accept(elsewhere: User,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
            call_command("account", "--base-url", "https://nrm.example", "invite", elsewhere.email, "--name", "x",
                     "--organisation", POLICE, "--role", "first_responder")
    assert not _holds(elsewhere, POLICE, Role.FIRST_RESPONDER)
    assert "https://nrm.example/account/join/" in mail.outbox[-1].body
    with pytest.raises(CommandError, match="already holds the role"):
        call_command("account", "invite", elsewhere.email, "--name", "x", "--organisation", OTHER_POLICE,
                     "--role", "first_responder")
