"""GOV.UK error messages from Django forms: the error summary's list, and one field's message."""

from __future__ import annotations

from django import forms


def error_list(form: forms.Form, *, first_field: str = "", anchors: dict[str, str] | None = None) -> list[dict[str, str]]:
    """A form's errors for the GOV.UK error summary, in the order of its questions, each linking
    to its field (``anchors`` maps a field to another id, such as a date input's day box; a
    form-wide error links to ``first_field``). One message a field, as the Design System asks."""
    anchors = anchors or {}
    order = list(form.fields)
    items = sorted(form.errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1)
    return [
        {"text": str(messages[0]), "href": "#" + anchors.get(name, name if name != "__all__" else first_field)}
        for name, messages in items
    ]


def field_error(form: forms.Form, name: str) -> dict[str, str] | None:
    """The first error of one field, for its ``errorMessage``."""
    messages = form.errors.get(name)
    return {"text": str(messages[0])} if messages else None
