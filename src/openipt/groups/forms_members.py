"""Forms for screening, the pre-group and caregiver sessions, forming groups and placing members.

Forms parse what was typed; the services decide. The PHQ-9 itself is drawn and
read by the measures app's `QuestionnaireForm`, so the engine's per-item
messages show beside each item exactly as in individual care.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils import timezone

from openipt.groups.models import Gender, GroupComposition, Programme
from openipt.groups.selectors.members import problem_area_choices
from openipt.groups.services.members import (
    MAX_GROUP_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WHO_CAME_LENGTH,
)
from openipt.groups.services.screening import MAX_NAME_LENGTH, MAX_NOTE_LENGTH, MAX_PHONE_LENGTH
from openipt.protocol.group import EXCLUSION_PROMPTS

KEY_FIELD = "submission_key"
DATE_MESSAGE = "Write a date, for example 1990-04-21."
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _programme_field(programmes: Sequence[Programme]) -> forms.ChoiceField:
    choices = [(str(p.public_id), p.name) for p in programmes]
    field = forms.ChoiceField(
        label="Programme",
        choices=choices,
        error_messages={
            "required": "Choose the programme.",
            "invalid_choice": "Choose one of the programmes that run at this site.",
        },
    )
    if len(choices) == 1:
        # One programme at the site: nothing to choose, so nothing to show or require.
        field.widget = forms.HiddenInput()
        field.initial = choices[0][0]
        field.required = False
    return field


def _chosen(programmes: dict[str, Programme], value: str) -> Programme:
    if not value and len(programmes) == 1:
        return next(iter(programmes.values()))
    return programmes[value]


class ScreeningForm(forms.Form):
    given_name = forms.CharField(
        label="First name",
        max_length=MAX_NAME_LENGTH,
        error_messages={"required": "Write the person's first name."},
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=MAX_NAME_LENGTH,
        error_messages={"required": "Write the person's family name."},
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Write the date of birth.", "invalid": DATE_MESSAGE},
    )
    gender = forms.ChoiceField(
        label="Gender",
        choices=[("", "Choose…"), *Gender.choices],
        error_messages={"required": "Choose one.", "invalid_choice": "Choose one of the answers."},
    )
    phone = forms.CharField(
        label="Phone (optional)",
        required=False,
        max_length=MAX_PHONE_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    exclusions = forms.MultipleChoiceField(
        label="Reasons to refer instead",
        required=False,
        choices=[(code.value, text) for code, text in EXCLUSION_PROMPTS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Tick only the questions listed."},
    )
    referral_note = forms.CharField(
        label="Note about a referral (optional)",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept encrypted. Where you referred the person, or what was agreed.",
    )

    def __init__(self, *args: Any, programmes: Sequence[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {str(p.public_id): p for p in programmes}
        self.fields["programme"] = _programme_field(programmes)
        self.order_fields(["programme"])

    def chosen_programme(self) -> Programme:
        return _chosen(self.programmes, self.cleaned_data.get("programme") or "")


class PreGroupForm(forms.Form):
    held_at = forms.DateTimeField(
        label="When you met",
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": "Write when you met.",
            "invalid": "Write the date and time, for example 2026-10-01 14:30.",
        },
    )
    symptoms = forms.CharField(
        label="How the person has been feeling",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Their low mood and other symptoms, in their words.",
    )
    onset = forms.CharField(
        label="When it started, and what was happening with people then",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    problem_area = forms.ChoiceField(
        label="The problem they will work on in the group",
        required=False,
        choices=[("", "Not decided yet"), *problem_area_choices()],
        error_messages={"invalid_choice": "Choose one of the problem areas."},
    )
    hopes = forms.CharField(
        label="What they hope will change",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self, *args: Any, area_labels: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The practice's own names for the problem areas, where it set them.
        field = self.fields["problem_area"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [("", "Not decided yet"), *problem_area_choices(area_labels)]
        if not self.is_bound and not self.initial.get("held_at"):
            self.initial["held_at"] = timezone.localtime().replace(second=0, microsecond=0)


class CaregiverSessionForm(forms.Form):
    held_at = forms.DateTimeField(
        label="When you met",
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": "Write when you met.",
            "invalid": "Write the date and time, for example 2026-10-01 14:30.",
        },
    )
    who_came = forms.CharField(
        label="Who came with the member",
        max_length=MAX_WHO_CAME_LENGTH,
        help_text="For example 'mother', 'grandfather' or 'foster carer'. No names needed.",
        error_messages={"required": "Say who came with the member, for example 'mother'."},
    )
    notes = forms.CharField(
        label="What you talked about",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the caregiver understood about depression and the group, and how "
        "they can support the member.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("held_at"):
            self.initial["held_at"] = timezone.localtime().replace(second=0, microsecond=0)


class GroupForm(forms.Form):
    name = forms.CharField(
        label="Name of the group",
        max_length=MAX_GROUP_NAME_LENGTH,
        help_text="A name you and the members recognise, such as 'Tuesday morning group'.",
        error_messages={"required": "Give the group a name."},
    )
    composition_label = forms.CharField(label="Who the group is for", required=False, max_length=60)

    def __init__(self, *args: Any, programmes: Sequence[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {str(p.public_id): p for p in programmes}
        self.fields["programme"] = _programme_field(programmes)
        self.order_fields(["programme", "name"])
        compositions = {p.composition for p in programmes}
        field = self.fields["composition_label"]
        if compositions == {GroupComposition.BY_GENDER}:
            self.fields["composition_label"] = forms.ChoiceField(
                label="Who the group is for",
                choices=[("", "Choose…"), ("woman", "Women"), ("man", "Men")],
                help_text="This programme keeps women and men in separate groups.",
                error_messages={"required": "Choose whether the group is for women or men."},
            )
        elif compositions == {GroupComposition.BY_AGE}:
            field.required = True
            field.label = "Age band"
            field.help_text = "For example 18-29, or 60+ for 60 and older."
            field.error_messages["required"] = "Write the age band of the group."
        elif compositions == {GroupComposition.MIXED}:
            del self.fields["composition_label"]
        else:
            field.help_text = (
                "Only if the programme separates groups: 'women', 'men' or an age band such as "
                "18-29."
            )
        self.single_programme = len(programmes) == 1

    def chosen_programme(self) -> Programme:
        return _chosen(self.programmes, self.cleaned_data.get("programme") or "")


class PlaceForm(forms.Form):
    group = forms.UUIDField(
        label="Group",
        error_messages={"required": "Choose a group.", "invalid": "Choose one of the groups."},
    )


class DropForm(forms.Form):
    reason = forms.CharField(
        label="Why the member is leaving",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say briefly why the member is leaving."},
    )


class StartForm(forms.Form):
    started_on = forms.DateField(
        label="First meeting",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Write the date of the first meeting.",
            "invalid": DATE_MESSAGE,
        },
    )
