"""Forms of the programme manager's pages. They check shape; the services check meaning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from openipt.groups.models import GroupComposition, Programme
from openipt.groups.selectors.dashboard import DashboardFilters
from openipt.groups.services.programmes import MAX_AGE, MAX_GROUP_SIZE, MAX_NAME_LENGTH
from openipt.practice.models import Organisation, Practice
from openipt.protocol.group import GROUP_VARIANTS, PHQ9_MAX


class DateInput(forms.DateInput):
    input_type = "date"


class DashboardFilterForm(forms.Form):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD&site=<practice public id>`, all optional."""

    def __init__(self, *args: Any, sites: Sequence[Practice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sites = {str(site.public_id): site for site in sites}
        date_errors = {"invalid": "Write the date as year-month-day, for example 2026-03-31."}
        # "from" is a Python keyword, so these fields are added by name.
        self.fields["from"] = forms.DateField(
            label="Groups that started from",
            required=False,
            widget=DateInput(format="%Y-%m-%d"),
            error_messages=date_errors,
        )
        self.fields["to"] = forms.DateField(
            label="to",
            required=False,
            widget=DateInput(format="%Y-%m-%d"),
            error_messages=date_errors,
        )
        self.fields["site"] = forms.ChoiceField(
            label="Site",
            required=False,
            choices=[("", "All sites")] + [(key, site.name) for key, site in self.sites.items()],
            error_messages={"invalid_choice": "Choose one of this programme's sites."},
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", "The end of the period is before its start.")
        return data

    def filters(self) -> DashboardFilters:
        data = self.cleaned_data
        return DashboardFilters(
            date_from=data.get("from"),
            date_to=data.get("to"),
            site=self.sites.get(data.get("site") or ""),
        )


class _SiteChoices(forms.ModelMultipleChoiceField[Practice]):
    def label_from_instance(self, obj: Practice) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


def _whole(label: str, low: int, high: int, *, required: bool = True, help_text: str = "") -> Any:
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, required=required, help_text=help_text
    )


class ProgrammeSettingsForm(forms.Form):
    """Every setting of a programme.

    `organisation` is asked only when a manager of several creates a programme.
    """

    name = forms.CharField(label="Name", max_length=MAX_NAME_LENGTH)
    variant_code = forms.ChoiceField(
        label="Group model",
        choices=[(code, variant.name) for code, variant in GROUP_VARIANTS.items()],
    )
    group_sessions = _whole(
        "Group sessions",
        1,
        30,
        help_text="How many times each group meets (the pre-group "
        "individual session is not counted).",
    )
    initial_last = _whole(
        "Last session of the opening phase", 1, 30, help_text="Usually 1 (2 in clinic groups)."
    )
    middle_last = _whole(
        "Last session of the middle phase",
        1,
        30,
        help_text="The sessions after it close the group.",
    )
    min_phq9 = _whole("Lowest PHQ-9 total to join", 0, PHQ9_MAX, help_text="Often 10.")
    max_phq9 = _whole(
        "Highest PHQ-9 total to join",
        0,
        PHQ9_MAX,
        required=False,
        help_text="Leave empty for no limit. Above it, people are referred for individual care.",
    )
    min_age = _whole("Youngest age", 0, MAX_AGE, required=False, help_text="Empty: no limit.")
    max_age = _whole("Oldest age", 0, MAX_AGE, required=False, help_text="Empty: no limit.")
    min_group_size = _whole("Smallest group", 1, MAX_GROUP_SIZE)
    max_group_size = _whole("Largest group", 1, MAX_GROUP_SIZE)
    composition = forms.ChoiceField(
        label="How groups are made up", choices=GroupComposition.choices
    )
    caregiver_session = forms.BooleanField(
        label="Offer a joint session with a parent or caregiver (adolescent groups)",
        required=False,
    )
    low_attendance_percent = _whole(
        "Low attendance below (%)",
        0,
        100,
        help_text="Groups below this attendance show in the supervisor's queue.",
    )
    low_adherence_percent = _whole(
        "Low adherence below (%)",
        0,
        100,
        help_text="Sessions that kept to less of the checklist show in the supervisor's queue.",
    )
    is_active = forms.BooleanField(
        label="Open: facilitators can screen people for this programme", required=False
    )
    # Chosen by public id: integer keys never leave the database.
    sites = _SiteChoices(
        label="Sites",
        queryset=Practice.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The programme's last save when the form was opened: a save over a newer one is refused.
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        organisations: Sequence[Organisation],
        ask_organisation: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        sites_field = cast(_SiteChoices, self.fields["sites"])
        sites_field.queryset = Practice.objects.filter(organisation__in=organisations).order_by(
            "name"
        )
        if ask_organisation:
            self.fields["organisation"] = forms.ModelChoiceField(
                label="Organisation",
                queryset=Organisation.objects.filter(pk__in=[o.pk for o in organisations]),
            )
            self.order_fields(["organisation"])

    @staticmethod
    def initial_for(programme: Programme, sites: Sequence[Practice]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(programme, name)
            for name in ProgrammeSettingsForm.base_fields
            if name not in ("sites", "loaded_at")
        }
        initial["sites"] = list(sites)
        initial["loaded_at"] = programme.updated_at.isoformat() if programme.updated_at else ""
        return initial

    def settings(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for the services."""
        data = dict(self.cleaned_data)
        data.pop("loaded_at", None)
        data.pop("organisation", None)
        data["sites"] = list(data.get("sites") or [])
        return data
