"""Signing in with a password and, for roles that need one, a second factor (TOTP); setting,
changing and resetting passwords; signing out."""

from __future__ import annotations

import base64
import io
from typing import Any

import jwt
import qrcode
import qrcode.image.svg
import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts import services, single_sign_on, throttle
from nrm.accounts.forms import ChangePasswordForm, CodeForm, ForgottenPasswordForm, NewPasswordForm, SignInForm
from nrm.accounts.models import AccountLink, LinkPurpose
from nrm.accounts.sign_in_claims import SignIn, SignInRefused
from nrm.audit.services import audit_record
from nrm.core.errors import ServiceError
from nrm.core.forms import error_list

ENROLMENT_PATH = "/sign-in/set-up-authenticator/"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return "/"


def _password_min_length() -> int:
    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return validator.min_length
    return 0


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _complete_sign_in(request: HttpRequest, user: Any) -> None:
    """Every factor given: clear the account's failed attempts."""
    AxesProxyHandler.reset_attempts(username=user.email)


def _count_failure(request: HttpRequest, user: Any) -> bool:
    """Count a wrong code against the account, as a wrong password is; True if now locked."""
    credentials = {"email": user.email}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return bool(AxesProxyHandler.is_locked(request, credentials))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and throttle.is_limited(limit=throttle.sign_in_failures(), request=request):
        return _throttled(request)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, email=form.cleaned_data["email"].lower(), password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is None:
            throttle.record(limit=throttle.sign_in_failures(), request=request)
            form.add_error("__all__", "Enter a correct email address and password")
        else:
            return _password_accepted(request, user)
    return render(request, "accounts/sign_in.html", {
        "title": "Sign in", "form": form, "errors": error_list(form, first_field="email"), "next": request.GET.get("next", ""),
        "single_sign_on": single_sign_on.configured(),
    }, status=400 if form.errors else 200)


def _password_accepted(request: HttpRequest, user: Any) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # a new session key
    audit_record(actor=user, action="user.signed_in", target=user)
    next_url = _next_url(request)
    if not user.requires_second_factor:
        _complete_sign_in(request, user)
        return redirect(next_url)
    if next_url.startswith(ENROLMENT_PATH):
        return redirect(next_url)
    request.session["after_second_factor"] = next_url
    return redirect("accounts:second_factor")


# --- Single sign-on (ADR 0025) -------------------------------------------------------------------

SSO_NOT_CHECKED = ("Your organisation's sign-in could not be checked. Start again, or sign in with your "
                   "email address and password")


def _single_sign_on_refused(request: HttpRequest, reason: str, *, status: int = 403,
                            audited: str | None = None) -> HttpResponse:
    """A clear page, never a 500; the refusal is audited with its reason and the issuer only."""
    issuer = settings.NRM_OIDC_ISSUER
    audit_record(actor=None, action="user.single_sign_on_refused", target=single_sign_on.IdentityProvider(issuer),
                 after={"reason": audited or reason})
    if status != 503:  # the provider being down is not the visitor's failure
        throttle.record(limit=throttle.sign_in_failures(), request=request)
    return render(request, "accounts/single_sign_on_refused.html", {
        "title": "You cannot sign in with your organisation's account", "reason": reason,
    }, status=status)


def _throttled(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/throttled.html", {"title": "Too many attempts"}, status=429)


@require_GET
def single_sign_on_start(request: HttpRequest) -> HttpResponse:
    if not single_sign_on.configured():
        return redirect("accounts:login")  # not offered here: local accounts only
    if throttle.is_limited(limit=throttle.sign_in_failures(), request=request):
        return _throttled(request)  # the same count of failures from one address as the password sign-in
    try:
        view = single_sign_on.SignInRequestView()
        view.setup(request)
        response: HttpResponse = view.get(request)
        return response
    except single_sign_on.ProviderUnavailable as exc:
        return _single_sign_on_refused(request, "Your organisation's sign-in is not available at the moment. "
                                                "Try again later, or sign in with your email address and password",
                                       status=503, audited=str(exc))


@require_GET
def single_sign_on_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: the state is used once, whatever happens."""
    if not single_sign_on.configured():
        return redirect("accounts:login")  # not offered here: local accounts only
    if throttle.is_limited(limit=throttle.sign_in_failures(), request=request):
        return _throttled(request)
    states = request.session.get("oidc_states") or {}
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    flow = states.pop(state, None) if state else None
    request.session["oidc_states"] = states
    if request.GET.get("error"):
        return _single_sign_on_refused(request, "You did not finish signing in with your organisation's account",
                                       status=400, audited="provider_error")
    if flow is None or not code:
        return _single_sign_on_refused(request, "This sign-in has expired or was already used. Start again",
                                       status=400, audited="state_unknown")
    backend = single_sign_on.OrganisationSignInBackend()
    try:
        user = backend.authenticate(request, nonce=flow.get("nonce"), code_verifier=flow.get("code_verifier"))
    except single_sign_on.AccountLocked as exc:
        # Locked by failed passwords or codes: the provider's word does not unlock it (an administrator does).
        audit_record(actor=None, action="user.single_sign_on_refused",
                     target=exc.account or single_sign_on.IdentityProvider(settings.NRM_OIDC_ISSUER),
                     after={"reason": "account_locked"})
        return locked_out(request)
    except (SignInRefused, ServiceError) as exc:
        return _single_sign_on_refused(request, str(exc))
    except (SuspiciousOperation, single_sign_on.ProviderUnavailable, requests.RequestException, jwt.PyJWTError,
            KeyError, ValueError, TypeError) as exc:
        return _single_sign_on_refused(request, SSO_NOT_CHECKED, audited=f"{type(exc).__name__}: {exc}"[:300])
    if user is None or backend.decision is None or not user.is_active:
        return _single_sign_on_refused(request, SSO_NOT_CHECKED, audited="not_authenticated")
    return _single_sign_on_accepted(request, user, backend.decision, backend.id_token)


SSO_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key, not a secret): for the sign-out at the provider


def _single_sign_on_accepted(request: HttpRequest, user: Any, decision: SignIn, id_token: str) -> HttpResponse:
    next_url = request.session.pop("oidc_login_next", None) or "/"
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # a new session key
    request.session[SSO_ID_TOKEN] = id_token
    audit_record(actor=user, action="user.signed_in", target=user, after={
        "method": "single_sign_on", "provider": settings.NRM_OIDC_ISSUER, "organisation": decision.organisation,
        "roles": sorted(str(r) for r in decision.roles), "second_factor_asserted": decision.second_factor_done})
    user = type(user).objects.get(pk=user.pk)  # the memberships just changed
    if not user.requires_second_factor:
        _complete_sign_in(request, user)
        return redirect(next_url)
    if decision.second_factor_done:
        device = services.identity_provider_device(user=user)
        otp_login(request, device)
        _complete_sign_in(request, user)
        audit_record(actor=user, action="user.second_factor_verified", target=user,
                     after={"by": "identity_provider"})
        return redirect(next_url)
    request.session["after_second_factor"] = next_url
    return redirect("accounts:second_factor")


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "accounts/locked_out.html", {"title": "Your account is locked"}, status=429)


def _confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _second_factor_given(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    otp_login(request, device)
    request.session.cycle_key()  # a new session key once the second factor is given
    _complete_sign_in(request, request.user)
    audit_record(actor=request.user, action="user.second_factor_verified", target=request.user)
    return redirect(request.session.pop("after_second_factor", "/"))


def _wrong_code(request: HttpRequest, form: CodeForm, message: str) -> HttpResponse | None:
    user = request.user
    if _count_failure(request, user):
        logout(request)
        return locked_out(request)
    form.add_error("code", message)
    return None


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    device = _confirmed_device(request.user)
    if device is None:
        return redirect("accounts:set_up_second_factor")
    if AxesProxyHandler.is_locked(request, {"email": request.user.email}):
        logout(request)
        return locked_out(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            return _second_factor_given(request, device)
        refused = _wrong_code(request, form, "The code is not right or has expired. "
                                             "Enter the latest code from your authenticator app")
        if refused is not None:
            return refused
    errors = [{"text": str(m), "href": "#code"} for m in form.errors.get("code", [])]
    return render(request, "accounts/second_factor.html", {"title": "Enter your security code", "form": form,
                                                           "errors": errors}, status=400 if errors else 200)


@require_GET
def set_up_second_factor(request: HttpRequest) -> HttpResponse:
    """A password alone never sets up an authenticator: we email the account's owner a link."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user: Any = request.user
    if _confirmed_device(user):
        return redirect("accounts:second_factor")
    if services.authenticator_link_due(user=user):
        services.link_send(user=user, purpose=LinkPurpose.AUTHENTICATOR, base_url=_base_url(request))
    return render(request, "accounts/check_email_authenticator.html", {"title": "Check your email"})


def _link_or_none(token: str, purpose: LinkPurpose) -> AccountLink | None:
    return services.link_find(token=token, purpose=purpose)


def _link_expired(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/link_expired.html", {"title": "This link has expired"}, status=410)


@require_http_methods(["GET", "POST"])
def set_up_second_factor_link(request: HttpRequest, token: str) -> HttpResponse:
    link = _link_or_none(token, LinkPurpose.AUTHENTICATOR)
    if link is None:
        return _link_expired(request)
    if not request.user.is_authenticated:
        return redirect(reverse("accounts:login") + "?next=" + request.path)
    if request.user.pk != link.user_id:
        return render(request, "accounts/link_for_someone_else.html", {"title": "This link is for someone else"},
                      status=403)
    if AxesProxyHandler.is_locked(request, {"email": link.user.email}):
        logout(request)
        return locked_out(request)
    device, _ = TOTPDevice.objects.get_or_create(user=link.user, confirmed=False, defaults={"name": "Authenticator app"})
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.authenticator_enrol(link=link, user=link.user, device=device, code=form.cleaned_data["code"].strip()):
            return _second_factor_given(request, device)
        refused = _wrong_code(request, form, "The code is not right. Enter the code your authenticator app shows now")
        if refused is not None:
            return refused
    return _render_enrolment(request, device, form)


def _render_enrolment(request: HttpRequest, device: TOTPDevice, form: CodeForm) -> HttpResponse:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    errors = [{"text": str(m), "href": "#code"} for m in form.errors.get("code", [])]
    return render(request, "accounts/set_up_second_factor.html", {
        "title": "Set up your authenticator app", "form": form, "errors": errors,
        "qr_svg_data": "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode(),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    }, status=400 if errors else 200)


# --- Passwords ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ChangePasswordForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=user, current_password=form.cleaned_data["current_password"],
                                     new_password=form.cleaned_data["new_password"])
        except ServiceError as exc:
            form.add_error(exc.field, exc.message)
        else:
            update_session_auth_hash(request, user)  # keeps this session, with a new key; ends the others
            return render(request, "accounts/password_changed.html", {"title": "Your password has been changed"})
    return render(request, "accounts/change_password.html", {
        "title": "Change your password", "form": form, "password_min_length": _password_min_length(), "errors": error_list(form, first_field="current_password"),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def forgotten_password(request: HttpRequest) -> HttpResponse:
    form = ForgottenPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        limit = throttle.password_reset_requests()
        if throttle.is_limited(limit=limit, request=request):
            return _throttled(request)
        throttle.record(limit=limit, request=request)
        services.password_reset_request(email=form.cleaned_data["email"], base_url=_base_url(request))
        return render(request, "accounts/check_email_password.html", {"title": "Check your email"})
    return render(request, "accounts/forgotten_password.html", {
        "title": "Reset your password", "form": form, "errors": error_list(form, first_field="email"),
    }, status=400 if form.errors else 200)


def _password_from_link(request: HttpRequest, token: str, purpose: LinkPurpose, title: str) -> HttpResponse:
    link = _link_or_none(token, purpose)
    if link is None:
        return _link_expired(request)
    form = NewPasswordForm(request.POST if request.method == "POST" else None, user=link.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set_from_link(link=link, password=form.cleaned_data["new_password"])
        except ServiceError:
            return _link_expired(request)
        if request.user.is_authenticated:
            logout(request)
        return render(request, "accounts/password_set.html", {"title": "Your password has been set"})
    return render(request, "accounts/new_password.html", {
        "title": title, "form": form, "errors": error_list(form, first_field="new_password"),
        "email": link.user.email, "password_min_length": _password_min_length(),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, token: str) -> HttpResponse:
    return _password_from_link(request, token, LinkPurpose.PASSWORD_RESET, "Choose a new password")


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, token: str) -> HttpResponse:
    return _password_from_link(request, token, LinkPurpose.INVITATION, "Set your password")


# --- Invitations to join another organisation ---------------------------------------------------

JOIN_ANSWERS = {"accept": True, "decline": False}


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """An existing account's holder accepts or declines a role at another organisation, signed in
    as themself (the page needs a full sign-in, second factor included: nrm.site.access)."""
    link = _link_or_none(token, LinkPurpose.JOIN)
    if link is None:
        return _link_expired(request)
    if request.user.pk != link.user_id:
        return render(request, "accounts/link_for_someone_else.html", {"title": "This link is for someone else"},
                      status=403)
    assert link.organisation is not None
    assert link.role is not None
    context = {"title": f"Join {link.organisation.name}", "organisation": link.organisation, "role": link.role,
               "offered_by": link.offered_by, "errors": []}
    if request.method == "POST":
        answer = JOIN_ANSWERS.get(request.POST.get("answer", ""))
        if answer is None:
            message = "Select whether to accept or decline the invitation"
            return render(request, "accounts/join.html", {**context, "errors": [
                {"text": message, "href": "#accept"}]}, status=400)
        try:
            services.membership_offer_answer(link=link, user=request.user, accept=answer)
        except ServiceError as exc:
            if exc.field != "answer":  # used meanwhile, in another window
                return _link_expired(request)
            return render(request, "accounts/join.html", {**context, "errors": [
                {"text": exc.message, "href": "#accept"}]}, status=400)
        title = f"You have joined {link.organisation.name}" if answer else "You have declined the invitation"
        return render(request, "accounts/join_answered.html", {**context, "title": title, "accepted": answer})
    return render(request, "accounts/join.html", context)


# --- Signing out --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """GET asks; only a POST (with its CSRF token) signs out, so no other site can sign a user out."""
    if request.method == "POST":
        id_token = request.session.get(SSO_ID_TOKEN, "")
        _sign_out(request)
        if id_token and single_sign_on.configured():
            # Signed in with the organisation's account: end the session there too, where the
            # provider offers it, and come back to the signed-out page.
            elsewhere = single_sign_on.sign_out_url(
                id_token=id_token, post_logout_redirect_uri=request.build_absolute_uri(reverse("accounts:signed_out")))
            if elsewhere:
                return redirect(elsewhere)
        return _signed_out_page(request)
    return render(request, "accounts/sign_out.html", {"title": "Sign out"})


def _signed_out_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signed_out.html", {"title": "You have signed out"})


@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    """Where the identity provider sends the browser back after ending its own session."""
    return _signed_out_page(request)


def _sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action="user.signed_out", target=request.user)
    logout(request)


@require_http_methods(["GET", "POST"])
def timed_out(request: HttpRequest) -> HttpResponse:
    """The page's script posts here when the idle time runs out; a GET only shows a page."""
    if request.method == "POST":
        _sign_out(request)
        return redirect("accounts:timed_out")
    if request.user.is_authenticated:
        return render(request, "accounts/sign_out.html", {"title": "Sign out"})
    return render(request, "accounts/timed_out.html", {"title": "You have been signed out"})


@require_GET
def keepalive(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": request.user.is_authenticated})


