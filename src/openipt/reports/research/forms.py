"""The export's options, checked the same way for the page and the command."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms

from openipt.reports.research.options import DateMode, ExportKind, ExportOptions

_DATE = forms.DateInput(attrs={"type": "date"})


class ResearchExportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What to export",
        choices=(),
        error_messages={
            "invalid_choice": "“%(value)s” is not an export you can make here: "
            "choose one from the list."
        },
    )
    dates = forms.ChoiceField(
        label="Dates",
        choices=[(mode.value, mode.label) for mode in DateMode],
        initial=DateMode.SHIFT.value,
    )
    period_from = forms.DateField(
        required=False,
        label="From",
        widget=_DATE,
        help_text="Rows on or after this date (the real date, before any shift).",
    )
    period_to = forms.DateField(
        required=False, label="To", widget=_DATE, help_text="Rows on or before this date."
    )
    instrument = forms.ChoiceField(
        required=False,
        label="Instrument",
        choices=(),
        help_text="Questionnaires and group scores: one instrument, with its items as columns.",
    )

    def __init__(
        self,
        *args: Any,
        kinds: Sequence[ExportKind],
        instrument_codes: Iterable[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = tuple(kinds)
        kind_field = cast(forms.ChoiceField, self.fields["kind"])
        kind_field.choices = [(kind.value, kind.label) for kind in self.kinds]
        instrument_field = cast(forms.ChoiceField, self.fields["instrument"])
        instrument_field.choices = [
            ("", "Every instrument"),
            *((c, c) for c in sorted(instrument_codes)),
        ]

    def clean_kind(self) -> ExportKind:
        # Only reached for a value offered to this actor; a kind that exists but
        # is not theirs (group scores for an admin) was refused as "not offered".
        return ExportKind(self.cleaned_data["kind"])

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        start, end = self.cleaned_data.get("period_from"), self.cleaned_data.get("period_to")
        if start is not None and end is not None and start > end:
            self.add_error("period_to", "The end of the period is before its start.")
        return cleaned

    def options(self) -> ExportOptions:
        """The checked options (call after is_valid())."""
        data = self.cleaned_data
        return ExportOptions(
            kind=data["kind"],
            dates=DateMode(data["dates"]),
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
            instrument=data.get("instrument") or None,
        )
