"""Services that change accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import AccountLink, IdentityProviderDevice, LinkPurpose, Membership, RoleRecord, User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError


def roles_sync() -> list[str]:
    """Write the roles defined in code to the database; returns the names created or changed."""
    changed: list[str] = []
    with transaction.atomic():
        for role, definition in ROLE_DEFINITIONS.items():
            values = {
                "label": definition.label,
                "description": definition.description,
                "requires_second_factor": definition.requires_second_factor,
            }
            record, created = RoleRecord.objects.get_or_create(name=str(role), defaults=values)
            if not created and any(getattr(record, k) != v for k, v in values.items()):
                for key, val in values.items():
                    setattr(record, key, val)
                record.save()
                changed.append(str(role))
            elif created:
                changed.append(str(role))
        RoleRecord.objects.exclude(name__in=[str(r) for r in ROLE_DEFINITIONS]).filter(
            memberships__isnull=True
        ).delete()
    return changed


def membership_grant(*, user: User, organisation: object, role: Role, granted_by: User | None = None) -> Membership:
    """Give ``user`` a role at ``organisation``, if that organisation's members may hold it."""
    from nrm.reference.models import Organisation

    assert isinstance(organisation, Organisation)
    if str(role) not in organisation.role_names:
        raise ServiceError(f"Members of {organisation.name} cannot hold the role '{ROLE_DEFINITIONS[role].label}'.")
    with transaction.atomic():
        record = RoleRecord.objects.get(name=str(role))
        today = timezone.localdate()
        # A role held now (or ending later) is kept open; an ended one is given again as a new
        # membership from today, so the earlier one stays in the history.
        membership = Membership.objects.filter(user=user, organisation=organisation, role=record).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=today)).order_by("starts_on").first()
        if membership is None:
            membership = Membership.objects.create(user=user, organisation=organisation, role=record,
                                                   starts_on=today)
        elif membership.ends_on is not None:
            membership.ends_on = None
            membership.save(update_fields=["ends_on"])
        audit_record(actor=granted_by, action="membership.granted", target=membership,
                     after={"user": str(user.pk), "organisation": organisation.slug, "role": str(role)})
    return membership


def single_sign_on_account(*, email: str, full_name: str, organisation_slug: str, roles: frozenset[Role],
                           managed_roles: frozenset[Role], provider: str) -> User:
    """Create or update the account a single sign-on admits (ADR 0025), with the memberships its
    identity provider gives at the provider's organisation: each role in ``roles`` is granted (or
    granted again), and each role of ``managed_roles`` it no longer gives ends today. Roles the
    sign-on table cannot give, and other organisations' memberships, are left as they are. An account
    created here has no usable password. Raises ServiceError, and changes nothing, if refused."""
    from nrm.reference.models import Organisation

    organisation = Organisation.objects.filter(slug=organisation_slug).first()
    if organisation is None:
        raise ServiceError("Your organisation is not set up for single sign-on")
    today = timezone.localdate()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=full_name.strip()[:200] or email)
            audit_record(actor=None, action="user.created_by_single_sign_on", target=user, after={"provider": provider})
        elif not user.is_active:
            raise ServiceError("This account has been closed. Contact your organisation's administrator")
        # A role given again after it ended is a new membership (membership_grant), so the latest
        # membership of each role is the one that counts.
        held = {m.role.name: m for m in Membership.objects.select_related("role").filter(
            user=user, organisation=organisation).order_by("starts_on", "pk")}
        for role in sorted(roles):
            membership = held.get(str(role))
            if membership is None or (membership.ends_on is not None and membership.ends_on <= today):
                membership_grant(user=user, organisation=organisation, role=role)
        for role in sorted(managed_roles - roles):
            membership = held.get(str(role))
            if membership is not None and (membership.ends_on is None or membership.ends_on > today):
                membership_end(membership=membership, ended_by=None)
    return user


def identity_provider_device(*, user: User) -> IdentityProviderDevice:
    """The device that stands for the identity provider's multi-factor check (one per account)."""
    device: IdentityProviderDevice = IdentityProviderDevice.objects.get_or_create(
        user=user, defaults={"name": "Organisation sign-in", "confirmed": True})[0]
    return device


def membership_end(*, membership: Membership, ended_by: User | None) -> Membership:
    """End a membership today (kept, never deleted: who held which role when stays known)."""
    today = timezone.localdate()
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("organisation", "role").get(
            pk=membership.pk)
        if membership.ends_on is not None and membership.ends_on <= today:
            return membership
        before = {"ends_on": membership.ends_on}
        membership.ends_on = max(today, membership.starts_on)
        membership.save(update_fields=["ends_on"])
        audit_record(actor=ended_by, action="membership.ended", target=membership, before=before,
                     after={"user": str(membership.user_id), "organisation": membership.organisation.slug,
                            "role": membership.role.name, "ends_on": membership.ends_on})
    return membership


# --- Emailed single-use links -------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _link_create(*, user: User, purpose: LinkPurpose, **offer: Any) -> str:
    """Make a new link (any unused one of the same purpose stops working: for an invitation to
    join, ``offer``, the same organisation's); returns its token."""
    now = timezone.now()
    superseded = {"organisation": offer["organisation"]} if offer else {}
    AccountLink.objects.filter(user=user, purpose=purpose, used_at__isnull=True, **superseded).update(used_at=now)
    token = secrets.token_urlsafe(32)
    hours = settings.NRM_LINK_LIFETIMES_HOURS[str(purpose)]
    AccountLink.objects.create(user=user, purpose=purpose, token_hash=_token_hash(token),
                               created_at=now, expires_at=now + timedelta(hours=hours), **offer)
    return token


def _email_on_commit(*, to: str, subject: str, body: str) -> None:
    """Send straight away after commit: these emails carry a secret link, which is never stored."""
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    transaction.on_commit(lambda: message.send(fail_silently=False))


LINK_PATHS = {
    LinkPurpose.INVITATION: "accounts:set_password",
    LinkPurpose.PASSWORD_RESET: "accounts:reset_password",
    LinkPurpose.AUTHENTICATOR: "accounts:set_up_second_factor_link",
    LinkPurpose.JOIN: "accounts:join",
}
LINK_EMAILS = {
    LinkPurpose.INVITATION: ("You have been invited to Open NRM",
                             "Use this link to set your password. It works once, for {hours} hours:\n\n{url}"),
    LinkPurpose.PASSWORD_RESET: ("Reset your Open NRM password",
                                 "Use this link to choose a new password. It works once, for {hours} hour:\n\n{url}\n\n"
                                 "If you did not ask to reset your password, you can ignore this email."),
    LinkPurpose.AUTHENTICATOR: ("Set up your authenticator app for Open NRM",
                                "Use this link to set up your authenticator app. It works once, for {hours} hours, "
                                "and you will need your password:\n\n{url}\n\n"
                                "If you did not just try to sign in, tell your service team."),
    LinkPurpose.JOIN: ("You have been invited to join {organisation} on Open NRM",
                       "You have been invited to work for {organisation} as {role} on Open NRM, with the account "
                       "you already have. Sign in and use this link to accept or decline. It works once, for "
                       "{hours} hours:\n\n{url}\n\nNothing changes until you accept. If you did not expect this, "
                       "decline and tell your service team."),
}


def link_send(*, user: User, purpose: LinkPurpose, base_url: str, actor: User | None = None, **offer: Any) -> None:
    """Email ``user`` a single-use link for ``purpose``, to their own address only. An invitation to
    join names the organisation and role it offers in ``offer`` (``organisation``, ``role``)."""
    with transaction.atomic():
        token = _link_create(user=user, purpose=purpose, **offer)
        subject, template = LINK_EMAILS[purpose]
        url = base_url.rstrip("/") + reverse(LINK_PATHS[purpose], kwargs={"token": token})
        hours = settings.NRM_LINK_LIFETIMES_HOURS[str(purpose)]
        names = {"organisation": offer["organisation"].name, "role": offer["role"].label} if offer else {}
        _email_on_commit(to=user.email, subject=subject.format(**names),
                         body=template.format(url=url, hours=hours, **names))
        audit_record(actor=actor, action="user.link_sent", target=user, after={"purpose": str(purpose), **(
            {"organisation": offer["organisation"].slug, "role": offer["role"].name} if offer else {})})


def link_find(*, token: str, purpose: LinkPurpose) -> AccountLink | None:
    """The usable link for ``token``, or None if it is unknown, used, superseded or expired."""
    link = AccountLink.objects.select_related("user").filter(token_hash=_token_hash(token), purpose=purpose).first()
    if link is None or not link.is_usable() or not link.user.is_active:
        return None
    return link


def _link_use(link: AccountLink) -> None:
    """Mark the link used; fails if another request used it first."""
    if AccountLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
        raise ServiceError("This link has already been used.")


def authenticator_link_due(*, user: User) -> bool:
    """True when the user has no unexpired authenticator link waiting (so a new one may be sent)."""
    return not AccountLink.objects.filter(user=user, purpose=LinkPurpose.AUTHENTICATOR, used_at__isnull=True,
                                          expires_at__gt=timezone.now()).exists()


# --- Invitations to join another organisation ---------------------------------------------------

def membership_offer(*, user: User, organisation: object, role: Role, offered_by: User | None, base_url: str) -> None:
    """Invite an existing, active account to hold ``role`` at ``organisation`` too: its holder gets a
    single-use link to accept or decline, signed in as themself. Nothing changes until they accept,
    so no administrator can put someone into their organisation, or gain a say over their account,
    without them. A newer invitation from the same organisation replaces an unused one."""
    from nrm.reference.models import Organisation

    assert isinstance(organisation, Organisation)
    if not user.is_active:
        raise ServiceError("This account has been deactivated. Ask the service team to reactivate it.", field="email")
    if str(role) not in organisation.role_names:
        raise ServiceError(f"Members of {organisation.name} cannot hold the role '{ROLE_DEFINITIONS[role].label}'.",
                           field="role")
    if user.active_memberships().filter(organisation=organisation, role__name=str(role)).exists():
        raise ServiceError(f"This person already holds the role {ROLE_DEFINITIONS[role].label} at {organisation.name}",
                           field="email")
    link_send(user=user, purpose=LinkPurpose.JOIN, base_url=base_url, actor=offered_by, organisation=organisation,
              role=RoleRecord.objects.get(name=str(role)), offered_by=offered_by)


def membership_offer_answer(*, link: AccountLink, user: User, accept: bool) -> Membership | None:
    """Accept (the role starts today) or decline an invitation to join, once, as the account it was
    sent to. Returns the membership when accepted."""
    if link.purpose != LinkPurpose.JOIN or link.user_id != user.pk:
        raise ServiceError("This link is for someone else. Sign out, then open the link again.")
    assert link.organisation is not None
    assert link.role is not None
    if accept and link.role.name not in link.organisation.role_names:
        raise ServiceError(f"Members of {link.organisation.name} can no longer hold the role {link.role.label}. "
                           "Ask its administrator to invite you again.", field="answer")
    with transaction.atomic():
        _link_use(link)
        answer = {"organisation": link.organisation.slug, "role": link.role.name}
        if not accept:
            audit_record(actor=user, action="membership.declined", target=user, after=answer)
            return None
        membership = membership_grant(user=user, organisation=link.organisation, role=Role(link.role.name),
                                      granted_by=link.offered_by)
        audit_record(actor=user, action="membership.accepted", target=membership, after=answer)
    return membership


# --- Passwords ----------------------------------------------------------------------------------

def password_set(*, user: User, password: str, actor: User | None, action: str = "user.password_set") -> None:
    """Set ``user``'s password after the password policy accepts it (raises ValidationError)."""
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action=action, target=user)


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise ServiceError("Your current password is not right", field="current_password")
    password_set(user=user, password=new_password, actor=user, action="user.password_changed")
    _email_on_commit(to=user.email, subject="Your Open NRM password was changed",
                     body="Your password was changed. If you did not do this, tell your service team now.")


def password_set_from_link(*, link: AccountLink, password: str) -> User:
    """Use an invitation or reset link to set a password; the link works once."""
    with transaction.atomic():
        _link_use(link)
        action = "user.password_reset" if link.purpose == LinkPurpose.PASSWORD_RESET else "user.password_set"
        password_set(user=link.user, password=password, actor=link.user, action=action)
    return link.user


def password_reset_request(*, email: str, base_url: str) -> None:
    """Email a reset link if an active account has this address; say nothing either way."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is not None:
        link_send(user=user, purpose=LinkPurpose.PASSWORD_RESET, base_url=base_url)


# --- Invitations, second factors and lockouts ---------------------------------------------------

def user_invite(*, email: str, full_name: str, organisation: object, role: Role, invited_by: User | None,
                base_url: str) -> User:
    """Create an account with no usable password and email its holder a link to set one."""
    with transaction.atomic():
        user = User.objects.create_user(email, None, full_name=full_name)
        membership_grant(user=user, organisation=organisation, role=role, granted_by=invited_by)
        audit_record(actor=invited_by, action="user.invited", target=user)
        link_send(user=user, purpose=LinkPurpose.INVITATION, base_url=base_url, actor=invited_by)
    return user


def authenticator_enrol(*, link: AccountLink, user: User, device: TOTPDevice, code: str) -> bool:
    """Confirm ``device`` for ``user`` with a code from it, using the emailed link once."""
    if link.user_id != user.pk or device.user_id != user.pk:
        raise ServiceError("This link is for someone else. Sign out, then open the link again.")
    if not device.verify_token(code):
        return False
    with transaction.atomic():
        _link_use(link)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="user.second_factor_enrolled", target=user)
    return True


def authenticator_reset(*, user: User, actor: User | None, base_url: str) -> None:
    """An administrator removes a user's authenticator and emails them a link to set up a new one."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        audit_record(actor=actor, action="user.second_factor_reset", target=user, after={"devices_removed": removed})
        link_send(user=user, purpose=LinkPurpose.AUTHENTICATOR, base_url=base_url, actor=actor)


def _sessions_end(user: User) -> int:
    """Delete every stored session signed in as ``user`` (sessions are kept in the database)."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def account_deactivate(*, user: User, actor: User | None, organisation: Any = None) -> bool:
    """A leaver: the account can no longer sign in, every role is ended today, every session is
    ended and every emailed link that has not been used stops working. The one writer for the
    administration pages (which check who may, first) and the ``nrm account`` command. Returns
    False if the account was already deactivated."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return False
        today = timezone.localdate()
        ended = list(Membership.objects.filter(user=user).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))
                     .select_related("organisation", "role"))
        for membership in ended:
            membership_end(membership=membership, ended_by=actor)
        links = AccountLink.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
        user.is_active = False
        user.save(update_fields=["is_active"])
        sessions = _sessions_end(user)
        audit_record(actor=actor, action="user.deactivated", target=user, before={"is_active": True},
                     after={"is_active": False, **({"organisation": organisation.slug} if organisation else {}),
                            "memberships_ended": [f"{m.organisation.slug}:{m.role.name}" for m in ended],
                            "links_revoked": links, "sessions_ended": sessions})
    return True


def account_reactivate(*, user: User, actor: User | None, organisation: Any = None) -> bool:
    """Let a deactivated account sign in again; it holds no role until one is given. Returns False if
    it was not deactivated."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            return False
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.reactivated", target=user, before={"is_active": False},
                     after={"is_active": True, **({"organisation": organisation.slug} if organisation else {})})
    return True


def account_unlock(*, user: User, actor: User | None) -> int:
    """Clear an account's failed sign-ins (passwords and codes); returns how many were cleared."""
    from axes.handlers.proxy import AxesProxyHandler

    with transaction.atomic():
        cleared = AxesProxyHandler.reset_attempts(username=user.email)
        audit_record(actor=actor, action="user.unlocked", target=user, after={"failures_cleared": cleared})
    return int(cleared)
