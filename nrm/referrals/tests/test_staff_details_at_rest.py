"""Staff details stay out of plaintext at rest: the audit log names its actors and the people an
event is about by account id (pages resolve the name through the accounts table when they show
it), and an invitation's email and name are sealed under the referral's data key. Checked on the
raw columns, found through ``_meta``, after the paths that used to write them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.accounts.services import user_invite
from nrm.audit.models import AuditEvent
from nrm.cases.selectors import case_timeline
from nrm.cases.services import case_allocate
from nrm.cases.tests.factories import make_case
from nrm.core.sealing import is_erased
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.models import Invitation, Referral

pytestmark = pytest.mark.django_db


def _raw_text(model: type[models.Model]) -> list[str]:
    """Every value of every concrete field of ``model``, as stored (a sealed field reads as its ciphertext)."""
    fields = [field.attname for field in model._meta.concrete_fields]
    return [str(value) for row in model._default_manager.values_list(*fields) for value in row if value is not None]


def test_no_audit_or_invitation_column_holds_a_staff_email_or_name(
        first_responder: User, make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    admin = make_user(Role.ADMINISTRATOR, email="ada.admin@service.example", full_name="Ada Adminson")
    caseworker = make_user(Role.CASEWORKER, email="cara.worker@sca.example", full_name="Cara Caseworth")
    draft = make_draft(first_responder, "child")
    services.invitation_send(referral=draft, actor=first_responder, name="Alex Morgan",
                             email="alex.morgan@school.example", organisation_name="Hill Road School",
                             site_url="https://nrm.example")
    invited = user_invite(email="nina.newstarter@sca.example", full_name="Nina Newstarter",
                          organisation=Organisation.objects.get(slug="sca"), role=Role.CASEWORKER, invited_by=admin,
                          base_url="https://nrm.example")
    senior = make_user(Role.SENIOR_DECISION_MAKER, email="sam.senior@sca.example", full_name="Sam Seniority")
    case = make_case()
    case_allocate(cases=[case], caseworker=caseworker, allocated_by=senior)

    people = [first_responder, admin, caseworker, invited, senior]
    secrets = {s.lower() for p in people for s in (p.email, p.full_name)} | {"alex.morgan@school.example",
                                                                             "alex morgan"}
    assert AuditEvent.objects.filter(actor__in=people).exists()
    for model in (AuditEvent, Invitation):
        stored = " | ".join(_raw_text(model)).lower()
        assert stored, model
        found = sorted(s for s in secrets if s in stored)
        assert not found, f"{model._meta.label} holds {found} in plaintext"

    invitation = Invitation.objects.get(referral=draft)
    assert (invitation.email, invitation.name) == ("alex.morgan@school.example", "Alex Morgan")  # opened when read
    timeline = case_timeline(case)
    allocated = next(e for e in timeline if e.action == "case.allocated")
    assert allocated.actor == "Sam Seniority"
    assert "to Cara Caseworth" in allocated.text


def test_an_invitation_is_erased_with_its_referral(first_responder: User, make_draft: Callable[..., Any]) -> None:
    draft = make_draft(first_responder, "child")
    services.invitation_send(referral=draft, actor=first_responder, name="Alex Morgan",
                             email="alex.morgan@school.example", organisation_name="Hill Road School",
                             site_url="https://nrm.example")
    services.referral_erase(referral=draft, because="test")
    invitation = Invitation.objects.get(referral=draft)
    assert is_erased(invitation.name)
    assert is_erased(invitation.email)
