"""The service's record of its official statistics publications and what users said of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nrm.core.models import BaseModel


class Publication(BaseModel):
    """A publication run registered with the service: its files live under ``directory``
    (relative to the publications root) and are listed, with their hashes, in ``manifest``."""

    period = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    directory = models.CharField(max_length=200, unique=True)
    manifest = models.JSONField()
    source = models.CharField(max_length=200, help_text="The extract it was computed from")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    quality_override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class PublicationFeedback(BaseModel):
    publication = models.ForeignKey(Publication, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="feedback")
    useful_breakdowns = models.TextField(blank=True)
    missing = models.TextField(blank=True)
    role = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at"]


class QuestionAsked(BaseModel):
    """The ledger of an analyst's questions: what was asked, what was answered (or why not),
    and the exact counts over protected published cells it gave, which later questions of the
    same analyst are checked against (ADR 0032)."""

    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data_cut = models.CharField(max_length=200)
    query = models.JSONField()
    method = models.CharField(max_length=20)  # published, derived, perturbed, suppressed or refused
    display = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    relations = models.JSONField(default=list)  # [{"value": n, "members": [cell key, ...]}]

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["analyst", "created_at"])]

    def __str__(self) -> str:
        return f"{self.method}: {self.display or self.reason}"
