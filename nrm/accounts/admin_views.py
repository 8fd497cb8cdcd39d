"""The administration pages: organisations, their users and roles (namespace ``administration``).

``nrm.site.access`` lets only holders of ``Capability.ADMINISTER`` open these pages; which
organisation an administrator may open is ``nrm.accounts.access`` (through the selectors: 404 for
any other), and the services check it again. Every write is audited by its service; every page
view is audited by the read-audit middleware. No page shows case content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from nrm.accounts import administration_selectors as selectors
from nrm.accounts import administration_services as services
from nrm.accounts.access import administers_service, organisations_administered
from nrm.accounts.admin_forms import DesignationForm, InviteForm, RolesForm
from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.core import pagination
from nrm.core.errors import AccessDenied, ServiceError
from nrm.core.forms import error_list, field_error
from nrm.reference.models import Nation, Organisation, OrganisationType

DONE = "administration_done"  # the confirmation panel to show once, after a redirect


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # signed in: the page access check has run
    return user


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _organisation_url(organisation: Organisation) -> str:
    return reverse("administration:organisation", kwargs={"slug": organisation.slug})


def _user_url(organisation: Organisation, user: User) -> str:
    return reverse("administration:user", kwargs={"slug": organisation.slug, "user_id": user.pk})


def _done(request: HttpRequest, title: str, body: str) -> None:
    request.session[DONE] = {"title": title, "body": body}


def _service_error(form: Any, exc: ServiceError, default_field: str) -> None:
    form.add_error(exc.field if exc.field in form.fields else default_field, exc.message)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The service team's administrators find any organisation here; an organisation's
    administrator goes straight to their own."""
    if not administers_service(request.user):
        own = list(organisations_administered(request.user)[:2])
        if len(own) == 1:
            return redirect(_organisation_url(own[0]))
    search = pagination.search_text(request.GET.get("q"))
    organisation_type = str(request.GET.get("type") or "")
    nation = str(request.GET.get("nation") or "")
    page = pagination.paginate(selectors.organisations_for(
        request.user, search=search, organisation_type=organisation_type, nation=nation), request.GET.get("page"))
    return render(request, "administration/home.html", {
        "title": "Administration",
        "page": page,
        "search": search,
        "organisation_type": organisation_type if organisation_type in OrganisationType.values else "",
        "nation": nation if nation in Nation.values else "",
        "types": OrganisationType.choices,
        "nations": Nation.choices,
        "pagination": pagination.govuk_pagination(page, {"q": search, "type": organisation_type, "nation": nation},
                                                  label="Pages of organisations"),
    })


def _partner_links(organisation: Organisation) -> list[dict[str, str]]:
    """The organisation's partner systems pages (API clients, webhooks), where the service has them."""
    links = []
    for name, text in (("partner_systems:clients", "API clients and webhooks"),):
        try:
            links.append({"href": reverse(name, kwargs={"slug": organisation.slug}), "text": text})
        except NoReverseMatch:
            continue
    return links


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    members = selectors.organisation_members(org)
    done = request.session.pop(DONE, None)
    return render(request, "administration/organisation.html", {
        "title": str(org),
        "organisation": org,
        "roles": selectors.role_labels(org.role_names),
        "active": [m for m in members if m.user.is_active],
        "deactivated": [m for m in members if not m.user.is_active],
        "designations": selectors.designations_of(org),
        "may_designate": administers_service(request.user),
        "partner_links": _partner_links(org),
        "done": done,
        "back_url": reverse("administration:home") if administers_service(request.user) else None,
    })


@login_required
@require_http_methods(["GET", "POST"])
def organisation_change(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    if not administers_service(request.user):
        raise Http404("No such page")
    initial = {"is_first_responder": "yes" if org.is_first_responder else "no", "roles": org.role_names}
    form = DesignationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_designate(
                organisation=org, is_first_responder=form.cleaned_data["is_first_responder"] == "yes",
                roles=[Role(r) for r in form.cleaned_data["roles"]], actor=_actor(request))
        except ServiceError as exc:
            _service_error(form, exc, "roles")
        else:
            messages.success(request, f"{org} has been changed from today")
            return redirect(_organisation_url(org))
    chosen = request.POST.getlist("roles") if form.is_bound else org.role_names
    first_responder = form.data.get("is_first_responder", "") if form.is_bound else initial["is_first_responder"]
    return render(request, "administration/organisation_change.html", {
        "title": f"Change {org}",
        "organisation": org,
        "form": form,
        "roles": [(name, label, name in chosen) for name, label in
                  [(str(r), selectors.role_label(str(r))) for r in Role]],
        "first_responder": first_responder,
        "errors": error_list(form, first_field="is_first_responder",
                             anchors={"is_first_responder": "is_first_responder", "roles": "roles"}),
        "first_responder_error": field_error(form, "is_first_responder"),
        "roles_error": field_error(form, "roles"),
        "back_url": _organisation_url(org),
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    roles = selectors.grantable_roles(org)
    form = InviteForm(request.POST if request.method == "POST" else None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invited = services.user_invite(organisation=org, email=form.cleaned_data["email"],
                                           full_name=form.cleaned_data["full_name"], role=form.chosen_role(),
                                           actor=_actor(request), base_url=_base_url(request))
        except ServiceError as exc:
            _service_error(form, exc, "email")
        else:
            if invited.existing:
                # Not a member until they accept: their page here is not theirs to show yet.
                _done(request, "Invitation sent",
                      f"{invited.user.email} already has an account. We have emailed them a link to accept or "
                      f"decline the role. They are not a member of {org} until they accept.")
                return redirect(_organisation_url(org))
            _done(request, "Invitation sent",
                  f"We have emailed {invited.user.email} a link to set a password. It works once.")
            return redirect(_user_url(org, invited.user))
    return render(request, "administration/user_invite.html", {
        "title": f"Invite a user to {org}",
        "organisation": org,
        "form": form,
        "roles": roles,
        "errors": error_list(form, first_field="full_name", anchors={"role": "role"}),
        "name_error": field_error(form, "full_name"),
        "email_error": field_error(form, "email"),
        "role_error": field_error(form, "role"),
        "back_url": _organisation_url(org),
    }, status=400 if form.errors else 200)


@login_required
def user(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    member = selectors.organisation_member_get(org, user_id)
    current, ended = selectors.memberships_at(member, org)
    return render(request, "administration/user.html", {
        "title": str(member),
        "organisation": org,
        "member": member,
        "current": current,
        "ended": ended,
        "failures": selectors.sign_in_failures(member),
        "has_authenticator": selectors.has_authenticator(member),
        "is_self": member.pk == request.user.pk,
        "done": request.session.pop(DONE, None),
        "back_url": _organisation_url(org),
    })


@login_required
@require_http_methods(["GET", "POST"])
def user_roles(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    member = selectors.organisation_member_get(org, user_id)
    roles = selectors.grantable_roles(org)
    form = RolesForm(request.POST if request.method == "POST" else None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.user_roles_set(user=member, organisation=org, roles=form.chosen_roles(),
                                              actor=_actor(request))
        except AccessDenied as exc:
            _service_error(form, ServiceError(exc.message, field="roles"), "roles")
        except ServiceError as exc:
            _service_error(form, exc, "roles")
        else:
            if changed.granted or changed.ended:
                messages.success(request, f"{member}'s roles have been changed")
            return redirect(_user_url(org, member))
    chosen = request.POST.getlist("roles") if form.is_bound else selectors.current_role_names(member, org)
    return render(request, "administration/user_roles.html", {
        "title": f"Change {member}'s roles",
        "organisation": org,
        "member": member,
        "form": form,
        "roles": [(name, label, name in chosen) for name, label in roles],
        "errors": error_list(form, first_field="roles"),
        "roles_error": field_error(form, "roles"),
        "back_url": _user_url(org, member),
    }, status=400 if form.errors else 200)


# --- Confirmed actions on one account -----------------------------------------------------------------

ACTIONS: dict[str, dict[str, str]] = {
    "deactivate": {
        "heading": "Deactivate {name}'s account",
        "explain": "They will be signed out now and cannot sign in again. Every role they hold is ended "
                   "today, and any link we emailed them that they have not used stops working. Their "
                   "account and its history are kept: you can reactivate it later.",
        "button": "Deactivate account", "warning": "yes",
        "panel": "Account deactivated",
        "panel_body": "{name} has been signed out and can no longer sign in. Their roles ended today.",
    },
    "reactivate": {
        "heading": "Reactivate {name}'s account",
        "explain": "They will be able to sign in again. They hold no role until you give them one.",
        "button": "Reactivate account", "warning": "",
        "panel": "Account reactivated", "panel_body": "{name} can sign in again. Give them a role next.",
    },
    "authenticator": {
        "heading": "Reset {name}'s authenticator app",
        "explain": "Their authenticator app will stop working and we will email them a link to set up a new "
                   "one. Do this only when they have asked, for example after losing their phone.",
        "button": "Reset authenticator", "warning": "",
        "panel": "Authenticator reset", "panel_body": "We have emailed {email} a link to set up a new one.",
    },
    "unlock": {
        "heading": "Unlock {name}'s account",
        "explain": "Their failed sign-ins will be cleared so they can try again straight away.",
        "button": "Unlock account", "warning": "",
        "panel": "Account unlocked", "panel_body": "{name} can sign in again.",
    },
}


def _perform(action: str, request: HttpRequest, org: Organisation, member: User) -> None:
    actor = _actor(request)
    performers: dict[str, Callable[[], Any]] = {
        "deactivate": lambda: services.user_deactivate(user=member, organisation=org, actor=actor),
        "reactivate": lambda: services.user_reactivate(user=member, organisation=org, actor=actor),
        "authenticator": lambda: services.user_authenticator_reset(user=member, organisation=org, actor=actor,
                                                                   base_url=_base_url(request)),
        "unlock": lambda: services.user_unlock(user=member, organisation=org, actor=actor),
    }
    performers[action]()


def _confirm(request: HttpRequest, slug: str, user_id: str, action: str) -> HttpResponse:
    org = selectors.organisation_get_for(request.user, slug)
    member = selectors.organisation_member_get(org, user_id)
    texts = {k: v.format(name=member, email=member.email) for k, v in ACTIONS[action].items()}
    error = ""
    if request.method == "POST":
        try:
            _perform(action, request, org, member)
        except ServiceError as exc:
            error = exc.message
        else:
            _done(request, texts["panel"], texts["panel_body"])
            return redirect(_user_url(org, member))
    return render(request, "administration/confirm.html", {
        "title": texts["heading"],
        "texts": texts,
        "organisation": org,
        "member": member,
        "errors": [{"text": error, "href": "#confirm"}] if error else [],
        "back_url": _user_url(org, member),
    }, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, "deactivate")


@login_required
@require_http_methods(["GET", "POST"])
def user_reactivate(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, "reactivate")


@login_required
@require_http_methods(["GET", "POST"])
def user_authenticator_reset(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, "authenticator")


@login_required
@require_http_methods(["GET", "POST"])
def user_unlock(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    return _confirm(request, slug, user_id, "unlock")
