"""Services that change referrals: drafts saved page by page, evidence, contributors, the
submission (an NRM referral with its case and partner messages, or an anonymous Duty to
Notify report), requests to refer, and draft expiry.

Each service owns its transaction, checks the rules, writes audit events and puts messages in
the outbox (sent after the transaction commits).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nrm.audit.services import audit_record
from nrm.core import hooks, rules
from nrm.core.errors import AccessDenied, ServiceError
from nrm.core.keys import data_keys_destroy
from nrm.core.middleware import current_request_id
from nrm.core.policy import int_value
from nrm.core.workdays import add_working_days
from nrm.notify.models import MessageKind, OutboxMessage
from nrm.notify.services import outbox_add
from nrm.reference.models import Country, ExploitationType, LocalAuthority, Organisation, PoliceForce
from nrm.referrals import journey
from nrm.referrals.choices import options_on
from nrm.referrals.evidence import evidence_problem, file_type_for
from nrm.referrals.models import (
    Attachment,
    Concern,
    ConcernStatus,
    ConcernUrgency,
    Contribution,
    DraftEvent,
    DutyToNotifyReport,
    Invitation,
    Referral,
    ReferralStatus,
)
from nrm.referrals.routing import (
    childrens_services_for,
    crime_referral_force,
    police_force_for_organisation,
    police_organisation_for,
)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class ReferralIncomplete(ServiceError):
    """The referral cannot be sent yet: some answers are missing or not valid."""

    def __init__(self, problems: Sequence[journey.FieldError]) -> None:
        count = len(problems)
        super().__init__(f"{count} answer{'s are' if count != 1 else ' is'} missing or need changing")
        self.problems = list(problems)


@dataclass(frozen=True)
class SubmitResult:
    referral: Referral | None  # None for a Duty to Notify report: its draft is deleted
    case: Any = None
    duty_to_notify: DutyToNotifyReport | None = None
    already_submitted: bool = False


# --- Rules shared by the services ------------------------------------------------------------------

def draft_expires_at(now: datetime | None = None) -> datetime:
    moment = now or timezone.now()
    return moment + timedelta(days=int_value("draft_expiry_days", on=timezone.localdate(moment)))


def _require_first_responder(actor: Any, organisation: Organisation) -> None:
    from nrm.referrals.selectors import first_responder_organisations

    if organisation not in first_responder_organisations(actor):
        raise AccessDenied("Only first responders of this organisation can do this.")


def _require_draft(referral: Referral) -> None:
    if referral.status != ReferralStatus.DRAFT:
        raise ServiceError("This referral has already been sent, so it cannot be changed."
                           if referral.status == ReferralStatus.SUBMITTED else "This draft has expired.")


def _locked(referral: Referral) -> Referral:
    locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if locked is None:
        raise ServiceError("This draft no longer exists.")
    return locked


def _acknowledge_by(today: date, nation: str = "england") -> date:
    return add_working_days(today, int_value("partner_ack_working_days", on=today), nation)


def _delete_files_on_commit(attachments: Sequence[Attachment]) -> None:
    names = [(a.file.storage, a.file.name) for a in attachments if a.file and a.file.name]

    def delete() -> None:
        for storage, name in names:
            storage.delete(str(name))

    transaction.on_commit(delete)


# --- The audit trail of a draft ------------------------------------------------------------------

def _draft_audit(*, actor: Any, action: str, referral: Referral, target: Any = None,
                 after: dict[str, Any] | None = None) -> None:
    """Audit something done to (or read from) a referral. While it is a draft the event is held
    with the draft (see ``DraftEvent``): it enters the audit chain when the draft is sent as an
    NRM referral, deleted or expires, and is deleted with a draft that becomes an anonymous Duty
    to Notify report."""
    if referral.status != ReferralStatus.DRAFT:
        audit_record(actor=actor, action=action, target=target or referral, after=after)
        return
    obj = target if target is not None else referral
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    DraftEvent.objects.create(
        referral=referral, occurred_at=timezone.now(), actor=actor if authenticated else None, action=action,
        object_label=f"{type(obj)._meta.label}:{obj.pk}", request_id=current_request_id() or "",
        after=_jsonable(after),
    )


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else dict(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def _draft_events_to_audit_log(referral: Referral) -> None:
    """Write a draft's held events into the audit chain, each with the time it happened."""
    for event in referral.pending_events.select_related("actor").order_by("id"):
        after: dict[str, Any] = dict(event.after or {})
        after["happened_at"] = event.occurred_at.isoformat()
        if event.request_id:
            after["request_id"] = event.request_id
        if event.object_label != f"{Referral._meta.label}:{referral.pk}":
            after["object"] = event.object_label
        audit_record(actor=event.actor, action=event.action, target=referral, after=after)
    referral.pending_events.all().delete()


# --- Drafts --------------------------------------------------------------------------------------

def referral_start(*, actor: Any, organisation: Organisation, concern: Concern | None = None) -> Referral:
    """A new draft for ``organisation``, with the first responder's details filled in from their
    account (and the request to refer it came from, if any)."""
    _require_first_responder(actor, organisation)
    force = police_force_for_organisation(organisation)
    answers: dict[str, Any] = {
        "fr_name": actor.full_name,
        "fr_job_title": actor.job_title,
        "fr_email": actor.email,
        "fr_phone": actor.phone,
        "fr_police_force": force.code if force else "",
    }
    if concern is not None:
        answers["account"] = "\n\n".join(t for t in (concern.summary, concern.person_details) if t)
    with transaction.atomic():
        referral = Referral.objects.create(
            organisation=organisation, author=actor, answers=answers, concern=concern,
            last_step=journey.STEPS[0].slug, expires_at=draft_expires_at(),
        )
        _draft_audit(actor=actor, action="referral.draft_started", referral=referral,
                     after={"organisation": organisation.slug, "concern": str(concern.pk) if concern else None})
        if concern is not None and concern.status == ConcernStatus.NEW:
            concern.status = ConcernStatus.REFERRAL_STARTED
            concern.save(update_fields=["status", "updated_at"])
            # No draft id here: a draft may become an anonymous report, which nothing may link to.
            audit_record(actor=actor, action="concern.referral_started", target=concern,
                         after={"status": concern.status})
    return referral


def referral_save_step(*, referral: Referral, actor: Any, step: str, values: dict[str, Any],
                       resume_at: str | None = None) -> Referral:
    """Save a page's answers as typed, valid or not, so nothing is lost; extend the draft's life."""
    if step not in journey.STEPS_BY_SLUG:
        raise ServiceError("There is no such question page.")
    with transaction.atomic():
        locked = _locked(referral)
        _require_first_responder(actor, locked.organisation)
        _require_draft(locked)
        answers = dict(locked.answers)
        answers.update(values)
        locked.answers = answers
        locked.last_step = resume_at or step
        locked.expires_at = draft_expires_at()
        locked.save(update_fields=["answers", "last_step", "expires_at", "updated_at"])
        _draft_audit(actor=actor, action="referral.draft_saved", referral=locked,
                     after={"step": step, "questions": sorted(values)})
    return locked


def referral_draft_delete(*, referral: Referral, actor: Any) -> None:
    with transaction.atomic():
        locked = _locked(referral)
        _require_first_responder(actor, locked.organisation)
        _require_draft(locked)
        _delete_files_on_commit(list(locked.attachments.all()))
        _draft_events_to_audit_log(locked)
        audit_record(actor=actor, action="referral.draft_deleted", target=locked)
        locked.delete()


# --- Evidence ------------------------------------------------------------------------------------

def attachment_add(*, referral: Referral, actor: Any, upload: UploadedFile[bytes] | None, description: str = "") -> Attachment:
    if upload is None:
        raise ServiceError("Select a file", field="evidence_file")
    with transaction.atomic():
        locked = _locked(referral)
        _require_first_responder(actor, locked.organisation)
        _require_draft(locked)
        name = PurePath(upload.name or "file").name[:255]
        upload.seek(0)
        head = upload.read(2048)
        upload.seek(0)
        problem = evidence_problem(name=name, size=upload.size or 0, head=head,
                                   files_already=locked.attachments.count())
        if problem:
            raise ServiceError(problem, field="evidence_file")
        kind = file_type_for(name)
        assert kind is not None
        attachment = Attachment(referral=locked, uploaded_by=actor, original_name=name,
                                content_type=kind.content_type, size=upload.size or 0,
                                description=description.strip()[:200])
        upload.seek(0)
        attachment.store_content(upload.read())
        attachment.save()
        _draft_audit(actor=actor, action="referral.attachment_added", referral=locked, target=attachment,
                     after={"referral": str(locked.pk), "size": attachment.size, "type": kind.label})
    return attachment


def attachment_remove(*, attachment: Attachment, actor: Any) -> None:
    with transaction.atomic():
        locked = _locked(attachment.referral)
        _require_first_responder(actor, locked.organisation)
        _require_draft(locked)
        _delete_files_on_commit([attachment])
        _draft_audit(actor=actor, action="referral.attachment_removed", referral=locked, target=attachment,
                     after={"referral": str(locked.pk)})
        attachment.delete()


# --- Contributors --------------------------------------------------------------------------------

def invitation_send(*, referral: Referral, actor: Any, name: str, email: str, organisation_name: str,
                    site_url: str) -> Invitation:
    """Invite a named professional by email to add what they know to a draft."""
    email = email.strip().lower()
    with transaction.atomic():
        locked = _locked(referral)
        _require_first_responder(actor, locked.organisation)
        _require_draft(locked)
        if any(i.email == email for i in locked.invitations.filter(revoked_at__isnull=True)):
            raise ServiceError(f"You have already invited {email} to this draft.", field="email")
        invitation = Invitation.objects.create(referral=locked, email=email, name=name.strip(),
                                               organisation_name=organisation_name.strip(), invited_by=actor)
        link = site_url.rstrip("/") + reverse("referrals:invitation", kwargs={"token": invitation.token})
        outbox_add(
            kind=MessageKind.INVITATION,
            subject="You are invited to add information to a modern slavery referral",
            body=(f"Dear {invitation.name},\n\n{actor.full_name} of {locked.organisation.name} has asked you to add "
                  "what you know to a National Referral Mechanism referral they are preparing.\n\n"
                  f"Sign in with this email address, then open this link:\n{link}\n\n"
                  "Do not forward this email. The link only works for you."),
            recipient_email=email, about=invitation,
        )
        _draft_audit(actor=actor, action="referral.contributor_invited", referral=locked, target=invitation,
                     after={"referral": str(locked.pk), "organisation": invitation.organisation_name})
    return invitation


def invitation_accept(*, invitation: Invitation, actor: Any) -> Invitation:
    if invitation.email.lower() != actor.email.lower():
        raise AccessDenied("This invitation was sent to someone else.")
    if invitation.revoked_at:
        raise ServiceError("This invitation has been withdrawn.")
    if invitation.accepted_by_id == actor.pk:
        return invitation
    with transaction.atomic():
        locked = _locked(invitation.referral)
        _require_draft(locked)
        invitation.accepted_by = actor
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at", "updated_at"])
        _draft_audit(actor=actor, action="referral.invitation_accepted", referral=locked, target=invitation,
                     after={"referral": str(invitation.referral_id)})
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: Any) -> Invitation:
    with transaction.atomic():
        locked = _locked(invitation.referral)
        _require_first_responder(actor, locked.organisation)
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at", "updated_at"])
            _draft_audit(actor=actor, action="referral.invitation_revoked", referral=locked, target=invitation)
    return invitation


def contribution_add(*, referral: Referral, actor: Any, topic: str, text: str) -> Contribution:
    """Add a contributor's information to a draft, attributed to them."""
    topic, text = topic.strip(), text.strip()
    if not text:
        raise ServiceError("Enter what you know", field="text")
    if len(text) > 20000:
        raise ServiceError("What you know must be 20,000 characters or fewer", field="text")
    with transaction.atomic():
        locked = _locked(referral)
        _require_draft(locked)
        invitation = locked.invitations.filter(accepted_by=actor, revoked_at__isnull=True).first()
        if invitation is None:
            raise AccessDenied("Only invited contributors can add to this draft.")
        contribution = Contribution.objects.create(
            referral=locked, author=actor, author_organisation_name=invitation.organisation_name,
            topic=topic[:120] or "Information", text=text,
        )
        _draft_audit(actor=actor, action="referral.contribution_added", referral=locked, target=contribution,
                     after={"referral": str(locked.pk), "topic": contribution.topic})
    return contribution


# --- Submission ----------------------------------------------------------------------------------

def _new_reference(today: date) -> str:
    # A case takes its referral's reference (and every case has a referral), so a reference no
    # referral has is free for the case too.
    for _ in range(20):
        reference = f"NRM-{today.year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if not Referral.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("Could not make a unique reference")


def _applicable_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to questions on the referral's path: nothing else is kept on submit."""
    kept: dict[str, Any] = {}
    for step in journey.journey_path(answers):
        for f in step.fields:
            if journey.field_applies(f, step, answers) and f.name in answers:
                kept[f.name] = answers[f.name]
    return kept


def referral_submit(*, referral: Referral, actor: Any) -> SubmitResult:
    """Send a draft. One transaction; safe to repeat (a double click, a retry or the back
    button): a referral already sent returns the same result and creates nothing new."""
    with transaction.atomic():
        locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
        if locked is None:
            raise ServiceError("This draft no longer exists.")
        _require_first_responder(actor, locked.organisation)
        if locked.status == ReferralStatus.SUBMITTED:
            return SubmitResult(referral=locked, case=getattr(locked, "case", None), already_submitted=True)
        _require_draft(locked)
        today = timezone.localdate()
        lookup = options_on(today)
        problems = journey.journey_errors(locked.answers, lookup, today)
        if problems:
            raise ReferralIncomplete(problems)
        if journey.is_duty_to_notify(locked.answers):
            report = _duty_to_notify_create(locked, actor, today)
            return SubmitResult(referral=None, duty_to_notify=report)
        return _nrm_submit(locked, actor, today)


def _countries(codes: Sequence[str]) -> list[Country]:
    by_code = {c.code: c for c in Country.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def _nrm_submit(referral: Referral, actor: Any, today: date) -> SubmitResult:
    answers = referral.answers
    in_uk = answers.get("location") in {"uk", "both"}
    referral.answers = _applicable_answers(answers)
    referral.reference = _new_reference(today)
    referral.status = ReferralStatus.SUBMITTED
    referral.submitted_at = timezone.now()
    referral.is_child = journey.treated_as_child(answers)
    referral.age_at_exploitation = answers.get("age_at_exploitation", "unknown")
    referral.gender = answers.get("gender", "unknown")
    referral.location_of_exploitation = answers.get("location", "unknown")
    referral.police_force = (PoliceForce.objects.filter(code=answers.get("exploitation_police_force")).first()
                             if in_uk else None)
    referral.local_authority = (LocalAuthority.objects.filter(code=answers.get("exploitation_local_authority")).first()
                                if in_uk and answers.get("exploitation_local_authority") else None)
    referral.safeguarding_local_authority = (
        LocalAuthority.objects.filter(code=answers.get("child_local_authority")).first() if referral.is_child else None)
    referral.county_lines = answers.get("county_lines") == "yes"
    referral.safety_risk = answers.get("safety_risk") == "yes"
    referral.competent_authority = journey.competent_authority(answers)
    referral.save()
    referral.nationalities.set(_countries(answers.get("nationalities") or []))
    referral.exploitation_types.set(ExploitationType.objects.filter(code__in=answers.get("exploitation_types") or []))
    _draft_events_to_audit_log(referral)
    audit_record(actor=actor, action="referral.submitted", target=referral, after={
        "reference": referral.reference, "competent_authority": referral.competent_authority,
        "is_child": referral.is_child, "organisation": referral.organisation.slug,
    })
    # Casework opens the case in this transaction (its receiver of the hook); a referral is never
    # submitted without its case.
    hooks.referral_submitted.emit(hooks.ReferralEvent(referral=referral, actor=actor))
    case = referral.case
    acknowledge_by = _acknowledge_by(today, case.nation)

    # A crime referral to the force where it happened, or the referrer's force.
    force = crime_referral_force(answers)
    police = police_organisation_for(force) if force else None
    if police is None:
        raise ServiceError("There is no police force to send the crime referral to. Check 'Your details'.")
    _queue(actor, referral, kind=MessageKind.CRIME_REFERRAL, recipient_organisation=police,
           subject=f"Crime referral: NRM referral {referral.reference}",
           body=_partner_notice(referral, today, acknowledge_by,
                                f"from {referral.organisation.name}. The exploitation is recorded in your force "
                                "area, or the referrer works in it. Please record a crime."),
           acknowledge_by=acknowledge_by, dedupe_key=f"crime:{referral.pk}")

    # Every child: a safeguarding notification to children's social care.
    if referral.is_child:
        authority = referral.safeguarding_local_authority
        childrens_services = childrens_services_for(authority) if authority else None
        if authority is None or childrens_services is None:
            raise ServiceError("There is no children's social care team for the local authority you chose.")
        _queue(actor, referral, kind=MessageKind.SAFEGUARDING, recipient_organisation=childrens_services,
               subject=f"Child safeguarding notification: NRM referral {referral.reference}",
               body=_partner_notice(referral, today, acknowledge_by,
                                    f"about a child who lives in {authority}. The child may be a victim of "
                                    "modern slavery."),
               acknowledge_by=acknowledge_by, dedupe_key=f"safeguarding:{referral.pk}")
        _guardian_notify(actor, referral, authority, today=today, acknowledge_by=acknowledge_by)

    # A receipt to the first responder. Email is not secure, so it says nothing about the person.
    _queue(actor, referral, kind=MessageKind.RECEIPT,
           recipient_email=answers.get("fr_email") or actor.email,
           subject=f"Referral {referral.reference} received",
           body=(f"We received your National Referral Mechanism referral {referral.reference} on "
                 f"{today:%d %B %Y}. It is with the {referral.get_competent_authority_display()}, which aims to make "
                 f"a reasonable grounds decision by {case.rg_target_date:%d %B %Y}.\n\n"
                 "Sign in to Open NRM to see or print a copy of the referral."),
           dedupe_key=f"receipt:{referral.pk}")
    return SubmitResult(referral=referral, case=case)


def _partner_notice(referral: Referral, today: date, acknowledge_by: date, what: str) -> str:
    """The body of a message to a partner (a police force, children's social care, a guardian
    service): which referral arrived and when, ``what`` it is to them, and when to acknowledge it."""
    return (f"The National Referral Mechanism received referral {referral.reference} on {today:%d %B %Y} {what}\n\n"
            f"Sign in to Open NRM to read the referral, and acknowledge it by {acknowledge_by:%d %B %Y}.")


def _guardian_notify(actor: Any, referral: Referral, authority: LocalAuthority, *, today: date,
                     acknowledge_by: date) -> None:
    """Where a guardian service covers the area the child lives in (dated per-area policy, ADR 0028),
    tell it of the referral: Independent Child Trafficking Guardians in their areas of England and
    Wales, Scotland's guardianship service, Northern Ireland's Independent Guardian Service."""
    slug = rules.child_guardian_service(area=authority.upper_tier_code, nation=authority.nation, on=today)
    service = Organisation.objects.in_force(today).filter(slug=slug).first() if slug else None
    if service is None:
        return
    _queue(actor, referral, kind=MessageKind.GUARDIAN, recipient_organisation=service,
           subject=f"Child trafficking guardian referral: NRM referral {referral.reference}",
           body=_partner_notice(referral, today, acknowledge_by,
                                f"about a child who lives in {authority}, where your service provides guardians "
                                "to children who may have been trafficked."),
           acknowledge_by=acknowledge_by, dedupe_key=f"guardian:{referral.pk}")


def _queue(actor: Any, referral: Referral, **message: Any) -> None:
    sent = outbox_add(about=referral, **message)
    audit_record(actor=actor, action="outbox.queued", target=sent, after={
        "kind": sent.kind, "about": str(referral.pk),
        "recipient_organisation": sent.recipient_organisation.slug if sent.recipient_organisation else None,
        "acknowledge_by": sent.acknowledge_by,
    })


def _duty_to_notify_create(referral: Referral, actor: Any, today: date) -> DutyToNotifyReport:
    """The anonymous report: only non-identifying fields are copied, and the draft goes with
    everything that could link the report back to the person, the first responder or the time
    of day: its held audit events, attachments, contributions, invitations and the messages about
    them. No audit event is written now; :func:`duty_to_notify_audit_reports` records each report
    with its organisation and date after the day has ended."""
    answers = referral.answers
    in_uk = answers.get("location") in {"uk", "both"}
    report = DutyToNotifyReport.objects.create(
        report_date=today,
        organisation=referral.organisation,
        gender=answers.get("gender", "unknown"),
        age_band=answers.get("age_band", "Not specified or unknown"),
        location_of_exploitation=answers.get("location", "unknown"),
        police_force=PoliceForce.objects.filter(code=answers.get("exploitation_police_force")).first() if in_uk else None,
        what_happened=str(answers.get("what_happened") or ""),
        about_exploiters=str(answers.get("about_exploiters") or ""),
    )
    report.nationalities.set(_countries(answers.get("nationalities") or []))
    report.exploitation_types.set(ExploitationType.objects.filter(code__in=answers.get("exploitation_types") or []))
    _delete_files_on_commit(list(referral.attachments.all()))
    about_ids = [str(referral.pk), *(str(pk) for pk in referral.invitations.values_list("pk", flat=True))]
    OutboxMessage.objects.filter(about_id__in=about_ids).delete()
    referral.delete()
    return report


def duty_to_notify_audit_reports(*, today: date | None = None) -> int:
    """Record in the audit log each Duty to Notify report of a day that has ended, with its
    organisation and date only, in random order and by no user, so the log's order and times
    cannot link a report to who made it or when in the day (run by the worker)."""
    day = today or timezone.localdate()
    label = DutyToNotifyReport._meta.label
    recorded = 0
    for report in DutyToNotifyReport.objects.filter(report_date__lt=day).select_related("organisation").order_by("id"):
        with transaction.atomic():
            if _reported_already(label, report):
                continue
            audit_record(actor=None, action="duty_to_notify.reported", target=report,
                         after={"organisation": report.organisation.slug, "report_date": report.report_date})
            recorded += 1
    return recorded


def _reported_already(label: str, report: DutyToNotifyReport) -> bool:
    from nrm.audit.models import AuditEvent

    return AuditEvent.objects.filter(object_type=label, object_id=str(report.pk),
                                     action="duty_to_notify.reported").exists()


# --- Requests to refer (concerns) ----------------------------------------------------------------

def concern_raise(*, organisation: Organisation, urgency: str, summary: str, person_details: str,
                  raiser_name: str, raiser_email: str, raiser_phone: str, raiser_role: str,
                  actor: Any = None) -> Concern:
    """Send a request to make a referral to a first-responder organisation's inbox."""
    if not organisation.is_first_responder:
        raise ServiceError("Choose a first responder organisation.", field="organisation")
    if urgency not in ConcernUrgency.values:
        raise ServiceError("Select how urgent this is.", field="urgency")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        concern = Concern.objects.create(
            organisation=organisation, raised_by=actor if authenticated else None,
            raiser_name=raiser_name.strip(), raiser_email=raiser_email.strip().lower(),
            raiser_phone=raiser_phone.strip(), raiser_role=raiser_role.strip(), urgency=urgency,
            summary=summary.strip(), person_details=person_details.strip(),
        )
        label = ConcernUrgency(urgency).label.split(":")[0]
        outbox_add(kind=MessageKind.CONCERN, recipient_organisation=organisation,
                   subject=f"{label}: request to make an NRM referral",
                   body=(f"Someone ({concern.raiser_role}) has asked {organisation.name} to consider "
                         f"making a National Referral Mechanism referral. Urgency: {ConcernUrgency(urgency).label}.\n\n"
                         "Sign in to Open NRM and open 'Requests to refer' to read it."),
                   about=concern)
        if authenticated:
            # Only to the signed-in account's own address: a typed address never receives email,
            # so the form cannot be used to send mail to anyone a visitor chooses.
            outbox_add(kind=MessageKind.RECEIPT, recipient_email=actor.email,
                       subject="Your request to make a referral was sent",
                       body=(f"We sent your request to {organisation.name} on {timezone.localdate():%d %B %Y}. "
                             "They will contact you if they need more information.\n\n"
                             "If someone is in immediate danger, call 999."),
                       about=concern)
        audit_record(actor=actor if authenticated else None, action="concern.raised", target=concern,
                     after={"organisation": organisation.slug, "urgency": urgency})
    return concern


def concern_start_referral(*, concern: Concern, actor: Any) -> Referral:
    if concern.status == ConcernStatus.CLOSED:
        raise ServiceError("This request is closed.")
    return referral_start(actor=actor, organisation=concern.organisation, concern=concern)


def concern_close(*, concern: Concern, actor: Any) -> Concern:
    _require_first_responder(actor, concern.organisation)
    with transaction.atomic():
        before = concern.status
        concern.status = ConcernStatus.CLOSED
        concern.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="concern.closed", target=concern, before={"status": before},
                     after={"status": concern.status})
    return concern


def concerns_clear_personal_details(*, today: date | None = None) -> int:
    """The retention rule for requests to refer: after ``concern_retention_days`` (dated policy)
    who asked and about whom are cleared, and an open request is closed. Each clearing is
    audited (run by the worker)."""
    day = today or timezone.localdate()
    cutoff = day - timedelta(days=int_value("concern_retention_days", on=day))
    due = Concern.objects.filter(personal_details_cleared_on__isnull=True, created_at__date__lt=cutoff)
    cleared = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            concern = Concern.objects.select_for_update().filter(pk=pk, personal_details_cleared_on__isnull=True).first()
            if concern is None:
                continue
            before = concern.status
            concern.raiser_name = concern.raiser_email = concern.raiser_phone = ""
            concern.summary = concern.person_details = ""
            concern.raised_by = None
            concern.status = ConcernStatus.CLOSED
            concern.personal_details_cleared_on = day
            concern.save()
            data_keys_destroy(ids=[concern.data_key_id], because="retention:request_to_refer")
            audit_record(actor=None, action="concern.personal_details_cleared", target=concern,
                         before={"status": before}, after={"status": concern.status, "retention_cutoff": cutoff})
            cleared += 1
    return cleared


# --- Erasure (crypto-shredding, ADR 0019) --------------------------------------------------------

def referral_erase(*, referral: Referral, because: str) -> int:
    """Make everything sealed under the referral's data key unreadable for good: its answers,
    contributions, evidence (whose files are also deleted) and what its case and audit events
    sealed under the same key, and the request to refer it came from. The rows, plaintext codes
    and the audit chain stay. The caller audits it. Returns how many keys were destroyed."""
    _delete_files_on_commit(list(referral.attachments.all()))
    ids = [referral.data_key_id]
    if referral.concern_id is not None:
        ids.append(Concern.objects.filter(pk=referral.concern_id).values_list("data_key_id", flat=True).first())
    return data_keys_destroy(ids=[pk for pk in ids if pk is not None], because=because)


# --- Reads that are audited ----------------------------------------------------------------------

def referral_record_view(*, referral: Referral, actor: Any, where: str) -> None:
    """Every read of a submitted referral is in the audit log."""
    if referral.status == ReferralStatus.DRAFT:
        _draft_audit(actor=actor, action="referral.viewed", referral=referral, after={"where": where})
        return
    case = getattr(referral, "case", None) if referral.status == ReferralStatus.SUBMITTED else None
    audit_record(actor=actor, action="referral.viewed", target=referral, after={"where": where}, case=case)


# --- Draft expiry (run by the worker) ------------------------------------------------------------

def drafts_warn_expiring(now: datetime | None = None) -> int:
    """One warning per draft, a week (policy) before it is deleted."""
    moment = now or timezone.now()
    days = int_value("draft_expiry_warning_days", on=timezone.localdate(moment))
    due = Referral.objects.filter(status=ReferralStatus.DRAFT, expires_at__gt=moment,
                                  expires_at__lte=moment + timedelta(days=days)).select_related("author")
    count = 0
    for referral in due:
        key = f"draft-expiry:{referral.pk}:{referral.expires_at:%Y%m%d}"
        if OutboxMessage.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            outbox_add(
                kind=MessageKind.DRAFT_EXPIRY, recipient_email=referral.author.email,
                subject="A draft referral will be deleted soon",
                body=(f"A draft referral you started on {timezone.localdate(referral.created_at):%d %B %Y} will be "
                      f"deleted on {timezone.localdate(referral.expires_at):%d %B %Y} unless you change or send it.\n\n"
                      "Sign in to Open NRM and open 'Your referrals' to continue it."),
                about=referral, dedupe_key=key,
            )
            _draft_audit(actor=None, action="referral.expiry_warning_queued", referral=referral,
                         after={"expires_at": referral.expires_at})
        count += 1
    return count


def drafts_expire(now: datetime | None = None) -> int:
    """Delete what was typed in drafts past their expiry; the row stays, marked expired."""
    moment = now or timezone.now()
    expired = 0
    for pk in Referral.objects.filter(status=ReferralStatus.DRAFT, expires_at__lte=moment).values_list("pk", flat=True):
        with transaction.atomic():
            referral = Referral.objects.select_for_update().filter(pk=pk, status=ReferralStatus.DRAFT,
                                                                   expires_at__lte=moment).first()
            if referral is None:
                continue
            _delete_files_on_commit(list(referral.attachments.all()))
            referral.attachments.all().delete()
            referral.contributions.all().delete()
            referral.invitations.update(revoked_at=moment)
            referral.answers = {}
            referral.status = ReferralStatus.EXPIRED
            referral.save(update_fields=["answers", "status", "updated_at"])
            data_keys_destroy(ids=[referral.data_key_id], because="retention:expired_draft")
            _draft_events_to_audit_log(referral)
            audit_record(actor=None, action="referral.draft_expired", target=referral)
            expired += 1
    return expired
