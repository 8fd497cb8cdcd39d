"""The OpenAPI schema view: who may read it is read from the settings at each request
(``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]``: anyone while developing, a signed-in user or API
client in production), not fixed when the module is imported. How operations are described:
``nrm.api.openapi``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    def get_permissions(self) -> list[Any]:
        return [import_string(name)() for name in settings.SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]]
