"""Forms of the appointment pages. They check shape; the services check meaning and conflicts."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openipt.appointments.models import AppointmentKind, ChangeKind
from openipt.appointments.services.appointments import (
    MAX_LOCATION_LENGTH,
    MAX_MINUTES,
    MIN_MINUTES,
)
from openipt.appointments.services.requests import MAX_NOTE_LENGTH
from openipt.courses.models import Course, Session
from openipt.practice.models import Client

DEFAULT_MINUTES = 50


class _TimeFields(forms.Form):
    """A date, a start time and a length, read in the site's time zone."""

    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose a date.", "invalid": "Enter a date."},
    )
    time = forms.TimeField(
        label="Starts at",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Choose a start time.", "invalid": "Enter a time."},
    )
    duration = forms.IntegerField(
        label="Minutes",
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        initial=DEFAULT_MINUTES,
        error_messages={"required": "Say how long it lasts."},
    )

    def starts_at(self) -> datetime.datetime:
        naive = datetime.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(naive)

    def ends_at(self) -> datetime.datetime:
        return self.starts_at() + datetime.timedelta(minutes=self.cleaned_data["duration"])

    @staticmethod
    def initial_for(starts_at: datetime.datetime, ends_at: datetime.datetime) -> dict[str, Any]:
        local = timezone.localtime(starts_at)
        return {
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration": int((ends_at - starts_at).total_seconds() // 60),
        }


class _DetailFields(forms.Form):
    kind = forms.ChoiceField(label="How", choices=AppointmentKind.choices, widget=forms.RadioSelect)
    location = forms.CharField(
        label="Where or how to join",
        required=False,
        max_length=MAX_LOCATION_LENGTH,
        help_text="Shown to the client, e.g. “Room 2” or “the video link from the practice”. "
        "Practical directions only.",
    )


class _ClientChoice(forms.ModelChoiceField[Client]):
    def label_from_instance(self, obj: Client) -> str:
        return obj.display_name


class _CourseChoice(forms.ModelChoiceField[Course]):
    def label_from_instance(self, obj: Course) -> str:
        return f"{obj.client.display_name} · course from {obj.start_date:%-d %b %Y}"


class AppointmentForm(_TimeFields, _DetailFields):
    client = _ClientChoice(
        label="Client",
        queryset=Client.objects.none(),
        to_field_name="public_id",
        empty_label="Choose a client",
        error_messages={"required": "Choose a client.", "invalid_choice": "Choose a client."},
    )
    course = _CourseChoice(
        label="IPT course",
        queryset=Course.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Not linked to a course",
        error_messages={"invalid_choice": "Choose one of this client's current courses."},
    )

    field_order = ["client", "course", "date", "time", "duration", "kind", "location"]

    def __init__(self, *args: Any, clients: Any, courses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client, course = data.get("client"), data.get("course")
        if client is not None and course is not None and course.client_id != client.pk:
            self.add_error("course", "Choose one of this client's current courses.")
        return data


class MoveForm(_TimeFields, _DetailFields):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    field_order = ["date", "time", "duration", "kind", "location"]


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class _SessionChoice(forms.ModelChoiceField[Session]):
    def label_from_instance(self, obj: Session) -> str:
        return f"Session {obj.number} · {obj.date:%-d %b %Y}"


class HeldForm(forms.Form):
    session = _SessionChoice(
        label="Session recorded for it",
        queryset=Session.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="None (not yet recorded)",
    )

    def __init__(self, *args: Any, sessions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]


class AcceptMoveForm(_TimeFields):
    """The new time, when accepting a request to move an appointment."""


class ChangeRequestForm(forms.Form):
    """The client's request. Its labels are shown in the client's language."""

    kind = forms.ChoiceField(
        label=_("What would you like?"),
        choices=ChangeKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to cancel or move the appointment.")},
    )
    note = forms.CharField(
        label=_("Anything your clinician should know (optional)"),
        help_text=_("For example, days or times that would suit you better."),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
