"""Users, organisations' memberships and roles. A custom user model from day one."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.password_validation import validate_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_otp.models import Device

from nrm.accounts.roles import SECOND_FACTOR_ROLES, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password is not None:
            validate_password(password, user)  # the password policy holds wherever a password is set
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    # Role helpers read the user's current memberships; access rules live in selectors.
    def active_memberships(self, on: date | None = None) -> models.QuerySet[Membership]:
        day = on or timezone.localdate()
        return self.memberships.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=day), starts_on__lte=day
        ).select_related("organisation", "role")

    def role_names(self) -> set[str]:
        cache = getattr(self, "_role_names", None)
        if cache is None:
            cache = {m.role.name for m in self.active_memberships()}
            self._role_names = cache
        return cache

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_names() & {str(r) for r in roles})

    def organisations_for(self, *roles: Role) -> list[Any]:
        wanted = {str(r) for r in roles}
        return [m.organisation for m in self.active_memberships() if m.role.name in wanted]

    @property
    def requires_second_factor(self) -> bool:
        return self.is_superuser or bool(self.role_names() & {str(r) for r in SECOND_FACTOR_ROLES})

    @property
    def is_competent_authority_staff(self) -> bool:
        from nrm.accounts.capabilities import Capability, may

        return may(self, Capability.WORK_CASES)


class RoleRecord(models.Model):
    """The database copy of a role defined in ``nrm.accounts.roles`` (synced, not edited)."""

    name = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    description = models.TextField()
    requires_second_factor = models.BooleanField()

    class Meta:
        db_table = "accounts_role"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey("reference.Organisation", on_delete=models.PROTECT, related_name="memberships")
    role = models.ForeignKey(RoleRecord, on_delete=models.PROTECT, related_name="memberships")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        # A role is ended (``ends_on``), never deleted, and may be given again later: a new row,
        # so the history stays. At most one open-ended membership per user, organisation and role.
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], condition=Q(ends_on__isnull=True),
                                    name="unique_open_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} at {self.organisation}"


class LinkPurpose(models.TextChoices):
    INVITATION = "invitation", "Set your password (invitation)"
    PASSWORD_RESET = "password_reset", "Reset your password"
    AUTHENTICATOR = "authenticator", "Set up your authenticator app"
    JOIN = "join", "Join an organisation"


class AccountLink(models.Model):
    """A single-use, time-limited link emailed to a user. Only a hash of its token is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links")
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # An invitation to join (``LinkPurpose.JOIN``) offers an existing account a role in another
    # organisation; the role starts only when the account's holder accepts it, signed in.
    organisation = models.ForeignKey("reference.Organisation", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+")
    role = models.ForeignKey(RoleRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    offered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="accounts_link_user_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose="join", organisation__isnull=False, role__isnull=False)
                | (~Q(purpose="join") & Q(organisation__isnull=True, role__isnull=True)),
                name="accounts_link_join_names_a_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.user}"

    def is_usable(self, now: Any = None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())


class RateEvent(models.Model):
    """One counted event (a failed sign-in, a form sent) for throttling by a keyed hash of an address."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="accounts_rate_scope_key_at")]

    def __str__(self) -> str:
        return f"{self.scope} {self.at:%Y-%m-%d %H:%M}"


class IdentityProviderDevice(Device):  # type: ignore[misc]
    """The second factor of a single sign-on whose identity provider asserted multi-factor
    authentication (ADR 0025). It has no codes of its own: it only marks such a session as
    verified for django-otp; a sign-in without that assertion goes through the TOTP step."""

    class Meta:
        verbose_name = "identity provider's multi-factor check"

    def verify_token(self, token: Any) -> bool:
        return False
