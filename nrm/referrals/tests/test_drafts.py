"""Drafts: saving, expiry, evidence files, contributors and requests to refer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.core.errors import AccessDenied, ServiceError
from nrm.notify.models import OutboxMessage
from nrm.reference.models import Organisation
from nrm.referrals import services
from nrm.referrals.evidence import MAX_BYTES, MAX_FILES
from nrm.referrals.models import Attachment, ConcernStatus, DraftEvent, Referral, ReferralStatus

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%test\n"


def test_saving_a_page_keeps_what_was_typed_and_extends_the_draft(
        first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, None)
    Referral.objects.filter(pk=referral.pk).update(expires_at=timezone.now() + timedelta(days=2))
    saved = services.referral_save_step(referral=referral, actor=first_responder, step="person-birth",
                                        values={"dob_known": "yes", "dob": {"day": "31", "month": "2", "year": ""}},
                                        resume_at="person-birth")
    assert saved.answers["dob"] == {"day": "31", "month": "2", "year": ""}, "saved even though not valid yet"
    assert saved.answers["fr_name"] == "Priya Shah"
    assert saved.last_step == "person-birth"
    assert saved.expires_at > timezone.now() + timedelta(days=29)
    event = DraftEvent.objects.filter(referral=referral, action="referral.draft_saved").last()
    assert event is not None
    assert event.after == {"step": "person-birth", "questions": ["dob", "dob_known"]}
    assert event.actor == first_responder, "held with the draft until it is sent, deleted or expires"
    assert "31" not in str(event.after), "the audit log records which questions, not the answers"


def test_drafts_are_warned_about_then_expire(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    services.attachment_add(referral=referral, actor=first_responder,
                            upload=SimpleUploadedFile("a.pdf", PDF), description="")
    now = timezone.now()
    assert services.drafts_warn_expiring(now) == 0
    assert services.drafts_warn_expiring(now + timedelta(days=24)) == 1
    assert services.drafts_warn_expiring(now + timedelta(days=25)) == 0, "one warning per expiry date"
    warning = OutboxMessage.objects.get(kind="draft_expiry")
    assert warning.recipient_email == first_responder.email
    assert "Popescu" not in warning.body
    assert services.drafts_expire(now + timedelta(days=29)) == 0
    assert services.drafts_expire(now + timedelta(days=31)) == 1
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    assert referral.answers == {}
    assert not referral.attachments.exists()


def test_the_worker_runs_the_draft_jobs() -> None:
    from nrm.core.periodic import run_periodic_jobs

    results = run_periodic_jobs()
    assert {"referrals.expire_drafts", "referrals.warn_expiring_drafts"} <= set(results)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notes.exe", b"MZ", "The selected file must be a PDF, JPG, PNG, DOCX, ODT or TXT"),
    ("empty.pdf", b"", "The selected file is empty"),
    ("fake.pdf", b"GIF89a", "This file's content does not match its name"),
    ("big.pdf", PDF + b"0" * MAX_BYTES, "The selected file must be smaller than 10MB"),
])
def test_evidence_files_are_checked(name: str, content: bytes, message: str, first_responder: User,
                                    make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    with pytest.raises(ServiceError, match=message):
        services.attachment_add(referral=referral, actor=first_responder, upload=SimpleUploadedFile(name, content))
    assert not referral.attachments.exists()


def test_evidence_files_are_added_and_removed(first_responder: User, make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    attachment = services.attachment_add(referral=referral, actor=first_responder,
                                         upload=SimpleUploadedFile("statement.pdf", PDF, "text/html"),
                                         description="Signed statement")
    assert attachment.content_type == "application/pdf", "the type comes from the checked file, not the browser"
    assert attachment.size == len(PDF)
    assert attachment.read_content() == PDF, "stored sealed, opened when read"
    assert not str(attachment.file.name).endswith(".pdf"), "stored under a random name"
    for n in range(MAX_FILES - 1):
        services.attachment_add(referral=referral, actor=first_responder, upload=SimpleUploadedFile(f"{n}.txt", b"x"))
    with pytest.raises(ServiceError, match=f"up to {MAX_FILES} files"):
        services.attachment_add(referral=referral, actor=first_responder, upload=SimpleUploadedFile("x.txt", b"x"))
    storage, stored = attachment.file.storage, str(attachment.file.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda func, using=None, robust=False: func())
        services.attachment_remove(attachment=attachment, actor=first_responder)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(stored)


def test_a_contributor_is_invited_adds_what_they_know_and_cannot_submit(
        first_responder: User, make_user: Callable[..., User], make_draft: Callable[..., Referral]) -> None:
    referral = make_draft(first_responder, "child")
    teacher = make_user(Role.CONTRIBUTOR, email="alex.morgan@school.example")
    invitation = services.invitation_send(referral=referral, actor=first_responder, name="Alex Morgan",
                                          email="Alex.Morgan@school.example", organisation_name="Teacher, Hill Road",
                                          site_url="https://nrm.example")
    email = OutboxMessage.objects.get(kind="invitation")
    assert email.recipient_email == "alex.morgan@school.example"
    assert f"https://nrm.example/referrals/invitations/{invitation.token}" in email.body
    assert "Popescu" not in email.body
    with pytest.raises(ServiceError, match="already invited"):
        services.invitation_send(referral=referral, actor=first_responder, name="Alex", email="alex.morgan@school.example",
                                 organisation_name="School", site_url="https://nrm.example")
    with pytest.raises(AccessDenied):
        services.contribution_add(referral=referral, actor=teacher, topic="School", text="Often absent")

    stranger = make_user(Role.CONTRIBUTOR)
    with pytest.raises(AccessDenied):
        services.invitation_accept(invitation=invitation, actor=stranger)
    services.invitation_accept(invitation=invitation, actor=teacher)
    contribution = services.contribution_add(referral=referral, actor=teacher, topic="Attendance",
                                             text="Absent most Mondays since March.")
    assert contribution.author == teacher
    assert contribution.author_organisation_name == "Teacher, Hill Road"
    with pytest.raises(AccessDenied):
        services.referral_submit(referral=referral, actor=teacher)
    with pytest.raises(AccessDenied):
        services.referral_save_step(referral=referral, actor=teacher, step="account", values={"account": "x"})

    services.invitation_revoke(invitation=invitation, actor=first_responder)
    with pytest.raises(AccessDenied):
        services.contribution_add(referral=referral, actor=teacher, topic="More", text="More")


def test_a_concern_reaches_the_organisation_and_starts_a_prefilled_referral(
        first_responder: User, make_user: Callable[..., User]) -> None:
    health_visitor = make_user(Role.CONCERNED_PROFESSIONAL)
    met = Organisation.objects.get(slug="police-e23000001")
    concern = services.concern_raise(
        organisation=met, urgency="urgent", summary="A boy of about 15 is being collected by cars at night.",
        person_details="Known as Sam; lives on the Hill Estate.", raiser_name="Jo Evans",
        raiser_email="Jo.Evans@nhs.example", raiser_phone="", raiser_role="Health visitor", actor=health_visitor)
    to_met = OutboxMessage.objects.get(kind="concern")
    assert to_met.recipient_organisation == met
    assert to_met.subject.startswith("Urgent")
    assert "Hill Estate" not in to_met.body
    # The acknowledgement goes to the signed-in account only; the typed address receives nothing.
    assert OutboxMessage.objects.filter(kind="receipt", recipient_email=health_visitor.email).exists()
    assert not OutboxMessage.objects.filter(recipient_email__iexact="jo.evans@nhs.example").exists()

    referral = services.concern_start_referral(concern=concern, actor=first_responder)
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.REFERRAL_STARTED
    assert referral.concern == concern
    assert "collected by cars" in referral.answers["account"]
    assert "Hill Estate" in referral.answers["account"]
    services.concern_close(concern=concern, actor=first_responder)
    with pytest.raises(ServiceError):
        services.concern_start_referral(concern=concern, actor=first_responder)


def test_a_concern_can_only_go_to_a_first_responder_organisation() -> None:
    with pytest.raises(ServiceError):
        services.concern_raise(organisation=Organisation.objects.get(slug="sca"), urgency="standard", summary="x",
                               person_details="", raiser_name="A", raiser_email="a@example.com", raiser_phone="",
                               raiser_role="Teacher")
