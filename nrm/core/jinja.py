"""The Jinja2 environment: GOV.UK Frontend macros plus Django's url and static helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from nrm.core.forms import date_input_for


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def govuk_date(value: date | datetime | None, with_time: bool = False) -> str:
    """Dates as GOV.UK style writes them: 5 January 2024 (and 2:30pm)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        text = f"{local.day} {local:%B %Y}"
        if with_time:
            hour = local.hour % 12 or 12
            text += f" at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
        return text
    return f"{value.day} {value:%B %Y}"


def environment(**options: Any) -> Environment:
    loader = options.pop("loader", None)
    loaders = [loader] if loader else []
    # GOV.UK Frontend macros are imported as "govuk_frontend_jinja/components/...".
    loaders.append(PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}))
    options["loader"] = ChoiceLoader(loaders)
    options.setdefault("autoescape", True)
    env = Environment(**options)  # noqa: S701 - autoescape is set above
    env.globals.update(
        {
            "url": url,
            "static": static,
            "get_messages": get_messages,
            "service_name": settings.SERVICE_NAME,
            "today": timezone.localdate,
            "date_input_for": date_input_for,
        }
    )
    env.filters["govuk_date"] = govuk_date
    return env
