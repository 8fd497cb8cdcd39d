"""Fixtures for referral tests: complete answers for each kind of referral, drafts, storage."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nrm.accounts.models import User
from nrm.accounts.roles import Role
from nrm.reference.models import Organisation
from nrm.referrals.models import Referral
from nrm.referrals.services import referral_start
from nrm.referrals.tests.answer_sets import ADULT, CHILD, DUTY_TO_NOTIFY


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "uploads")}},
    }


@pytest.fixture
def answers() -> Callable[[str], dict[str, Any]]:
    """answers("child" | "adult" | "dtn") -> a complete, valid set of answers (a fresh copy)."""
    sets: dict[str, dict[str, Any]] = {"child": CHILD, "adult": ADULT, "dtn": DUTY_TO_NOTIFY}
    return lambda kind: copy.deepcopy(sets[kind])


@pytest.fixture
def first_responder(make_user: Callable[..., User]) -> User:
    return make_user(Role.FIRST_RESPONDER, organisation="police-e23000001", full_name="Priya Shah",
                     job_title="Detective Constable", phone="020 7946 0000")


@pytest.fixture
def make_draft(answers: Callable[[str], dict[str, Any]]) -> Callable[..., Referral]:
    """make_draft(user, "child" | "adult" | "dtn" | None, **overrides) -> a draft of the user's organisation."""

    def make(user: User, kind: str | None = "child", organisation: str | None = None, **overrides: Any) -> Referral:
        org = (Organisation.objects.get(slug=organisation) if organisation
               else user.organisations_for(Role.FIRST_RESPONDER)[0])
        referral = referral_start(actor=user, organisation=org)
        if kind is not None:
            referral.answers = {**answers(kind), **overrides}
            referral.save(update_fields=["answers"])
        return referral

    return make
