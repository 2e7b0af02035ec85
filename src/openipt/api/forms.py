"""The form for a new personal access token."""

from __future__ import annotations

from django import forms

from openipt.api.services import MAX_NAME_LENGTH


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=MAX_NAME_LENGTH,
        help_text="What will use it, e.g. “Intake tablet” or “Outcomes report script”.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The token stops working at the end of this day. Leave empty for no expiry.",
    )
