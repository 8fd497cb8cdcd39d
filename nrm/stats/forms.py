"""The statistics feedback form: it parses and checks what was typed; the service records it."""

from __future__ import annotations

from django import forms

from nrm.core.forms import GovukForm


class FeedbackForm(GovukForm):
    useful_breakdowns = forms.CharField(label="Which breakdowns you find useful", required=False, max_length=5000,
                                        error_messages={"max_length": "Which breakdowns you find useful must be "
                                                                      "5,000 characters or fewer"})
    missing = forms.CharField(label="What is missing", required=False, max_length=5000,
                              error_messages={"max_length": "What is missing must be 5,000 characters or fewer"})
    role = forms.CharField(label="What you use the statistics for", required=False, max_length=120,
                           error_messages={"max_length": "What you use the statistics for must be "
                                                         "120 characters or fewer"})
