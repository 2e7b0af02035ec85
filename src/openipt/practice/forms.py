"""Forms validate input; services decide and write."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from openipt.practice.models import Client
from openipt.practice.services import CLIENT_EDITABLE_FIELDS


class ClientForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Client
        fields = CLIENT_EDITABLE_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
            "access_needs": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "given_name": "Given name",
            "family_name": "Family name",
            "preferred_name": "Preferred name",
            "date_of_birth": "Date of birth",
            "email": "E-mail",
            "emergency_contact_name": "Name",
            "emergency_contact_relationship": "Relationship",
            "emergency_contact_phone": "Phone",
            "access_needs": "Access needs",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["language"] = forms.ChoiceField(
            choices=settings.CLIENT_LANGUAGES, label="Language", initial="en"
        )

    def clean_date_of_birth(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if value.year < today.year - 120:
            raise forms.ValidationError("Please check the year of birth.")
        return value


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search by name")
    archived = forms.BooleanField(required=False, label="Include archived")


class CareTeamAddForm(forms.Form):
    membership = forms.UUIDField(label="Person")
