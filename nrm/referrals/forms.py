"""Forms outside the question pages: requests to refer, invitations and contributions.
They parse and check input only; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from nrm.core.forms import GovukForm
from nrm.referrals.journey import PHONE_RE
from nrm.referrals.models import ConcernUrgency


class ConcernForm(GovukForm):
    organisation = forms.CharField(error_messages={"required": "Select the first responder organisation to ask"})
    urgency = forms.ChoiceField(choices=ConcernUrgency.choices,
                                error_messages={"required": "Select how urgent this is",
                                                "invalid_choice": "Select how urgent this is"})
    summary = forms.CharField(max_length=5000, error_messages={
        "required": "Enter why you are worried about the person",
        "max_length": "Why you are worried must be 5,000 characters or fewer"})
    person_details = forms.CharField(max_length=2000, required=False, error_messages={
        "max_length": "Details of the person must be 2,000 characters or fewer"})
    raiser_name = forms.CharField(max_length=200, error_messages={"required": "Enter your full name"})
    raiser_role = forms.CharField(max_length=200, error_messages={"required": "Enter your job title and organisation"})
    raiser_email = forms.EmailField(error_messages={
        "required": "Enter your email address",
        "invalid": "Enter an email address in the correct format, like name@example.com"})
    raiser_phone = forms.CharField(max_length=40, required=False)

    def __init__(self, *args: Any, organisation_slugs: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_slugs = organisation_slugs or set()

    def clean_organisation(self) -> str:
        slug: str = self.cleaned_data["organisation"].strip()
        if slug not in self.organisation_slugs:
            raise forms.ValidationError("Select the first responder organisation to ask")
        return slug

    def clean_raiser_phone(self) -> str:
        phone: str = self.cleaned_data["raiser_phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("Enter a telephone number, like 01632 960 001 or +44 808 157 0192")
        return phone


class InvitationForm(GovukForm):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the name of the person to invite"})
    email = forms.EmailField(error_messages={
        "required": "Enter their email address",
        "invalid": "Enter an email address in the correct format, like name@example.com"})
    organisation_name = forms.CharField(max_length=200, error_messages={
        "required": "Enter their organisation and role, for example 'Class teacher, Hill Road School'"})


class ContributionForm(GovukForm):
    topic = forms.CharField(max_length=120, required=False)
    text = forms.CharField(max_length=20000, error_messages={
        "required": "Enter what you know", "max_length": "What you know must be 20,000 characters or fewer"})
