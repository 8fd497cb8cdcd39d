from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from nrm.accounts.capabilities import Capability, may
from nrm.stats.models import Publication, PublicationFeedback


def publications_root() -> Path:
    """Where published statistics are kept."""
    return Path(settings.VAR_DIR) / "publications"


def publications_public() -> QuerySet[Publication]:
    """Official statistics are public: every registered publication is listed."""
    return Publication.objects.all()


def publication_file(publication: Publication, relative: str) -> Path:
    """A file the publication's manifest lists, or 404: nothing else under the store is served."""
    listed = {f["path"] for f in publication.manifest.get("files", [])} | {"manifest.json"}
    if relative not in listed:
        raise Http404("No such file in this publication")
    path = (publications_root() / publication.directory / relative).resolve()
    if publications_root().resolve() not in path.parents or not path.is_file():
        raise Http404("No such file in this publication")
    return path


def may_query_statistics(user: Any) -> bool:
    """Analysts query the pseudonymised data and read feedback; nobody else does."""
    return may(user, Capability.ANALYSE)


def feedback_visible_to(user: Any) -> QuerySet[PublicationFeedback]:
    if not may_query_statistics(user):
        return PublicationFeedback.objects.none()
    return PublicationFeedback.objects.select_related("publication")
