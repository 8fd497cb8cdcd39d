"""The outbox: every message to a partner or a user is written here in the same transaction
as the change that causes it, then sent by a background task. A crash loses nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nrm.core.models import BaseModel


class MessageKind(models.TextChoices):
    CRIME_REFERRAL = "crime_referral", "Crime referral"
    SAFEGUARDING = "safeguarding", "Child safeguarding notification"
    RECEIPT = "receipt", "Referral receipt"
    DECISION_LETTER = "decision_letter", "Decision letter"
    INFORMATION_REQUEST = "information_request", "Request for further information"
    INVITATION = "invitation", "Invitation to contribute"
    CONCERN = "concern", "Request to make a referral"
    REMINDER = "reminder", "Reminder"
    SUPPORT = "support", "Support referral"
    DRAFT_EXPIRY = "draft_expiry", "Draft expiry warning"
    REVIEW = "review", "Independent review"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(BaseModel):
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    # A partner organisation's inbox, an email address, or both.
    recipient_organisation = models.ForeignKey("reference.Organisation", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="inbox")
    recipient_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # What it is about: the service records the object, not a copy of case content.
    about_type = models.CharField(max_length=60, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    requires_acknowledgement = models.BooleanField(default=False)
    acknowledge_by = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient_organisation", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["requires_acknowledgement", "acknowledged_at", "acknowledge_by"]),
        ]
