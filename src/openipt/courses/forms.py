"""Forms for the course pages owned by views/course.py."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from openipt.courses.models.formulation import DISPUTE_STAGE_CHOICES, FREQUENCY_CHOICES
from openipt.protocol.problem_areas import MAX_FOCUS_AREAS, ProblemAreaCode
from openipt.protocol.variants import VARIANTS


def variant_choices() -> list[tuple[str, str]]:
    return [(code, variant.name) for code, variant in VARIANTS.items()]


class CourseStartForm(forms.Form):
    variant = forms.ChoiceField(label="Kind of IPT", choices=variant_choices)
    planned_sessions = forms.IntegerField(
        label="Planned sessions",
        min_value=1,
        max_value=60,
        required=False,
        help_text="Leave empty for an open-ended maintenance course.",
    )
    frequency = forms.ChoiceField(choices=FREQUENCY_CHOICES)
    session_minutes = forms.IntegerField(
        label="Session length (minutes)", min_value=10, max_value=180
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    initial_last = forms.IntegerField(
        label="Initial phase ends after session",
        min_value=1,
        required=False,
        help_text="Leave empty for the variant's default.",
    )
    middle_last = forms.IntegerField(
        label="Middle phase ends after session",
        min_value=2,
        required=False,
        help_text="Leave empty for the variant's default.",
    )
    expected_delivery_date = forms.DateField(
        required=False,
        label="Expected date of delivery (perinatal)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    delivery_date = forms.DateField(
        required=False,
        label="Date of birth of the baby (perinatal)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_start_date(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["start_date"]
        if value > timezone.localdate() + datetime.timedelta(days=365):
            raise forms.ValidationError("The start date is more than a year away.")
        return value

    def course_start_arguments(self) -> dict[str, Any]:
        """The validated values as `course_start` takes them (the page and the API)."""
        data = self.cleaned_data
        return {
            "variant_code": data["variant"],
            **{
                name: data[name]
                for name in (
                    "planned_sessions",
                    "frequency",
                    "session_minutes",
                    "start_date",
                    "initial_last",
                    "middle_last",
                    "expected_delivery_date",
                    "delivery_date",
                )
            },
        }


class PlanForm(forms.Form):
    planned_sessions = forms.IntegerField(
        min_value=1, max_value=60, required=False, label="Planned sessions"
    )
    initial_last = forms.IntegerField(min_value=1, label="Initial phase ends after session")
    middle_last = forms.IntegerField(min_value=2, label="Middle phase ends after session")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Reason for the change"
    )


class AdvanceForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason for moving on without the gate",
    )


class FormulationForm(forms.Form):
    text = forms.CharField(
        label="Formulation (in words the client will read)",
        widget=forms.Textarea(attrs={"rows": 6, "data-draft-key": "formulation"}),
    )


AREA_CHOICES = [("", "—")] + [
    (c.value, c.value.replace("_", " ").capitalize()) for c in ProblemAreaCode
]


class FocusAreaForm(forms.Form):
    area = forms.ChoiceField(choices=AREA_CHOICES, required=False, label="Problem area")
    detail = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="In the client's situation"
    )
    dispute_person = forms.ChoiceField(required=False, label="Dispute with")
    dispute_stage = forms.ChoiceField(
        choices=[("", "—"), *DISPUTE_STAGE_CHOICES], required=False, label="Stage of the dispute"
    )
    old_role = forms.CharField(required=False, label="Old role")
    new_role = forms.CharField(required=False, label="New role")
    grief_person = forms.ChoiceField(required=False, label="Who was lost")
    loss_date = forms.DateField(
        required=False, label="When", widget=forms.DateInput(attrs={"type": "date"})
    )
    loss_is_death = forms.BooleanField(required=False, initial=True, label="The loss was a death")

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *people]
        self.fields["dispute_person"].choices = choices  # type: ignore[attr-defined]
        self.fields["grief_person"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        area = data.get("area")
        if area == ProblemAreaCode.ROLE_DISPUTE and not data.get("dispute_stage"):
            self.add_error("dispute_stage", "Say which stage the dispute is in.")
        if area == ProblemAreaCode.ROLE_TRANSITION and not (
            data.get("old_role") and data.get("new_role")
        ):
            self.add_error("new_role", "Name the old and the new role.")
        loss_date = data.get("loss_date")
        if loss_date and loss_date > timezone.localdate():
            self.add_error("loss_date", "The loss cannot be in the future.")
        return data


FocusFormSet = forms.formset_factory(
    FocusAreaForm,
    extra=0,
    min_num=MAX_FOCUS_AREAS,
    max_num=MAX_FOCUS_AREAS,
    validate_max=True,
)


class FocusReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for changing the focus",
    )


class GoalForm(forms.Form):
    text = forms.CharField(label="Goal", widget=forms.Textarea(attrs={"rows": 2}))
    focus_area = forms.ChoiceField(required=False, label="Problem area")
    rating_at_start = forms.IntegerField(
        required=False, min_value=0, max_value=10, label="Where things stand now (0–10)"
    )

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus_area"].choices = [("", "—"), *areas]  # type: ignore[attr-defined]


class ContractForm(forms.Form):
    sessions = forms.IntegerField(
        min_value=1, max_value=60, required=False, label="Number of sessions"
    )
    frequency = forms.ChoiceField(choices=FREQUENCY_CHOICES)
    session_minutes = forms.IntegerField(
        min_value=10, max_value=180, label="Session length (minutes)"
    )
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Anything else agreed"
    )
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason for renegotiating"
    )
