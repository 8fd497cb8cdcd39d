"""Support for potential and confirmed victims: referrals to a support provider, the support
given (episodes), and recovery needs assessments. The rules (who provides, for how long, when
support may end) are in ``services.py``; these models only store what happened."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from nrm.core.models import BaseModel
from nrm.core.sealing import SealedField


class ProviderType(models.TextChoices):
    VICTIM_CARE_CONTRACT = "vcc", "Victim care contract"
    LOCAL_AUTHORITY = "local_authority", "Local authority"


class SupportReferralStatus(models.TextChoices):
    OFFERED = "offered", "Waiting for the provider to accept"
    ACCEPTED = "accepted", "Receiving support"
    DECLINED = "declined", "Declined by the provider"
    ENDED = "ended", "Support ended"


class EndReason(models.TextChoices):
    PERIOD_COMPLETE = "period_complete", "The support period has been completed"
    NEEDS_MET = "needs_met", "The person's recovery needs have been met"
    DECLINED_SUPPORT = "declined_support", "The person no longer wants support"
    LEFT_UK = "left_uk", "The person has left the UK"
    TRANSFERRED = "transferred", "Support has moved to another provider or service"
    MISSING = "missing", "The person is missing and cannot be contacted"
    NEGATIVE_DECISION = "negative_decision", "A negative conclusive grounds decision was served"
    DIED = "died", "The person has died"
    OTHER = "other", "Another reason"
    CASE_WITHDRAWN = "case_withdrawn", "The competent authority withdrew the case"
    DISQUALIFIED = "disqualified", "The person was disqualified (public order or bad faith)"


class SupportReferral(BaseModel):
    """A referral of a person to a support provider, from a positive reasonable grounds decision
    (recovery period) and, after a positive conclusive grounds decision, for move-on support."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="support_referrals")
    provider = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="support_referrals")
    provider_type = models.CharField(max_length=16, choices=ProviderType.choices)
    status = models.CharField(max_length=10, choices=SupportReferralStatus.choices,
                              default=SupportReferralStatus.OFFERED)
    referred_on = models.DateField()
    # The recovery period, under the policy in force on the reasonable grounds decision date.
    recovery_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    recovery_period_ends_on = models.DateField(null=True, blank=True)
    # Move-on support, under the policy in force on the conclusive grounds decision date.
    move_on_from = models.DateField(null=True, blank=True)
    move_on_days = models.PositiveSmallIntegerField(null=True, blank=True)
    move_on_until = models.DateField(null=True, blank=True)
    # The account of exploitation is shown to the provider only if it has been shared.
    account_shared = models.BooleanField(default=False)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    responded_on = models.DateField(null=True, blank=True)
    decline_reason = SealedField(blank=True, key_from="case.referral")  # sealed, ADR 0019
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    end_details = SealedField(blank=True, key_from="case.referral")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    policy = models.JSONField(default=dict, help_text="The policy values in force on the decision dates")

    class Meta:
        ordering = ["-referred_on", "-created_at"]
        indexes = [
            models.Index(fields=["provider", "status", "-referred_on"]),
            models.Index(fields=["status", "move_on_until"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=["offered", "accepted"]),
                                    name="one_live_support_referral_per_case"),
        ]

    def __str__(self) -> str:
        return f"Support referral {self.case_id} to {self.provider_id}"


class SupportKind(models.TextChoices):
    ACCOMMODATION = "accommodation", "Accommodation"
    OUTREACH = "outreach", "Outreach"
    FINANCIAL = "financial", "Financial"
    LEGAL_ADVICE = "legal_advice", "Legal advice"
    COUNSELLING = "counselling", "Counselling"
    INTERPRETER = "interpreter", "Interpreter"


class SupportEpisode(BaseModel):
    referral = models.ForeignKey(SupportReferral, on_delete=models.PROTECT, related_name="episodes")
    kind = models.CharField(max_length=16, choices=SupportKind.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["start_date", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="episode_ends_after_it_starts"),
        ]


class AssessmentOutcome(models.TextChoices):
    NEEDS_MET = "needs_met", "Needs met"
    ONGOING_NEEDS = "ongoing_needs", "Ongoing needs"


class RecoveryNeedsAssessment(BaseModel):
    referral = models.ForeignKey(SupportReferral, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField()
    outcome = models.CharField(max_length=16, choices=AssessmentOutcome.choices)
    # Ongoing needs: support continues at least until this date (beyond the move-on minimum).
    support_needed_until = models.DateField(null=True, blank=True)
    notes = SealedField(blank=True, key_from="referral.case.referral")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["assessed_on", "created_at"]
