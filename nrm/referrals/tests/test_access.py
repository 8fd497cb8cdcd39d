"""A user of organisation A gets 404 for every draft, referral, request and inbox message of
organisation B, on every page that takes an id. The pages are listed from Django's URL resolver,
so a new page cannot escape this test: a new kind of id must be added to ``organisation_world`` below."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.accounts.services import membership_grant
from nrm.notify.models import OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.models import Referral
from nrm.testing import sign_in

pytestmark = pytest.mark.django_db
NAMESPACES = ("referrals", "notify")


def pages_with_ids() -> list[tuple[str, list[str]]]:
    found = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in NAMESPACES:
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                converters = list(getattr(pattern.pattern, "converters", {}))
                if converters:
                    found.append((f"{entry.namespace}:{pattern.name}", converters))
    return found


def organisation_world(slug: str, make_user: Callable[..., User], make_draft: Callable[..., Referral],
                       ) -> dict[str, list[Any]]:
    """A first responder and crime-unit user of ``slug`` and everything they own."""
    organisation = Organisation.objects.get(slug=slug)
    force = slug.removeprefix("police-").upper()
    user = make_user(Role.FIRST_RESPONDER, organisation=slug)
    membership_grant(user=user, organisation=organisation, role=Role.PARTNER_RECIPIENT)
    draft = make_draft(user, "child", exploitation_police_force=force)
    attachment = services.attachment_add(referral=draft, actor=user, upload=SimpleUploadedFile("a.txt", b"notes"))
    invitation = services.invitation_send(referral=draft, actor=user, name="Alex", email=user.email,
                                          organisation_name="School", site_url="http://testserver")
    submitted = make_draft(user, "child", exploitation_police_force=force)
    services.referral_submit(referral=submitted, actor=user)
    concern = services.concern_raise(organisation=organisation, urgency="urgent", summary="Worried",
                                     person_details="", raiser_name="Jo", raiser_email="jo@example.com",
                                     raiser_phone="", raiser_role="Nurse")
    message = OutboxMessage.objects.get(kind="crime_referral", about_id=str(submitted.pk))
    assert message.recipient_organisation == organisation
    return {
        "user": [user],
        "referral_id": [draft.pk, submitted.pk],
        "step": ["person-name"],
        "attachment_id": [attachment.pk],
        "invitation_id": [invitation.pk],
        "token": [invitation.token],
        "concern_id": [concern.pk],
        "message_id": [message.pk],
    }


def urls_for(name: str, params: list[str], world: dict[str, list[Any]]) -> list[str]:
    missing = [p for p in params if p not in world]
    assert not missing, f"{name} takes {missing}: add objects of organisation B for it to organisation_world()"
    return [reverse(name, kwargs=dict(zip(params, values, strict=True)))
            for values in itertools.product(*(world[p] for p in params))]


def test_every_page_with_an_id_is_404_for_another_organisation(
        make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    ours = organisation_world("police-e23000001", make_user, make_draft)
    theirs = organisation_world("police-e23000014", make_user, make_draft)
    pages = pages_with_ids()
    assert len(pages) >= 15
    client = sign_in(Client(), ours["user"][0])
    for name, params in pages:
        for url in urls_for(name, params, theirs):
            for method in (client.get, client.post):
                status = method(url).status_code
                assert status in {404, 405}, f"{method.__name__.upper()} {url} ({name}) gave {status}, not 404"
    # The same pages work for the user's own organisation (so the 404s above are not an accident).
    reachable = set()
    for name, params in pages:
        for url in urls_for(name, params, ours):
            if client.get(url).status_code not in {404, 405}:
                reachable.add(name)
    posts_only = {"referrals:concern_start_referral", "referrals:concern_close", "referrals:attachment_remove",
                  "referrals:invitation_withdraw", "referrals:submit", "inbox:acknowledge"}
    not_a_contributor = {"referrals:contribute"}
    assert reachable == {name for name, _ in pages} - posts_only - not_a_contributor


def test_an_invitation_only_opens_for_the_person_invited(
        make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    world = organisation_world("police-e23000001", make_user, make_draft)
    invitation = Referral.objects.get(pk=world["referral_id"][0]).invitations.get()
    someone_else = sign_in(Client(), make_user(Role.CONTRIBUTOR))
    assert someone_else.get(reverse("referrals:invitation", kwargs={"token": invitation.token})).status_code == 404
