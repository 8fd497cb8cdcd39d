"""Cases: the competent authority's record of a submitted referral, its decisions,
requests for information and notes. The lifecycle rules are in ``lifecycle.py``; this
module only stores the state."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nrm.cases.lifecycle import State
from nrm.core.models import BaseModel

STATE_CHOICES = [(s.value, s.label) for s in State]


class Stage(models.TextChoices):
    RG = "RG", "Reasonable grounds"
    CG = "CG", "Conclusive grounds"


class Outcome(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


class Case(BaseModel):
    referral = models.OneToOneField("referrals.Referral", on_delete=models.PROTECT, related_name="case")
    reference = models.CharField(max_length=20, unique=True)
    competent_authority = models.CharField(max_length=4, choices=[("SCA", "SCA"), ("IECA", "IECA")])
    state = models.CharField(max_length=24, choices=STATE_CHOICES, default=State.SUBMITTED)
    state_changed_at = models.DateTimeField()
    # The nation whose bank holidays count for working-day targets.
    nation = models.CharField(max_length=20, default="england")
    first_responder_organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT,
                                                     related_name="cases")
    is_child = models.BooleanField()
    safety_risk = models.BooleanField(default=False)
    received_on = models.DateField()
    rg_target_date = models.DateField()
    allocated_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="allocated_cases")
    last_decision_maker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    suspended_from = models.CharField(max_length=24, choices=STATE_CHOICES, blank=True)
    rg_date = models.DateField(null=True, blank=True)
    recovery_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    cg_date = models.DateField(null=True, blank=True)
    representative_name = models.CharField(max_length=200, blank=True)
    representative_email = models.EmailField(blank=True)

    class Meta:
        indexes = [
            # Queue: a competent authority's open cases by target date, keyset on (rg_target_date, id).
            models.Index(fields=["competent_authority", "state", "rg_target_date", "id"], name="case_queue_idx"),
            models.Index(fields=["competent_authority", "allocated_to", "state", "rg_target_date", "id"],
                         name="case_queue_alloc_idx"),
            models.Index(fields=["competent_authority", "is_child", "state", "rg_target_date", "id"],
                         name="case_queue_child_idx"),
            models.Index(fields=["first_responder_organisation", "-received_on"], name="case_fr_org_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def lifecycle_state(self) -> State:
        return State(self.state)


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting review before it is served"
    SERVED = "served", "Served"
    OVERTURNED = "overturned", "Sent back by review"
    RECONSIDERED = "reconsidered", "Replaced on reconsideration"


class Decision(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    stage = models.CharField(max_length=2, choices=Stage.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    standard_applied = models.CharField(max_length=200)
    reasons = models.ManyToManyField("reference.NegativeDecisionReason", blank=True, related_name="+")
    rationale = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField()
    status = models.CharField(max_length=14, choices=DecisionStatus.choices)
    served_on = models.DateField(null=True, blank=True)
    policy = models.JSONField(default=dict, help_text="The policy values in force on the decision date")

    class Meta:
        ordering = ["decided_on", "created_at"]
        indexes = [models.Index(fields=["case", "stage", "decided_on"])]


class InformationRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed without an answer"


class InformationRequest(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="information_requests")
    addressed_to = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=InformationRequestStatus.choices,
                              default=InformationRequestStatus.OPEN)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["addressed_to", "status"])]


class CaseNote(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["created_at"]


class ReconsiderationRequest(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reconsideration_requests")
    stage = models.CharField(max_length=2, choices=Stage.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField()


class DecisionLetter(BaseModel):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="letters")
    recipient_name = models.CharField(max_length=200)
    recipient_email = models.EmailField(blank=True)
    html = models.TextField()
    pdf = models.BinaryField()
