from __future__ import annotations

from django import forms


class SignInForm(forms.Form):
    email = forms.EmailField(error_messages={
        "required": "Enter your email address",
        "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
    })
    password = forms.CharField(strip=False, error_messages={"required": "Enter your password"})


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app",
            "invalid": "The code must be 6 digits, like 123456",
        },
    )
