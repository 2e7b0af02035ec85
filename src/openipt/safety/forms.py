"""Forms of the safety pages. Validation of meaning lives in the services; these check shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from openipt.practice.models import Membership, Practice
from openipt.safety.models import PLAN_SECTIONS, AlertAction
from openipt.safety.selectors import on_call_candidates
from openipt.safety.services.plans import MAX_SECTION_LENGTH, PlanSections
from openipt.safety.services.practice_settings import MAX_DEADLINE_HOURS, MAX_STATEMENT_LENGTH


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(
        label="What did you do?",
        choices=AlertAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you did."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for “Other”. Kept encrypted with the alert.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == AlertAction.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "Describe what you did.")
        return data


class SafetyPlanForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reviewed_with_client = forms.BooleanField(
        label="I went through this version with the client", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, heading, help_text in PLAN_SECTIONS:
            self.fields[name] = forms.CharField(
                label=heading,
                help_text=help_text,
                required=False,
                max_length=MAX_SECTION_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        # Sections first, then the review box (the hidden version goes anywhere).
        self.order_fields([name for name, _, _ in PLAN_SECTIONS] + ["reviewed_with_client"])

    def sections(self) -> PlanSections:
        return PlanSections(**{name: self.cleaned_data[name] for name, _, _ in PLAN_SECTIONS})

    def section_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _, _ in PLAN_SECTIONS]


class _OnCallChoice(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user} · {obj.get_role_display()}"


class SafetySettingsForm(forms.Form):
    ack_deadline_hours = forms.IntegerField(
        label="Hours to acknowledge an alert",
        min_value=1,
        max_value=MAX_DEADLINE_HOURS,
        help_text="After this, the alert is escalated to every supervisor and the on-call person.",
    )
    on_call = _OnCallChoice(
        label="On-call person",
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="Told of every new alert and every escalation, and may acknowledge them.",
    )
    reply_time_statement = forms.CharField(
        label="When messages are read",
        max_length=MAX_STATEMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shown to clients beside the crisis numbers. Plain words; no clinical advice.",
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on_call"].queryset = on_call_candidates(practice=practice)  # type: ignore[attr-defined]


class CrisisResourceForm(forms.Form):
    language = forms.ChoiceField(label="Language", choices=())
    name = forms.CharField(label="Name", max_length=120)
    contact = forms.CharField(
        label="Phone or text", max_length=120, help_text="e.g. “Call or text 988”."
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who it is for and when it is open.",
    )
    order = forms.IntegerField(
        label="Order", min_value=0, max_value=999, initial=0, help_text="Lower numbers come first."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.CLIENT_LANGUAGES  # type: ignore[attr-defined]
