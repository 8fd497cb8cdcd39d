"""Independent scrutiny of negative decisions: Multi-Agency Assurance Panels and second-line
reviews. The rules (which review applies, who may sit, who may conclude) are in ``services.py``;
these models only store what happened."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from nrm.core.models import BaseModel
from nrm.core.sealing import SealedField


class ReviewKind(models.TextChoices):
    PANEL = "panel", "Multi-Agency Assurance Panel"
    SECOND_LINE = "second_line", "Second-line review"


class ReviewStatus(models.TextChoices):
    AWAITING_PANEL = "awaiting_panel", "Waiting for a full panel"
    OPEN = "open", "Under review"
    CONCLUDED = "concluded", "Concluded"


class ReviewOutcome(models.TextChoices):
    AGREE = "agree", "Agree"
    DISAGREE = "disagree", "Disagree"


class Review(BaseModel):
    """The independent review of one proposed negative decision, before it is served."""

    decision = models.OneToOneField("cases.Decision", on_delete=models.PROTECT, related_name="review")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reviews")
    stage = models.CharField(max_length=2, choices=[("RG", "Reasonable grounds"), ("CG", "Conclusive grounds")])
    kind = models.CharField(max_length=12, choices=ReviewKind.choices)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    referred_on = models.DateField()
    target_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices, blank=True)
    rationale = SealedField(blank=True, key_from="case.referral")  # sealed, ADR 0019
    concluded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    concluded_on = models.DateField(null=True, blank=True)
    policy = models.JSONField(default=dict, help_text="The policy values in force on the decision date")

    class Meta:
        ordering = ["referred_on", "created_at"]
        indexes = [
            models.Index(fields=["kind", "status", "referred_on"]),
            models.Index(fields=["case", "referred_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="concluded", concluded_on__isnull=False) & ~Q(outcome="")
                | (~Q(status="concluded") & Q(concluded_on__isnull=True, outcome="")),
                name="review_outcome_iff_concluded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.stage} on {self.case_id}"


class PanelSector(models.TextChoices):
    POLICE = "police", "Police"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    NGO = "ngo", "NGO and third sector"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class Panellist(BaseModel):
    """Someone who may sit on a panel, with the organisation and sector they come from."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panellist")
    home_organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(max_length=16, choices=PanelSector.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_sector_display()}, {self.home_organisation})"


class SeatRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    MEMBER = "member", "Member"


class ConflictDeclaration(models.TextChoices):
    NONE = "none", "No conflict of interest"
    CONFLICTED = "conflicted", "Conflict of interest declared"


class PanelSeat(BaseModel):
    """One person's place on the panel for one review. A conflicted member is stood down and
    replaced; the seat stays as the record of it."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_seats")
    role = models.CharField(max_length=8, choices=SeatRole.choices)
    sector = models.CharField(max_length=16, choices=PanelSector.choices)
    home_organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="+")
    seated_on = models.DateField()
    declaration = models.CharField(max_length=12, choices=ConflictDeclaration.choices, blank=True)
    conflict_details = SealedField(blank=True, key_from="review.case.referral")
    declared_at = models.DateTimeField(null=True, blank=True)
    stood_down_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="one_seat_per_person_per_review")]
        indexes = [models.Index(fields=["user", "stood_down_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"

    @property
    def is_active(self) -> bool:
        return self.stood_down_at is None
