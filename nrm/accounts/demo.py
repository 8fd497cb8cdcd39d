"""Demo users: one per role, with fixed passwords and authenticator keys, for `nrm demo`.

Never used in production: the demo command refuses to run there.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.models import User
from nrm.accounts.roles import ROLE_DEFINITIONS, Role
from nrm.accounts.services import membership_grant
from nrm.reference.models import Organisation

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - demo only; `nrm demo` refuses to run in production


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    full_name: str
    organisation_slug: str
    totp_key_hex: str | None

    @property
    def totp_secret(self) -> str | None:
        if not self.totp_key_hex:
            return None
        return base64.b32encode(bytes.fromhex(self.totp_key_hex)).decode()

    def current_code(self) -> str | None:
        if not self.totp_key_hex:
            return None
        return f"{totp(bytes.fromhex(self.totp_key_hex)):06d}"


def _key(n: int) -> str:
    return f"{n:02x}" * 20


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(Role.FIRST_RESPONDER, "first.responder@police.demo.open-nrm.uk", "Priya Shah (Metropolitan Police)",
              "police-e23000001", None),
    DemoLogin(Role.FIRST_RESPONDER, "first.responder@ngo.demo.open-nrm.uk", "Sam Okafor (The Salvation Army)",
              "salvation-army", None),
    DemoLogin(Role.CONTRIBUTOR, "contributor@school.demo.open-nrm.uk", "Alex Morgan (teacher)",
              "independent-professionals", None),
    DemoLogin(Role.CONCERNED_PROFESSIONAL, "concerned@health.demo.open-nrm.uk", "Jo Evans (health visitor)",
              "independent-professionals", None),
    DemoLogin(Role.CASEWORKER, "caseworker@sca.demo.open-nrm.uk", "Chris Taylor (SCA)", "sca", _key(1)),
    DemoLogin(Role.CASEWORKER, "caseworker@ieca.demo.open-nrm.uk", "Dana Lee (IECA)", "ieca", _key(2)),
    DemoLogin(Role.SENIOR_DECISION_MAKER, "senior@sca.demo.open-nrm.uk", "Morgan Price (SCA senior)", "sca", _key(3)),
    DemoLogin(Role.SENIOR_DECISION_MAKER, "senior@ieca.demo.open-nrm.uk", "Robin Hart (IECA senior)", "ieca", _key(4)),
    DemoLogin(Role.CASEWORKER, "caseworker@child-panel.demo.open-nrm.uk",
              "Jo Okafor (Camden and Islington children's decision panel)", "child-panel-camden-islington", _key(9)),
    DemoLogin(Role.PANEL_CHAIR, "chair@panel.demo.open-nrm.uk", "Pat Quinn (panel chair)", "maap", _key(5)),
    DemoLogin(Role.PANEL_MEMBER, "member@panel.demo.open-nrm.uk", "Kim Walsh (panel member)", "maap", _key(6)),
    DemoLogin(Role.SUPPORT_PROVIDER, "support@vcc.demo.open-nrm.uk", "Lee Carter (victim care contract)",
              "vcc-salvation-army", None),
    DemoLogin(Role.PARTNER_RECIPIENT, "crime.unit@police.demo.open-nrm.uk", "Metropolitan Police crime unit",
              "police-e23000001", None),
    DemoLogin(Role.CHILDRENS_SERVICES, "childrens.services@la.demo.open-nrm.uk", "Camden children's social care",
              "la-e09000007", None),
    DemoLogin(Role.ANALYST, "analyst@homeoffice.demo.open-nrm.uk", "Sasha Bell (statistician)", "ho-analysis", _key(7)),
    DemoLogin(Role.ADMINISTRATOR, "admin@service.demo.open-nrm.uk", "Ari Novak (service team)", "service-team", _key(8)),
)


def demo_users_create() -> list[DemoLogin]:
    """Create (or refresh) the demo users; idempotent."""
    with transaction.atomic():
        for login in DEMO_LOGINS:
            user = User.objects.filter(email=login.email).first()
            if user is None:
                user = User.objects.create_user(login.email, DEMO_PASSWORD, full_name=login.full_name)
            organisation = Organisation.objects.get(slug=login.organisation_slug)
            membership_grant(user=user, organisation=organisation, role=login.role)
            if login.totp_key_hex:
                TOTPDevice.objects.update_or_create(
                    user=user, name="Demo authenticator",
                    defaults={"key": login.totp_key_hex, "confirmed": True},
                )
    return list(DEMO_LOGINS)


def demo_logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD})", ""]
    for login in DEMO_LOGINS:
        line = f"  {ROLE_DEFINITIONS[login.role].label:<28} {login.email}"
        if login.totp_secret:
            line += f"   authenticator key {login.totp_secret}  (code now: {login.current_code()}; `nrm otp {login.email}`)"
        lines.append(line)
    return "\n".join(lines)
