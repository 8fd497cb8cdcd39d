"""Reference data: organisations, police forces, local authorities, countries, exploitation
types and decision reasons. Each row is dated; rows are end-dated, never rewritten."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from nrm.core.models import EffectiveDated


class InForceQuerySet[M: models.Model](QuerySet[M]):
    def in_force(self, on: date) -> InForceQuerySet[M]:
        return self.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on), effective_from__lte=on)


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    UK = "uk", "United Kingdom"


class PoliceForce(EffectiveDated):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    region = models.CharField(max_length=60)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LocalAuthority(EffectiveDated):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    police_force = models.ForeignKey(PoliceForce, on_delete=models.PROTECT, related_name="local_authorities")
    upper_tier_code = models.CharField(max_length=16)
    upper_tier_name = models.CharField(max_length=120)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return self.name


class Country(EffectiveDated):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    demonym = models.CharField(max_length=120)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name


class ExploitationType(EffectiveDated):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    reported_as = models.CharField(max_length=80)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from", "code"]

    def __str__(self) -> str:
        return self.name


class OrganisationType(models.TextChoices):
    GOVERNMENT = "Government agency", "Government agency"
    POLICE = "Police", "Police"
    LOCAL_AUTHORITY = "Local authority", "Local authority"
    NGO = "NGO and third sector", "NGO and third sector"
    HEALTH = "Health and social care", "Health and social care"
    COMPETENT_AUTHORITY = "Competent authority", "Competent authority"
    ASSURANCE_PANEL = "Assurance panel", "Assurance panel"
    DECISION_PANEL = "Decision panel", "Decision panel"
    SUPPORT_PROVIDER = "Support provider", "Support provider"
    SERVICE_TEAM = "Service team", "Service team"
    OTHER = "Other", "Other"


class Organisation(EffectiveDated):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=120)
    organisation_type = models.CharField(max_length=40, choices=OrganisationType.choices)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    is_first_responder = models.BooleanField(default=False)
    roles = models.CharField(max_length=400, help_text="Roles its members may hold, ';'-separated")
    inbox_email = models.EmailField(blank=True)
    # A data-sharing agreement lets it receive identifiable case data (HTCDS exports, docs/htcds.md);
    # without one, exports to it are pseudonymised.
    identifiable_data_sharing = models.BooleanField(default=False)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def role_names(self) -> list[str]:
        return [r for r in self.roles.split(";") if r]


class OrganisationDesignation(EffectiveDated):
    """An administrator's decision about an organisation, from a date: whether it is a first
    responder and the roles its members may hold. The organisation's row carries the decision in
    force (every reader uses it); these rows are its history, end-dated and never rewritten, and
    the data file's loader keeps the one in force over the file's values on every later load
    (``nrm.reference.loader``), so an administrator's change is not lost."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="designations")
    is_first_responder = models.BooleanField()
    roles = models.CharField(max_length=400, help_text="Roles its members may hold, ';'-separated")
    # The administrator's account id (reference data sits below accounts, so no foreign key); the
    # audit log records the same decision with its before and after.
    decided_by = models.UUIDField(null=True, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "decided_at", "pk"]
        indexes = [models.Index(fields=["organisation", "effective_to"], name="reference_designation_current")]

    def __str__(self) -> str:
        return f"{self.organisation} from {self.effective_from}"

    @property
    def role_names(self) -> list[str]:
        return [r for r in self.roles.split(";") if r]


class NegativeDecisionReason(EffectiveDated):
    code = models.CharField(max_length=64)
    stage = models.CharField(max_length=2, choices=[("RG", "Reasonable grounds"), ("CG", "Conclusive grounds")])
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    objects = InForceQuerySet.as_manager()

    class Meta:
        ordering = ["stage", "code"]
        constraints = [models.UniqueConstraint(fields=["stage", "code"], name="unique_reason_per_stage")]

    def __str__(self) -> str:
        return self.label
