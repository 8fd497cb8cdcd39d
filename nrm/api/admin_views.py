"""Pages where an organisation's administrator connects its partner systems: API clients (scoped
tokens, ADR 0023) and webhook endpoints (ADR 0030). Who may is ``nrm.accounts.access`` (through
``administration_selectors.organisation_get_for``, as on the other administration pages); anyone else
gets a 404, as for any organisation they cannot see. A token or signing secret is shown once, in
the answer to the POST that made it, never stored readable and never cached."""

from __future__ import annotations

from collections.abc import Callable
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

from nrm.accounts.administration_selectors import organisation_get_for
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


def _shown_once(request: HttpRequest, organisation: Organisation, *, title: str, name: str, kind: str, value: str,
               rotated: bool, use: str, replaced: str) -> HttpResponse:
    """The one page that shows a token or secret, in the answer to the POST that made it: never cached."""
    response = render(request, "partner_systems/shown_once.html", {
        **_base(organisation, title), "name": name, "kind": kind, "value": value, "rotated": rotated,
        "use": use, "replaced": replaced})
    response["Cache-Control"] = "no-store"
    return response


def _base(organisation: Organisation, title: str) -> dict[str, Any]:
    return {"organisation": organisation, "title": title}


# --- API clients ------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET"])
def clients(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    since = timezone.now() - CALLS_OVER
    rows = (ApiClient.objects.filter(organisation=organisation)
            .annotate(recent_calls=Count("calls", filter=Q(calls__at__gte=since)))
            .order_by("revoked_at", "name"))
    return render(request, "partner_systems/clients.html", {
        **_base(organisation, f"API clients of {organisation}"), "clients": rows,
        "back_url": reverse("administration:organisation", kwargs={"slug": organisation.slug}),
        "scope_labels": {s.value: SCOPE_LABELS[s] for s in Scope},
        "may_add": bool(roles_for_clients(organisation)),
        "webhooks": webhooks.webhooks_of(organisation),
        "event_labels": dict(WebhookEvent.choices),
    })


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
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
            return _token_shown(request, organisation, title="API client added", client=client, token=token,
                                rotated=False)
    return render(request, "partner_systems/client_new.html", {
        **_base(organisation, "Add an API client"), "form": form,
        "errors": error_list(form, first_field="name", anchors={"role": "role", "scopes": "scopes"}),
    }, status=400 if form.errors else 200)


def _client(organisation: Organisation, client_id: Any) -> ApiClient:
    return get_object_or_404(ApiClient, pk=client_id, organisation=organisation, revoked_at__isnull=True)


def _confirmed(request: HttpRequest, organisation: Organisation, *, title: str, body: str, button: str,
               warning: bool, act: Callable[[], HttpResponse]) -> HttpResponse:
    """A page asking to confirm a step (the administration pages' own), the step itself (``act``) on the POST."""
    if request.method == "POST":
        return act()
    return render(request, "administration/confirm.html", {
        **_base(organisation, title), "texts": {"heading": title, "explain": body, "button": button, "warning": warning},
        "back_url": reverse("partner_systems:clients", args=[organisation.slug])})


def _token_shown(request: HttpRequest, organisation: Organisation, *, title: str, client: ApiClient, token: str,
                 rotated: bool) -> HttpResponse:
    return _shown_once(request, organisation, title=title, name=client.name, kind="token", value=token, rotated=rotated,
                       use="The system sends it with every call, in the header <code>Authorization: Bearer</code> "
                           "followed by the token.", replaced="The old token no longer works.")


def _secret_shown(request: HttpRequest, organisation: Organisation, *, title: str, endpoint: WebhookEndpoint,
                  secret: str, rotated: bool) -> HttpResponse:
    return _shown_once(request, organisation, title=title, name=endpoint.url, kind="signing secret", value=secret,
                       rotated=rotated, use="Each event carries the header <code>NRM-Signature</code>: the partner "
                       "system checks it with this secret and refuses events whose signature does not match.",
                       replaced="Events are no longer signed with the old secret.")


@login_required
@require_http_methods(["GET", "POST"])
def client_rotate(request: HttpRequest, slug: str, client_id: Any) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    client = _client(organisation, client_id)
    return _confirmed(
        request, organisation, title=f"Make a new token for {client.name}?",
        body="The system's current token stops working at once. Give the new token to the system's operators "
             "before its next call.", button="Make a new token", warning=False,
        act=lambda: _token_shown(request, organisation, title="New token made", client=client, rotated=True,
                                 token=services.api_client_rotate(client=client, by=request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def client_revoke(request: HttpRequest, slug: str, client_id: Any) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    client = _client(organisation, client_id)

    def revoke() -> HttpResponse:
        services.api_client_revoke(client=client, by=request.user)
        messages.success(request, f"{client.name} can no longer call the API.")
        return redirect(reverse("partner_systems:clients", args=[organisation.slug]))

    return _confirmed(
        request, organisation, title=f"Revoke {client.name}?",
        body="The system's token stops working at once and cannot be used again. To connect the system again, add "
             "a new API client.", button="Revoke", warning=True, act=revoke)


# --- Webhooks --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def webhook_new(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.webhook_add(organisation=organisation, url=form.cleaned_data["url"],
                                                    events=form.cleaned_data["events"], actor=request.user)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else "url", exc.message)
        else:
            return _secret_shown(request, organisation, title="Webhook added", endpoint=endpoint, secret=secret,
                                 rotated=False)
    return render(request, "partner_systems/webhook_new.html", {
        **_base(organisation, "Add a webhook"), "form": form,
        "errors": error_list(form, first_field="url", anchors={"events": "events"}),
    }, status=400 if form.errors else 200)


def _endpoint(organisation: Organisation, endpoint_id: Any) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, organisation=organisation, removed_at__isnull=True)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_rotate(request: HttpRequest, slug: str, endpoint_id: Any) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    endpoint = _endpoint(organisation, endpoint_id)
    return _confirmed(
        request, organisation, title="Make a new signing secret?",
        body=f"Events sent to {endpoint.url} from now on, including any waiting to be sent, are signed with the new "
             "secret. Give it to the partner system's operators straight away.",
        button="Make a new secret", warning=False,
        act=lambda: _secret_shown(request, organisation, title="New signing secret made", endpoint=endpoint,
                                  rotated=True, secret=webhooks.webhook_rotate(endpoint=endpoint, actor=request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def webhook_remove(request: HttpRequest, slug: str, endpoint_id: Any) -> HttpResponse:
    organisation = organisation_get_for(request.user, slug)
    endpoint = _endpoint(organisation, endpoint_id)

    def remove() -> HttpResponse:
        webhooks.webhook_remove(endpoint=endpoint, actor=request.user)
        messages.success(request, f"No more events will be sent to {endpoint.url}.")
        return redirect(reverse("partner_systems:clients", args=[organisation.slug]))

    return _confirmed(
        request, organisation, title="Remove this webhook?",
        body=f"No more events will be sent to {endpoint.url}, including any waiting to be sent.", button="Remove",
        warning=True, act=remove)
