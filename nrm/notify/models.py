"""The outbox: every message to a partner or a user is written here in the same transaction
as the change that causes it, then sent by a background task. A crash loses nothing.

Any number of workers may send: a worker claims a message for a limited time (a lease) before
sending it, so no two workers send the same message, and a claim left by a worker that died
expires and the message is tried again. See ``nrm.notify.delivery``."""

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
    GUARDIAN = "guardian", "Child trafficking guardian referral"
    # A signed POST to a partner system's endpoint (nrm.notify.webhooks); never shown in an inbox.
    WEBHOOK = "webhook", "Webhook delivery"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The provider refused it for good (GOV.UK Notify's 400 or 403): recorded, never retried.
    REJECTED = "rejected", "Rejected by the provider"


class DeliveryStatus(models.TextChoices):
    """What the provider's delivery receipt said (GOV.UK Notify's final email statuses)."""

    UNKNOWN = "", "No receipt yet"
    DELIVERED = "delivered", "Delivered"
    PERMANENT_FAILURE = "permanent-failure", "Email address does not exist"
    TEMPORARY_FAILURE = "temporary-failure", "Inbox full or not accepting email"
    TECHNICAL_FAILURE = "technical-failure", "Provider's technical failure"


class WebhookEvent(models.TextChoices):
    """What a partner system may subscribe to (ADR 0030)."""

    CRIME_REFERRAL = "referral.crime_referral", "A crime referral arrives for the organisation"
    SAFEGUARDING = "referral.safeguarding", "A child safeguarding notification arrives for the organisation"
    DECISION = "referral.decision", "A decision is made on a referral the organisation made"


class WebhookEndpoint(BaseModel):
    """A partner system's endpoint: where one organisation's events are posted, signed with a
    secret that is shown once and stored only wrapped under the data key-encryption key."""

    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField(max_length=500)
    # WebhookEvent values, ';'-separated
    events = models.CharField(max_length=200)
    secret_wrapped = models.TextField()
    secret_version = models.PositiveSmallIntegerField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "created_at"]

    @property
    def event_names(self) -> list[str]:
        return [e for e in self.events.split(";") if e]


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
    # What the police force recorded the crime as, given when its crime unit acknowledges a crime referral.
    crime_reference = models.CharField(max_length=40, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    # The worker sending it now, and until when its claim holds; cleared when the send is recorded.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # After a failed attempt, not before this time (back-off).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the sent message, and its delivery receipt.
    provider_id = models.CharField(max_length=64, blank=True)
    delivery_status = models.CharField(max_length=20, choices=DeliveryStatus.choices, blank=True, default="")
    delivery_recorded_at = models.DateTimeField(null=True, blank=True)
    # A webhook delivery's endpoint (kind "webhook"); the body is the JSON posted.
    webhook = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="deliveries")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient_organisation", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["requires_acknowledgement", "acknowledged_at", "acknowledge_by"]),
        ]


class WorkerHeartbeat(models.Model):
    """One row per worker process, refreshed while it runs: what is alive and how it is doing."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # healthy, or waiting for the database (the last error says why)
    state = models.CharField(max_length=20, default="healthy")
    tasks_run = models.PositiveIntegerField(default=0)
    messages_sent = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-seen_at"]


class PeriodicRun(models.Model):
    """One row per periodic job per period: the unique pair is the claim, so each job runs once
    per period whatever the number of workers. A run whose worker died before it finished is
    taken over when its claim expires."""

    name = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    worker_id = models.CharField(max_length=64)
    claimed_until = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "period_start"], name="notify_periodic_run_once")]
