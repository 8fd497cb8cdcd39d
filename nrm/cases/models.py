"""Cases: the competent authority's record of a submitted referral, its decisions,
requests for information and notes. The lifecycle rules are in ``lifecycle.py``; this
module only stores the state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from nrm.cases import stages
from nrm.cases.lifecycle import State
from nrm.core.models import BaseModel, CoveringIndex
from nrm.core.sealing import SealedField, open_bytes, seal_bytes

STATE_CHOICES = [(s.value, s.label) for s in State]


class Stage(models.TextChoices):
    RG = "RG", "Reasonable grounds"
    CG = "CG", "Conclusive grounds"


class Outcome(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


# Columns the queue filters on, carried in its indexes (PostgreSQL) so that counting the matches
# is an index-only scan.
_QUEUE_COVERING = ["state", "received_on", "is_child", "safety_risk", "allocated_to", "decision_panel"]


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
    # A child's case in a devolved decision-making pilot area is decided by that area's panel
    # instead of the competent authority (dated per-area policy, ``rules.child_decision_panel``).
    decision_panel = models.ForeignKey("reference.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="panel_cases")
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
    # Sealed under the referral's data key (ADR 0019), like the free text of the records below.
    representative_name = SealedField(blank=True, key_from="referral")
    representative_email = SealedField(blank=True, key_from="referral")

    class Meta:
        # The queue pages on (rg_target_date, id) by keyset. Partial indexes hold only live cases,
        # one per half of the caseload, so each queue filter walks a small index in order (ADR 0004).
        indexes = [
            *(
                CoveringIndex(fields=["competent_authority", "rg_target_date", "id"], name=name,
                              condition=models.Q(state__in=stages.state_values(states)), include=_QUEUE_COVERING)
                for name, states in (("case_queue_open_idx", stages.OPEN), ("case_queue_rg_idx", stages.RG_SIDE),
                                     ("case_queue_cg_idx", stages.CG_SIDE), ("case_queue_susp_idx", stages.SUSPENDED))
            ),
            CoveringIndex(fields=["competent_authority", "allocated_to", "rg_target_date", "id"],
                          name="case_queue_alloc_idx", condition=models.Q(state__in=stages.state_values(stages.OPEN)),
                          include=_QUEUE_COVERING),
            models.Index(fields=["first_responder_organisation", "-received_on", "-id"], name="case_fr_org_idx"),
            models.Index(fields=["state", "rg_date"], name="case_state_rg_date_idx"),
            # Dashboard timeliness: decisions served by month.
            models.Index(fields=["competent_authority", "rg_date"], name="case_ca_rg_date_idx"),
            models.Index(fields=["competent_authority", "cg_date"], name="case_ca_cg_date_idx"),
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
    rationale = SealedField(key_from="case.referral")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField()
    status = models.CharField(max_length=14, choices=DecisionStatus.choices)
    served_on = models.DateField(null=True, blank=True)
    policy = models.JSONField(default=dict, help_text="The policy values in force on the decision date")
    # Second-line or independent review of a negative decision before it is served.
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_on = models.DateField(null=True, blank=True)
    review_rationale = SealedField(blank=True, key_from="case.referral")

    class Meta:
        ordering = ["decided_on", "created_at"]
        indexes = [
            models.Index(fields=["case", "stage", "decided_on"]),
            models.Index(fields=["stage", "decided_on"], name="decision_stage_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.stage} ({self.get_status_display()})"


class InformationRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed without an answer"


class InformationRequest(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="information_requests")
    addressed_to = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = SealedField(key_from="case.referral")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=InformationRequestStatus.choices,
                              default=InformationRequestStatus.OPEN)
    answer = SealedField(blank=True, key_from="case.referral")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_reason = SealedField(blank=True, key_from="case.referral")

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["addressed_to", "status"])]


class CaseNote(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = SealedField(key_from="case.referral")

    class Meta:
        ordering = ["created_at"]


class ReconsiderationRequest(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reconsideration_requests")
    stage = models.CharField(max_length=2, choices=Stage.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by_organisation = models.ForeignKey("reference.Organisation", null=True, blank=True,
                                                  on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey("cases.Decision", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reconsideration_requests")
    grounds = SealedField(key_from="case.referral")

    class Meta:
        ordering = ["created_at"]


class DecisionLetter(BaseModel):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="letters")
    recipient_organisation = models.ForeignKey("reference.Organisation", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")
    recipient_name = SealedField(key_from="decision.case.referral")
    recipient_email = models.EmailField(blank=True)
    html = SealedField(key_from="decision.case.referral")
    pdf = models.BinaryField()  # sealed: write with store_pdf, read with pdf_content

    class Meta:
        ordering = ["created_at"]

    def store_pdf(self, content: bytes) -> None:
        self.pdf = seal_bytes(self, key_from="decision.case.referral", purpose="pdf", content=content)

    def pdf_content(self) -> bytes | None:
        """The letter's PDF, or None once the case's referral was erased."""
        return open_bytes(self, key_from="decision.case.referral", purpose="pdf", stored=bytes(self.pdf))


class StatusChange(BaseModel):
    """Every change of a case's state, with the reason given. Written only by the services."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    event = models.CharField(max_length=32)
    from_state = models.CharField(max_length=24, choices=STATE_CHOICES)
    to_state = models.CharField(max_length=24, choices=STATE_CHOICES)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = SealedField(blank=True, key_from="case.referral")
    ground = models.CharField(max_length=32, blank=True, help_text="For a disqualification: the ground relied on")
    occurred_on = models.DateField()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} ({self.event})"


class DisqualificationGround(models.TextChoices):
    PUBLIC_ORDER = "public_order", "Threat to public order (Nationality and Borders Act 2022, section 63)"
    BAD_FAITH = "bad_faith", "Claim to be a victim made in bad faith (Nationality and Borders Act 2022, section 63)"


class DisqualificationRequestStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for a decision"
    DISQUALIFIED = "disqualified", "Disqualified"
    NOT_DISQUALIFIED = "not_disqualified", "Not disqualified"


class DisqualificationRequest(BaseModel):
    """A request to disqualify the person on public order or bad faith grounds (Nationality and
    Borders Act 2022, s.63), and the competent authority's decision on it. The status changes only
    through ``nrm/cases/disqualification.py``."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disqualification_requests")
    ground = models.CharField(max_length=16, choices=DisqualificationGround.choices)
    grounds = models.TextField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_on = models.DateField()
    status = models.CharField(max_length=16, choices=DisqualificationRequestStatus.choices,
                              default=DisqualificationRequestStatus.REQUESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="requested"),
                                    name="one_open_disqualification_request_per_case"),
        ]
