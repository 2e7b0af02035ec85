"""Forms for sessions, experiments and medication. Forms parse input; services decide."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from openipt.courses.models import (
    Attendance,
    ExperimentStatus,
    FocusArea,
    InventoryPerson,
    MedicationAdherence,
)
from openipt.courses.services.medication import MedicationData
from openipt.courses.services.sessions import (
    MAX_TEXT_LENGTH,
    SESSION_TEXT_FIELDS,
    SessionContent,
    TechniqueEntry,
)
from openipt.protocol.adherence import items_for
from openipt.protocol.phases import Phase
from openipt.protocol.techniques import TECHNIQUES, Technique

DATE_WIDGET = {"type": "date"}


def _text(label: str, *, rows: int = 4, help_text: str = "", required: bool = False) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        max_length=MAX_TEXT_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


def technique_field_name(code: str, field: str) -> str:
    return f"tech__{code}__{field}"


@dataclass
class TechniqueRow:
    """What the template needs to draw one technique: its box and its own fields."""

    technique: Technique
    checked: bool
    input_id: str
    fields: list[forms.BoundField]


class SessionForm(forms.Form):
    """The session record. `creating` adds the number field; `draft_prefix` marks every
    textarea for autosave (`data-draft-key`), with the version each draft is based on."""

    number = forms.IntegerField(label="Session number")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs=DATE_WIDGET))
    attendance = forms.ChoiceField(
        label="Attendance",
        choices=Attendance.choices,
        initial=Attendance.ATTENDED,
        widget=forms.RadioSelect,
    )
    interval_history = _text(
        "How have things been since we last met?",
        help_text="The interval history, in the client's words where possible.",
    )
    mood_event_links = _text(
        "Mood and events",
        rows=3,
        help_text="How this week's events and the client's mood affected each other, "
        "in both directions.",
    )
    problem_area_work = _text("Work on the focus", rows=4)
    techniques = forms.MultipleChoiceField(
        label="Techniques used", required=False, widget=forms.CheckboxSelectMultiple
    )
    adherence = forms.MultipleChoiceField(
        label="Adherence checklist", required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = _text("Summary", rows=4, help_text="What was covered and agreed.")
    process_note = _text(
        "Process note",
        rows=5,
        help_text="Visible to the clinical team only — never shown to the client.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        phase: Phase,
        creating: bool,
        draft_prefix: str,
        draft_version: int = 0,
        note_draft_version: int = 0,
        focus_text: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.phase = phase
        self.creating = creating
        if not creating:
            del self.fields["number"]
        self._choice_field("techniques").choices = [(t.code, t.name) for t in TECHNIQUES.values()]
        self._choice_field("adherence").choices = [(i.code, i.text) for i in items_for(phase)]
        if focus_text:
            self.fields["problem_area_work"].help_text = focus_text
        for technique in TECHNIQUES.values():
            for code, label in technique.structured_fields:
                name = technique_field_name(technique.code, code)
                self.fields[name] = _text(label, rows=2)
                self.fields[name].widget.attrs["data-draft-key"] = (
                    f"{draft_prefix}tech:{technique.code}:{code}"
                )
                self.fields[name].widget.attrs["data-draft-version"] = str(draft_version)
        for name in SESSION_TEXT_FIELDS:
            self.fields[name].widget.attrs["data-draft-key"] = f"{draft_prefix}{name}"
            self.fields[name].widget.attrs["data-draft-version"] = str(draft_version)
        note = self.fields["process_note"].widget
        note.attrs["data-draft-key"] = f"{draft_prefix}process_note"
        note.attrs["data-draft-version"] = str(note_draft_version)
        note.attrs["class"] = "process-note-text"

    # --- techniques -----------------------------------------------------------------

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return choice_field(self, name)

    def _ticked(self) -> set[str]:
        value = self["techniques"].value()
        return {str(code) for code in value} if isinstance(value, list | tuple) else set()

    def technique_rows(self) -> list[TechniqueRow]:
        ticked = self._ticked()
        rows = []
        for index, technique in enumerate(TECHNIQUES.values()):
            fields = [
                self[technique_field_name(technique.code, code)]
                for code, _label in technique.structured_fields
            ]
            rows.append(
                TechniqueRow(
                    technique=technique,
                    checked=technique.code in ticked,
                    input_id=f"{self['techniques'].auto_id}_{index}",
                    fields=fields,
                )
            )
        return rows

    def technique_entries(self) -> list[TechniqueEntry]:
        """The ticked techniques with their fields. The fields of an unticked technique
        are not kept: the page shows them only while the box is ticked."""
        entries = []
        for code in self.cleaned_data["techniques"]:
            technique = TECHNIQUES[code]
            details = {
                field: str(self.cleaned_data.get(technique_field_name(code, field)) or "")
                for field, _label in technique.structured_fields
            }
            entries.append(TechniqueEntry(code=code, details=details))
        return entries

    def content(self) -> SessionContent:
        data = self.cleaned_data
        return SessionContent(
            date=data["date"],
            attendance=data["attendance"],
            interval_history=data["interval_history"],
            mood_event_links=data["mood_event_links"],
            problem_area_work=data["problem_area_work"],
            summary=data["summary"],
            techniques=self.technique_entries(),
            adherence=list(data["adherence"]),
            process_note=data["process_note"],
        )


class ExperimentForm(forms.Form):
    description = _text(
        "What the client will try before the next session",
        rows=3,
        required=True,
        help_text="For example: have the conversation you rehearsed; contact one person "
        "from your outer circle.",
    )
    problem_area = forms.ChoiceField(label="Linked focus area", required=False)
    person = forms.ChoiceField(label="With whom (from the inventory)", required=False)

    def __init__(
        self,
        *args: Any,
        focus_areas: Sequence[tuple[FocusArea, str]],
        people: Sequence[InventoryPerson],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(person.public_id): person for person in people}
        choice_field(self, "problem_area").choices = [("", "—")] + [
            (area.area, label) for area, label in focus_areas
        ]
        choice_field(self, "person").choices = [("", "—")] + [
            (str(person.public_id), person.name) for person in people
        ]

    def chosen_person(self) -> InventoryPerson | None:
        return self.people.get(self.cleaned_data.get("person") or "")


class ExperimentReviewForm(forms.Form):
    status = forms.ChoiceField(
        label="How it went",
        choices=[
            (ExperimentStatus.DONE, "Done"),
            (ExperimentStatus.NOT_DONE, "Not done"),
            (ExperimentStatus.REVIEWED, "Reviewed together"),
        ],
        widget=forms.RadioSelect,
    )
    review_note = _text("Review note", rows=2)


class MedicationForm(forms.Form):
    agent = forms.CharField(label="Medication", max_length=100)
    dose = forms.CharField(
        label="Starting dose", max_length=100, help_text="Later changes are recorded separately."
    )
    prescriber = forms.CharField(label="Prescriber", max_length=200, required=False)
    start_date = forms.DateField(label="Started", widget=forms.DateInput(attrs=DATE_WIDGET))
    stop_date = forms.DateField(
        label="Stopped", required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    adherence = forms.ChoiceField(
        label="Adherence", choices=MedicationAdherence.choices, initial=MedicationAdherence.UNKNOWN
    )
    side_effects = _text("Side effects", rows=3)
    notes = _text("Notes", rows=3)
    updated = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, stop = cleaned.get("start_date"), cleaned.get("stop_date")
        if start and stop and stop < start:
            self.add_error("stop_date", "The stop date cannot be before the start date.")
        return cleaned

    def clean_updated(self) -> datetime.datetime | None:
        value = self.cleaned_data.get("updated") or ""
        if not value:
            return None
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError as exc:
            raise forms.ValidationError("Reload the page and try again.") from exc

    def data_object(self) -> MedicationData:
        data = self.cleaned_data
        return MedicationData(
            agent=data["agent"],
            dose=data["dose"],
            prescriber=data["prescriber"],
            start_date=data["start_date"],
            stop_date=data["stop_date"],
            adherence=data["adherence"],
            side_effects=data["side_effects"],
            notes=data["notes"],
        )


class MedicationChangeForm(forms.Form):
    date = forms.DateField(label="From", widget=forms.DateInput(attrs=DATE_WIDGET))
    dose = forms.CharField(label="New dose", max_length=100)
    note = _text("Why", rows=2)


class DraftForm(forms.Form):
    key = forms.CharField(max_length=100)
    text = forms.CharField(required=False, strip=False, max_length=MAX_TEXT_LENGTH)
    base_version = forms.IntegerField(required=False, min_value=0)


class DraftDiscardForm(forms.Form):
    key_prefix = forms.CharField(max_length=100)
    next = forms.CharField(max_length=500, required=False)
