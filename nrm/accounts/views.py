"""Signing in with a password and, for roles that need one, a second factor (TOTP)."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrm.accounts.forms import CodeForm, SignInForm
from nrm.audit.services import audit_record
from nrm.core.forms import error_list


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return "/"


def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, email=form.cleaned_data["email"].lower(), password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is None:
            form.add_error("__all__", "Enter a correct email address and password")
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit_record(actor=user, action="user.signed_in", target=user)
            if user.requires_second_factor:  # type: ignore[attr-defined]
                request.session["after_second_factor"] = _next_url(request)
                return redirect("accounts:second_factor")
            return redirect(_next_url(request))
    return render(request, "accounts/sign_in.html", {
        "title": "Sign in", "form": form, "errors": error_list(form, first_field="email"), "next": request.GET.get("next", ""),
    }, status=400 if form.errors else 200)


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "accounts/locked_out.html", {"title": "Your account is locked"}, status=429)


def _confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    device = _confirmed_device(request.user)
    if device is None:
        return redirect("accounts:set_up_second_factor")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            otp_login(request, device)
            audit_record(actor=request.user, action="user.second_factor_verified", target=request.user)
            return redirect(request.session.pop("after_second_factor", "/"))
        form.add_error("code", "The code is not right or has expired. Enter the latest code from your authenticator app")
    errors = [{"text": str(m), "href": "#code"} for m in form.errors.get("code", [])]
    return render(request, "accounts/second_factor.html", {"title": "Enter your security code", "form": form,
                                                           "errors": errors}, status=400 if errors else 200)


def set_up_second_factor(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if _confirmed_device(request.user):
        return redirect("accounts:second_factor")
    device, _ = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False, defaults={"name": "Authenticator app"})
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(actor=request.user, action="user.second_factor_enrolled", target=request.user)
            return redirect(request.session.pop("after_second_factor", "/"))
        form.add_error("code", "The code is not right. Enter the code your authenticator app shows now")
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


def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.user.is_authenticated:
            audit_record(actor=request.user, action="user.signed_out", target=request.user)
        logout(request)
        return render(request, "accounts/signed_out.html", {"title": "You have signed out"})
    return render(request, "accounts/sign_out.html", {"title": "Sign out"})


@require_GET
def timed_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return render(request, "accounts/timed_out.html", {"title": "You have been signed out"})


@require_GET
def keepalive(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": request.user.is_authenticated})
