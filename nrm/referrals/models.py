"""Referrals: drafts, submitted referrals, contributions, attachments, concerns, and the
anonymous Duty to Notify report (which holds nothing that identifies a person)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models

from nrm.core.models import BaseModel
from nrm.core.sealing import SealedField, SealedRecord, open_bytes, seal_bytes


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    EXPIRED = "expired", "Expired"


class AgeAtExploitation(models.TextChoices):
    ADULT = "adult", "Adult (18 or over)"
    CHILD = "child", "Child (17 or under)"
    UNKNOWN = "unknown", "Not specified or unknown"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not specified or unknown"


class Location(models.TextChoices):
    UK = "uk", "UK"
    OVERSEAS = "overseas", "Overseas"
    BOTH = "both", "UK and Overseas"
    UNKNOWN = "unknown", "Not specified or unknown"


class CompetentAuthority(models.TextChoices):
    SCA = "SCA", "Single Competent Authority"
    IECA = "IECA", "Immigration Enforcement Competent Authority"


class Referral(BaseModel, SealedRecord):
    """A referral from its first saved page to submission. ``answers`` holds the journey's
    answers by question, sealed under the referral's data key (ADR 0019); the structured fields
    below are filled when it is submitted and stay plaintext (codes, not identifying)."""

    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="referrals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    answers = SealedField(json=True, default=dict, blank=True)
    last_step = models.CharField(max_length=60, blank=True)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    concern = models.ForeignKey("referrals.Concern", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="referrals")

    # Filled on submit, for routing, queues and statistics.
    is_child = models.BooleanField(null=True)
    age_at_exploitation = models.CharField(max_length=10, choices=AgeAtExploitation.choices, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    nationalities = models.ManyToManyField("reference.Country", blank=True, related_name="+")
    exploitation_types = models.ManyToManyField("reference.ExploitationType", blank=True, related_name="+")
    location_of_exploitation = models.CharField(max_length=10, choices=Location.choices, blank=True)
    police_force = models.ForeignKey("reference.PoliceForce", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    local_authority = models.ForeignKey("reference.LocalAuthority", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    # Where a child lives now: its children's social care gets the safeguarding notification.
    safeguarding_local_authority = models.ForeignKey("reference.LocalAuthority", null=True, blank=True,
                                                     on_delete=models.PROTECT, related_name="+")
    safety_risk = models.BooleanField(null=True)
    county_lines = models.BooleanField(null=True)
    competent_authority = models.CharField(max_length=4, choices=CompetentAuthority.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "-updated_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return self.reference or f"Draft {str(self.pk)[:8]}"


class DraftEvent(models.Model):
    """An audit event about a draft, held with the draft until its fate is known.

    A draft that is sent as an NRM referral, deleted by its author or expired has these events
    written into the audit chain (with the time each happened). A draft that becomes an anonymous
    Duty to Notify report is deleted with them, so nothing in the audit log links the report to
    the person, the first responder or the request to refer it came from (ADR on Duty to Notify
    anonymity)."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="pending_events")
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    action = models.CharField(max_length=80)
    object_label = models.CharField(max_length=140)
    request_id = models.CharField(max_length=64, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Invitation(BaseModel):
    """A named professional invited by email to contribute to a draft. Their email and name are
    sealed under the referral's data key, like the person's details (erased with it)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="invitations")
    email = SealedField(key_from="referral")
    name = SealedField(key_from="referral")
    organisation_name = models.CharField(max_length=200)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]


class Contribution(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="contributions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation_name = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    text = SealedField(key_from="referral")

    class Meta:
        ordering = ["created_at"]


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name in one folder: no folder per referral, which would outlive a draft deleted
    for a Duty to Notify report and keep its id."""
    return f"evidence/{uuid.uuid4().hex}"


class Attachment(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path)
    original_name = SealedField(key_from="referral")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = SealedField(blank=True, key_from="referral")

    class Meta:
        ordering = ["created_at"]

    def store_content(self, content: bytes) -> None:
        """Write ``content`` sealed under the referral's data key (ADR 0019), under a random name,
        readable by the service's own user only (FILE_UPLOAD_PERMISSIONS)."""
        sealed = seal_bytes(self, key_from="referral", purpose="file", content=content)
        self.file.save("evidence", ContentFile(sealed), save=False)

    def read_content(self) -> bytes | None:
        """The file's bytes, or None once the referral's data key was destroyed (erased)."""
        try:
            with self.file.open("rb") as handle:
                stored = handle.read()
        except FileNotFoundError:  # deleted with its referral's key
            return None
        return open_bytes(self, key_from="referral", purpose="file", stored=stored)


class ConcernUrgency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate danger: the person is at risk now"
    URGENT = "urgent", "Urgent: within 24 hours"
    STANDARD = "standard", "Standard: within 5 working days"


class ConcernStatus(models.TextChoices):
    NEW = "new", "New"
    REFERRAL_STARTED = "referral_started", "Referral started"
    CLOSED = "closed", "Closed"


class Concern(BaseModel, SealedRecord):
    """A non-first-responder's request that a first-responder organisation make a referral. Who
    asked and about whom are sealed under the request's own data key (ADR 0019)."""

    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="concerns")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    raiser_name = SealedField()
    raiser_email = SealedField()
    raiser_phone = SealedField(blank=True)
    raiser_role = models.CharField(max_length=200)
    urgency = models.CharField(max_length=12, choices=ConcernUrgency.choices)
    summary = SealedField()
    person_details = SealedField(blank=True)
    status = models.CharField(max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.NEW)
    # The day the retention rule (policy concern_retention_days) cleared who asked and about whom.
    personal_details_cleared_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]


class AgeBand(models.TextChoices):
    """Age bands of a Duty to Notify report (adults only), as the statistics print them."""

    FROM_18_TO_24 = "18 to 24", "18 to 24"
    FROM_25_TO_34 = "25 to 34", "25 to 34"
    FROM_35_TO_44 = "35 to 44", "35 to 44"
    FROM_45_TO_54 = "45 to 54", "45 to 54"
    FROM_55 = "55 and over", "55 and over"
    UNKNOWN = "Not specified or unknown", "Not specified or unknown"


# Crockford's base32 without I, L, O and U: no letter is mistaken for a digit or spells a word.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_duty_to_notify_reference() -> str:
    """``DTN-XXXX-XXXX``: 40 random bits, so it tells nothing about when or by whom a report was made."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"DTN-{chars[:4]}-{chars[4:]}"


class DutyToNotifyReport(models.Model):
    """Anonymous by construction: no link to a person, a draft, a user or a time of day.

    Only the reporting organisation and non-identifying fields are kept; the draft it came
    from is deleted in the same transaction that creates it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report_date = models.DateField()
    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="+")
    gender = models.CharField(max_length=10, choices=Gender.choices)
    nationalities = models.ManyToManyField("reference.Country", related_name="+")
    age_band = models.CharField(max_length=30, choices=AgeBand.choices)
    exploitation_types = models.ManyToManyField("reference.ExploitationType", related_name="+")
    location_of_exploitation = models.CharField(max_length=10, choices=Location.choices)
    police_force = models.ForeignKey("reference.PoliceForce", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    # A random reference the first responder can quote: it encodes nothing (not a sequence, not a time).
    reference = models.CharField(max_length=14, unique=True, default=new_duty_to_notify_reference, editable=False)
    # Intelligence about the exploitation and the exploiters, without details of the person.
    what_happened = models.TextField(blank=True)
    about_exploiters = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["report_date"])]
