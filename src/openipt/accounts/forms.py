from __future__ import annotations

from typing import Any

from django import forms

from openipt.accounts.services import STAFF_INVITABLE_ROLES
from openipt.practice.models import Role


class StaffInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in STAFF_INVITABLE_ROLES], label="Role"
    )


class ClientInvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail the invitation to")


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your full name")
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. Avoid common passwords.",
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return data


ROLE_LABELS = dict(Role.choices)
