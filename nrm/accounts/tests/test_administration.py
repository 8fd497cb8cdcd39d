"""The administration pages: organisations, their users and roles (nrm.accounts.admin_views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrm.accounts.models import AccountLink, LinkPurpose, Membership, User
from nrm.accounts.roles import Role
from nrm.accounts.services import link_send, membership_grant
from nrm.audit.models import AuditEvent
from nrm.reference.loader import load_all
from nrm.reference.models import Organisation, OrganisationDesignation

pytestmark = pytest.mark.django_db

POLICE = "police-e23000001"
OTHER_POLICE = "police-e23000002"
GUARDIANS = "ictg-england-wales"  # not a first responder; its members receive partner messages


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"administration:{name}", kwargs=kwargs)


def _allow_administrator(slug: str) -> Organisation:
    org = Organisation.objects.get(slug=slug)
    org.roles = f"{org.roles};administrator"
    org.save(update_fields=["roles"])
    return org


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(admin: User, client_for: Callable[..., Client]) -> Client:
    return client_for(admin)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- The organisations --------------------------------------------------------------------------

def test_the_service_team_finds_any_organisation_by_name_type_and_nation(admin_client: Client) -> None:
    page = admin_client.get(_url("home"))
    assert page.status_code == 200
    assert "Showing 1 to 50 of" in page.content.decode()
    found = admin_client.get(_url("home"), {"q": "Camden", "type": "Local authority", "nation": "england"})
    body = found.content.decode()
    assert "Camden" in body
    assert "Islington" not in body
    assert admin_client.get(_url("home"), {"type": "Police", "nation": "scotland"}).content.decode().count(
        '<a class="govuk-link" href="/administration/organisations/police-') == 1
    assert admin_client.get(_url("home"), {"page": "2"}).status_code == 200
    assert admin_client.get(_url("home"), {"q": "\x00", "type": "nonsense"}).status_code == 200


def test_an_organisations_administrator_goes_straight_to_their_own(make_user: Callable[..., User],
                                                                   client_for: Callable[..., Client]) -> None:
    own = _allow_administrator(POLICE)
    client = client_for(make_user(Role.ADMINISTRATOR, organisation=own))
    response = client.get(_url("home"))
    assert response.status_code == 302
    assert response["Location"] == _url("organisation", slug=POLICE)
    page = client.get(response["Location"]).content.decode()
    assert "Change" not in page.split('id="organisation-details"')[1].split("</dl>")[0]
    assert "Partner systems" in page
    assert f'href="/administration/organisations/{POLICE}/partner-systems/"' in page
    partner_systems = client.get(f"/administration/organisations/{POLICE}/partner-systems/").content.decode()
    assert f'href="{_url("organisation", slug=POLICE)}"' in partner_systems  # the back link


def test_the_organisation_page_shows_details_and_active_and_deactivated_users(
        admin_client: Client, make_user: Callable[..., User]) -> None:
    fr = make_user(Role.FIRST_RESPONDER, organisation=POLICE, full_name="Ada Active")
    leaver = make_user(Role.FIRST_RESPONDER, organisation=POLICE, full_name="Lee Leaver")
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    body = admin_client.get(_url("organisation", slug=POLICE)).content.decode()
    assert "Police" in body
    assert "First responder" in body
    assert "Partner recipient" in body
    active, deactivated = body.split("Deactivated users")
    assert fr.full_name in active
    assert leaver.full_name in deactivated
    assert _url("organisation_change", slug=POLICE) in body


# --- Designation --------------------------------------------------------------------------------

def test_the_service_team_designates_a_first_responder_dated_and_audited(admin: User, admin_client: Client) -> None:
    org = Organisation.objects.get(slug=GUARDIANS)
    assert admin_client.get(_url("organisation_change", slug=org.slug)).status_code == 200
    response = admin_client.post(_url("organisation_change", slug=org.slug),
                                 {"is_first_responder": "yes", "roles": ["first_responder", "partner_recipient"]})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.is_first_responder
    assert org.role_names == ["first_responder", "partner_recipient"]
    designation = OrganisationDesignation.objects.get(organisation=org)
    assert designation.effective_from == timezone.localdate()
    assert designation.effective_to is None
    assert designation.decided_by == admin.pk
    event = _events("organisation.designated")[-1]
    assert event.actor_id == admin.pk
    assert event.before == {"is_first_responder": False, "roles": ["partner_recipient"]}
    assert event.after is not None
    assert event.after["is_first_responder"] is True
    page = admin_client.get(_url("organisation", slug=org.slug)).content.decode()
    assert "Changes by administrators" in page

    # Undesignated again: the first designation is end-dated, never rewritten.
    admin_client.post(_url("organisation_change", slug=org.slug),
                      {"is_first_responder": "no", "roles": ["partner_recipient"]})
    rows = list(OrganisationDesignation.objects.filter(organisation=org).order_by("pk"))
    assert [r.effective_to for r in rows] == [timezone.localdate(), None]
    org.refresh_from_db()
    assert not org.is_first_responder


def test_a_designation_survives_the_next_load_of_the_data_file(admin: User, admin_client: Client) -> None:
    org = Organisation.objects.get(slug=GUARDIANS)
    admin_client.post(_url("organisation_change", slug=org.slug),
                      {"is_first_responder": "yes", "roles": ["first_responder", "partner_recipient"]})
    load_all(lambda name: apps.get_model("reference", name))
    org.refresh_from_db()
    assert org.is_first_responder
    assert org.role_names == ["first_responder", "partner_recipient"]
    untouched = Organisation.objects.get(slug=OTHER_POLICE)
    assert untouched.is_first_responder


def test_designation_errors_keep_what_was_chosen(admin_client: Client, make_user: Callable[..., User]) -> None:
    url = _url("organisation_change", slug=POLICE)
    empty = admin_client.post(url, {})
    assert empty.status_code == 400
    body = empty.content.decode()
    assert "Select whether the organisation is a first responder" in body
    assert "Select at least one role its members may hold" in body
    mismatched = admin_client.post(url, {"is_first_responder": "no", "roles": ["first_responder", "analyst"]})
    assert mismatched.status_code == 400
    body = mismatched.content.decode()
    assert "select both or neither" in body
    assert 'value="analyst" checked' in body
    assert 'value="no" checked' in body
    make_user(Role.PARTNER_RECIPIENT, organisation=POLICE)
    held = admin_client.post(url, {"is_first_responder": "yes", "roles": ["first_responder"]})
    assert held.status_code == 400
    assert "Members hold Partner recipient now" in held.content.decode()
    assert Organisation.objects.get(slug=POLICE).role_names == ["first_responder", "partner_recipient"]


def test_only_the_service_team_designates(make_user: Callable[..., User], client_for: Callable[..., Client]) -> None:
    own = _allow_administrator(POLICE)
    client = client_for(make_user(Role.ADMINISTRATOR, organisation=own))
    url = _url("organisation_change", slug=POLICE)
    assert client.get(url).status_code == 404
    assert client.post(url, {"is_first_responder": "no", "roles": ["partner_recipient"]}).status_code == 404
    assert Organisation.objects.get(slug=POLICE).is_first_responder


# --- Users --------------------------------------------------------------------------------------

def test_inviting_a_user_emails_a_link_and_grants_the_role(admin: User, admin_client: Client,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    url = _url("user_invite", slug=POLICE)
    page = admin_client.get(url).content.decode()
    assert 'value="partner_recipient"' in page
    assert 'value="analyst"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"full_name": "Nia New", "email": "Nia.New@Example.gov.uk",
                                           "role": "first_responder"})
    user = User.objects.get(email="nia.new@example.gov.uk")
    assert response.status_code == 302
    assert response["Location"] == _url("user", slug=POLICE, user_id=user.pk)
    assert user.has_role(Role.FIRST_RESPONDER)
    assert not user.has_usable_password()
    assert mail.outbox[-1].to == ["nia.new@example.gov.uk"]
    assert "Invitation sent" in admin_client.get(response["Location"]).content.decode()
    assert _events("user.invited")[-1].actor_id == admin.pk


def test_invitation_errors_keep_what_was_typed(admin_client: Client, make_user: Callable[..., User]) -> None:
    url = _url("user_invite", slug=POLICE)
    response = admin_client.post(url, {"full_name": "Kim Kept", "email": "not-an-email", "role": "analyst"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an email address in the correct format" in body
    assert "Select a role from the list" in body
    assert 'value="Kim Kept"' in body
    assert 'value="not-an-email"' in body
    existing = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    again = admin_client.post(url, {"full_name": "Kim Kept", "email": existing.email, "role": "first_responder"})
    assert again.status_code == 400
    assert "This person already holds the role" in again.content.decode()
    assert 'value="first_responder" checked' in again.content.decode()


def test_roles_are_granted_and_ended_never_deleted(admin: User, admin_client: Client,
                                                   make_user: Callable[..., User]) -> None:
    fr = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    url = _url("user_roles", slug=POLICE, user_id=fr.pk)
    assert admin_client.post(url, {"roles": ["partner_recipient"]}).status_code == 302
    rows = {m.role.name: m for m in Membership.objects.filter(user=fr).select_related("role")}
    assert rows["first_responder"].ends_on == timezone.localdate()
    assert rows["partner_recipient"].ends_on is None
    assert _events("membership.ended")[-1].actor_id == admin.pk
    # Given again: a new membership, the ended one kept.
    assert admin_client.post(url, {"roles": ["partner_recipient", "first_responder"]}).status_code == 302
    assert Membership.objects.filter(user=fr, role__name="first_responder").count() == 2
    fresh = User.objects.get(pk=fr.pk)
    assert fresh.has_role(Role.FIRST_RESPONDER, Role.PARTNER_RECIPIENT)
    refused = admin_client.post(url, {"roles": ["analyst"]})
    assert refused.status_code == 400
    assert "Select roles from the list" in refused.content.decode()
    empty = admin_client.post(url, {})
    assert empty.status_code == 400
    assert "Select at least one role" in empty.content.decode()


def test_an_administrator_cannot_remove_their_own_last_administrator_role(admin: User, admin_client: Client) -> None:
    team = Organisation.objects.get(slug="service-team")
    team.roles = "administrator;analyst"
    team.save(update_fields=["roles"])
    response = admin_client.post(_url("user_roles", slug="service-team", user_id=admin.pk), {"roles": ["analyst"]})
    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in response.content.decode()
    assert 'value="analyst" checked' in response.content.decode()
    assert User.objects.get(pk=admin.pk).has_role(Role.ADMINISTRATOR)


def test_deactivating_a_leaver_ends_roles_sessions_and_links(
        admin: User, admin_client: Client, make_user: Callable[..., User], client_for: Callable[..., Client]) -> None:
    leaver = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    membership_grant(user=leaver, organisation=Organisation.objects.get(slug=POLICE), role=Role.PARTNER_RECIPIENT)
    leavers_browser = client_for(leaver)
    assert leavers_browser.get(reverse("referrals:list")).status_code == 200
    link_send(user=leaver, purpose=LinkPurpose.PASSWORD_RESET, base_url="http://testserver")
    url = _url("user_deactivate", slug=POLICE, user_id=leaver.pk)
    assert "Deactivate account" in admin_client.get(url).content.decode()
    response = admin_client.post(url)
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert not Membership.objects.filter(user=leaver, ends_on__isnull=True).exists()
    assert Membership.objects.filter(user=leaver).count() == 2  # ended, not deleted
    assert not AccountLink.objects.filter(user=leaver, used_at__isnull=True).exists()
    assert all(s.get_decoded().get("_auth_user_id") != str(leaver.pk) for s in Session.objects.all())
    assert leavers_browser.get(reverse("referrals:list")).status_code == 302
    event = _events("user.deactivated")[-1]
    assert event.actor_id == admin.pk
    assert event.before == {"is_active": True}
    assert event.after is not None
    assert event.after["sessions_ended"] == 1
    assert event.after["links_revoked"] == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert "Account deactivated" in page
    assert "Reactivate their account" in page
    # Reactivated: may sign in again, with no role until given one.
    assert admin_client.post(_url("user_reactivate", slug=POLICE, user_id=leaver.pk)).status_code == 302
    leaver = User.objects.get(pk=leaver.pk)
    assert leaver.is_active
    assert not leaver.role_names()
    assert _events("user.reactivated")[-1].actor_id == admin.pk


def test_an_administrator_cannot_deactivate_themself(admin: User, admin_client: Client) -> None:
    response = admin_client.post(_url("user_deactivate", slug="service-team", user_id=admin.pk))
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_reset_authenticator_and_unlock(admin: User, admin_client: Client, make_user: Callable[..., User],
                                        django_capture_on_commit_callbacks: Any) -> None:
    caseworker = make_user(Role.CASEWORKER)
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username=caseworker.email, ip_address="127.0.0.1", user_agent="test",
                                 failures_since_start=5, get_data="", post_data="", http_accept="", path_info="/")
    page = admin_client.get(_url("user", slug="sca", user_id=caseworker.pk)).content.decode()
    assert "Unlock their account" in page
    assert admin_client.post(_url("user_unlock", slug="sca", user_id=caseworker.pk)).status_code == 302
    assert not AccessAttempt.objects.filter(username=caseworker.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(_url("user_authenticator_reset", slug="sca",
                                      user_id=caseworker.pk)).status_code == 302
    assert mail.outbox[-1].to == [caseworker.email]
    assert _events("user.second_factor_reset")[-1].actor_id == admin.pk
    assert _events("user.unlocked")[-1].actor_id == admin.pk


# --- Refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_every_other_role_is_refused(role: Role, client_for: Callable[..., Client],
                                     make_user: Callable[..., User]) -> None:
    client = client_for(role)
    member = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    for url in (_url("home"), _url("organisation", slug=POLICE), _url("user_invite", slug=POLICE),
                _url("user_deactivate", slug=POLICE, user_id=member.pk)):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert User.objects.get(pk=member.pk).is_active


def test_an_organisations_administrator_cannot_reach_another_organisation(
        make_user: Callable[..., User], client_for: Callable[..., Client]) -> None:
    own = _allow_administrator(POLICE)
    _allow_administrator(OTHER_POLICE)
    client = client_for(make_user(Role.ADMINISTRATOR, organisation=own))
    stranger = make_user(Role.FIRST_RESPONDER, organisation=OTHER_POLICE)
    for url in (_url("organisation", slug=OTHER_POLICE), _url("user_invite", slug=OTHER_POLICE),
                _url("user", slug=OTHER_POLICE, user_id=stranger.pk),
                _url("user_deactivate", slug=OTHER_POLICE, user_id=stranger.pk),
                _url("organisation", slug="service-team")):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    # A user of another organisation is not found through one's own either.
    assert client.post(_url("user_deactivate", slug=POLICE, user_id=stranger.pk)).status_code == 404
    assert User.objects.get(pk=stranger.pk).is_active


def test_an_organisations_administrator_grants_only_its_roles(
        make_user: Callable[..., User], client_for: Callable[..., Client]) -> None:
    own = _allow_administrator(POLICE)
    client = client_for(make_user(Role.ADMINISTRATOR, organisation=own))
    invited = client.post(_url("user_invite", slug=POLICE),
                          {"full_name": "Sam", "email": "sam@example.gov.uk", "role": "caseworker"})
    assert invited.status_code == 400
    assert not User.objects.filter(email="sam@example.gov.uk").exists()
    # A member who also holds a role elsewhere is deactivated by the service team only.
    both = make_user(Role.FIRST_RESPONDER, organisation=POLICE)
    membership_grant(user=both, organisation=Organisation.objects.get(slug=OTHER_POLICE),
                     role=Role.FIRST_RESPONDER)
    refused = client.post(_url("user_deactivate", slug=POLICE, user_id=both.pk))
    assert refused.status_code == 400
    assert "ask the service team" in refused.content.decode()
    assert User.objects.get(pk=both.pk).is_active


def test_the_pages_show_no_case_content_and_need_a_second_factor(make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    client = Client()
    client.force_login(admin)  # signed in with a password only
    response = client.get(_url("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")


def test_the_navigation_offers_administration_to_administrators_only(
        admin_client: Client, client_for: Callable[..., Client]) -> None:
    assert 'href="/administration/"' in admin_client.get("/").content.decode()
    assert 'href="/administration/"' not in client_for(Role.CASEWORKER).get("/").content.decode()


def test_api_client_accounts_are_not_listed_among_the_users(admin_client: Client) -> None:
    from nrm.testing import partner_systems_make

    client, _ = partner_systems_make(Organisation.objects.get(slug=POLICE))
    body = admin_client.get(_url("organisation", slug=POLICE)).content.decode()
    assert client.acting_as.email not in body
    assert admin_client.get(_url("user", slug=POLICE, user_id=client.acting_as.pk)).status_code == 404
    assert admin_client.post(_url("user_deactivate", slug=POLICE, user_id=client.acting_as.pk)).status_code == 404
