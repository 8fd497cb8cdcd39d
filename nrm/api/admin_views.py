"""Pages where an organisation's administrator connects its partner systems: API clients (scoped
tokens, ADR 0023) and webhook endpoints (ADR 0030). Who may is ``nrm.accounts.access``; anyone else
gets a 404, as for any organisation they cannot see. A token or signing secret is shown once, in
the answer to the POST that made it, never stored readable and never cached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from nrm.accounts.access import may_administer
from nrm.accounts.roles import Role
from nrm.api import services
from nrm.api.admin_forms import SCOPE_LABELS, ApiClientForm, WebhookForm, roles_for_clients
from nrm.api.models import ApiClient
from nrm.api.scopes import Scope
from nrm.core.errors import ServiceError
from nrm.core.forms import error_list
from nrm.notify import webhooks
from nrm.notify.models import WebhookEndpoint, WebhookEvent
from nrm.reference.models import Organisation

CALLS_OVER = timedelta(days=30)


def _organisation(request: HttpRequest, slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not may_administer(request.user, organisation):
        raise Http404("No such organisation")
    return organisation


def _shown_once(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


def _base(organisation: Organisation, title: str) -> dict[str, Any]:
    return {"organisation": organisation, "title": title}


# --- API clients ------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET"])
def clients(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    since = timezone.now() - CALLS_OVER
    rows = (ApiClient.objects.filter(organisation=organisation)
            .annotate(recent_calls=Count("calls", filter=Q(calls__at__gte=since)))
            .order_by("revoked_at", "name"))
    return render(request, "partner_systems/clients.html", {
        **_base(organisation, f"API clients of {organisation}"), "clients": rows,
        "scope_labels": {s.value: SCOPE_LABELS[s] for s in Scope},
        "may_add": bool(roles_for_clients(organisation)),
        "webhooks": webhooks.webhooks_of(organisation),
        "event_labels": dict(WebhookEvent.choices),
    })


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    if not roles_for_clients(organisation):
        raise Http404("This organisation's members hold no role a partner system can act in")
    form = ApiClientForm(request.POST if request.method == "POST" else None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            client, token = services.api_client_create(
                organisation=organisation, name=form.cleaned_data["name"], role=Role(form.cleaned_data["role"]),
                scopes=form.cleaned_data["scopes"], created_by=request.user)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else "name", exc.message)
        else:
            return _shown_once(request, "partner_systems/token.html", {
                **_base(organisation, "API client added"), "client": client, "token": token, "rotated": False})
    return render(request, "partner_systems/client_new.html", {
        **_base(organisation, "Add an API client"), "form": form,
        "errors": error_list(form, first_field="name", anchors={"role": "role", "scopes": "scopes"}),
    }, status=400 if form.errors else 200)


def _client(organisation: Organisation, client_id: Any) -> ApiClient:
    return get_object_or_404(ApiClient, pk=client_id, organisation=organisation, revoked_at__isnull=True)


@login_required
@require_http_methods(["GET", "POST"])
def client_rotate(request: HttpRequest, slug: str, client_id: Any) -> HttpResponse:
    organisation = _organisation(request, slug)
    client = _client(organisation, client_id)
    if request.method == "POST":
        token = services.api_client_rotate(client=client, by=request.user)
        return _shown_once(request, "partner_systems/token.html", {
            **_base(organisation, "New token made"), "client": client, "token": token, "rotated": True})
    return render(request, "partner_systems/confirm.html", {
        **_base(organisation, f"Make a new token for {client.name}?"),
        "body": "The system's current token stops working at once. Give the new token to the system's "
                "operators before its next call.",
        "button": "Make a new token", "warning": False,
    })


@login_required
@require_http_methods(["GET", "POST"])
def client_revoke(request: HttpRequest, slug: str, client_id: Any) -> HttpResponse:
    organisation = _organisation(request, slug)
    client = _client(organisation, client_id)
    if request.method == "POST":
        services.api_client_revoke(client=client, by=request.user)
        messages.success(request, f"{client.name} can no longer call the API.")
        return redirect(reverse("partner_systems:clients", args=[organisation.slug]))
    return render(request, "partner_systems/confirm.html", {
        **_base(organisation, f"Revoke {client.name}?"),
        "body": "The system's token stops working at once and cannot be used again. To connect the system "
                "again, add a new API client.",
        "button": "Revoke", "warning": True,
    })


# --- Webhooks --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def webhook_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.webhook_add(organisation=organisation, url=form.cleaned_data["url"],
                                                    events=form.cleaned_data["events"], actor=request.user)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else "url", exc.message)
        else:
            return _shown_once(request, "partner_systems/secret.html", {
                **_base(organisation, "Webhook added"), "endpoint": endpoint, "secret": secret, "rotated": False})
    return render(request, "partner_systems/webhook_new.html", {
        **_base(organisation, "Add a webhook"), "form": form,
        "errors": error_list(form, first_field="url", anchors={"events": "events"}),
    }, status=400 if form.errors else 200)


def _endpoint(organisation: Organisation, endpoint_id: Any) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, organisation=organisation, removed_at__isnull=True)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_rotate(request: HttpRequest, slug: str, endpoint_id: Any) -> HttpResponse:
    organisation = _organisation(request, slug)
    endpoint = _endpoint(organisation, endpoint_id)
    if request.method == "POST":
        secret = webhooks.webhook_rotate(endpoint=endpoint, actor=request.user)
        return _shown_once(request, "partner_systems/secret.html", {
            **_base(organisation, "New signing secret made"), "endpoint": endpoint, "secret": secret,
            "rotated": True})
    return render(request, "partner_systems/confirm.html", {
        **_base(organisation, "Make a new signing secret?"),
        "body": f"Events sent to {endpoint.url} from now on, including any waiting to be sent, are signed with "
                "the new secret. Give it to the partner system's operators straight away.",
        "button": "Make a new secret", "warning": False,
    })


@login_required
@require_http_methods(["GET", "POST"])
def webhook_remove(request: HttpRequest, slug: str, endpoint_id: Any) -> HttpResponse:
    organisation = _organisation(request, slug)
    endpoint = _endpoint(organisation, endpoint_id)
    if request.method == "POST":
        webhooks.webhook_remove(endpoint=endpoint, actor=request.user)
        messages.success(request, f"No more events will be sent to {endpoint.url}.")
        return redirect(reverse("partner_systems:clients", args=[organisation.slug]))
    return render(request, "partner_systems/confirm.html", {
        **_base(organisation, "Remove this webhook?"),
        "body": f"No more events will be sent to {endpoint.url}, including any waiting to be sent.",
        "button": "Remove", "warning": True,
    })
