"""Forms for questionnaires, corrections, schedules and practice instruments.

Forms parse input; the engine (through the services) decides whether a set of
answers can be scored, so "what is required" lives in one place: the
definition. A questionnaire form therefore accepts any subset of known
answers and shows, item by item, the errors `score_answers` reports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from openipt.courses.models import Session
from openipt.measures.engine import Instrument, Item
from openipt.measures.services import (
    MAX_EVERY_N_SESSIONS,
    MAX_REASON_LENGTH,
    MAX_REQUEST_VALID_DAYS,
)

# Name of the hidden field carrying the instrument code and the idempotency key.
INSTRUMENT_FIELD = "instrument"
KEY_FIELD = "submission_key"


@dataclass(frozen=True)
class OptionRow:
    code: str
    display: str
    input_id: str
    checked: bool


@dataclass(frozen=True)
class ItemRow:
    """What the template needs to draw one item: a fieldset with a radio group."""

    number: int | None  # None for unscored items (e.g. the PHQ-9 difficulty question)
    link_id: str
    text: str
    fieldset_id: str
    error_id: str
    options: tuple[OptionRow, ...]
    error: str
    required: bool


def _safe_id(link_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in link_id)


class QuestionnaireForm:
    """The answers to one instrument, read from POST data by linkId.

    Not a Django Form: the fields come from the definition, and rendering is a
    fieldset per item (see `rows`), so the template stays accessible by hand.
    """

    def __init__(
        self,
        instrument: Instrument,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, int] | None = None,
    ) -> None:
        self.instrument = instrument
        self.data = data
        self.item_errors: dict[str, str] = {}
        self.non_item_errors: list[str] = []
        self._chosen: dict[str, str] = {}
        if data is not None:
            for item in instrument.items:
                value = data.get(item.link_id)
                if isinstance(value, str) and value:
                    self._chosen[item.link_id] = value
        elif initial:
            for item in instrument.items:
                ordinal = initial.get(item.link_id)
                option = item.option_for_ordinal(ordinal) if ordinal is not None else None
                if option is not None:
                    self._chosen[item.link_id] = option.code

    @property
    def is_bound(self) -> bool:
        return self.data is not None

    def answers(self) -> dict[str, object]:
        """The chosen option codes by linkId; the engine checks them."""
        return dict(self._chosen)

    def add_errors(self, errors: Mapping[str, str]) -> None:
        known = {item.link_id for item in self.instrument.items}
        for key, message in errors.items():
            if key in known and key not in self._chosen:
                # The engine names the linkId; a person needs plainer words.
                self.item_errors[key] = "Choose an answer to this question."
            elif key in known:
                self.item_errors[key] = message
            else:
                self.non_item_errors.append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.item_errors or self.non_item_errors)

    def rows(self) -> list[ItemRow]:
        rows: list[ItemRow] = []
        number = 0
        for item in self.instrument.items:
            if item.scored:
                number += 1
            rows.append(self._row(item, number if item.scored else None))
        return rows

    def _row(self, item: Item, number: int | None) -> ItemRow:
        base = f"q-{_safe_id(item.link_id)}"
        chosen = self._chosen.get(item.link_id)
        return ItemRow(
            number=number,
            link_id=item.link_id,
            text=item.text,
            fieldset_id=base,
            error_id=f"{base}-error",
            options=tuple(
                OptionRow(
                    code=option.code,
                    display=option.display,
                    input_id=f"{base}-{index}",
                    checked=option.code == chosen,
                )
                for index, option in enumerate(item.options)
            ),
            error=self.item_errors.get(item.link_id, ""),
            required=item.required,
        )

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the summary at the top, in item order."""
        summary: list[tuple[str, str]] = []
        for row in self.rows():
            if row.error:
                label = f"Question {row.number}" if row.number else "The last question"
                summary.append((row.fieldset_id, f"{label}: {row.error}"))
        return summary


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    return field


def new_submission_key() -> str:
    """A fresh key for one rendering of a questionnaire: a double click stores it once."""
    return uuid.uuid4().hex


class InstrumentChoiceForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "instrument").choices = list(choices)


class AdministrationDetailsForm(forms.Form):
    """The parts of a clinician's entry that are not answers: the session it belongs to."""

    session = forms.ChoiceField(
        label="Session",
        required=False,
        help_text="Link it to a session of this course, or leave it for the next one.",
    )

    def __init__(self, *args: Any, sessions: Iterable[Session], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "session").choices = [("", "Not linked to a session")] + [
            (str(s.public_id), f"Session {s.number} · {s.date:%-d %b %Y}") for s in sessions
        ]


class CorrectionReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why are the answers being corrected?",
        max_length=MAX_REASON_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: an answer was entered on the wrong line. The original stays "
        "in the record, marked as corrected.",
        error_messages={"required": "Say why the answers are being corrected."},
    )


class SendRequestForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", widget=forms.RadioSelect)
    valid_days = forms.IntegerField(
        label="Open for (days)",
        min_value=1,
        max_value=MAX_REQUEST_VALID_DAYS,
        help_text="After this the questionnaire closes and the client sees that it expired.",
    )

    def __init__(self, *args: Any, choices: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "instrument").choices = list(choices)


@dataclass
class ScheduleFormRow:
    code: str
    label: str
    administrable: bool
    active_name: str
    every_name: str
    active: bool
    every: str
    error: str


class ScheduleForm:
    """One row per instrument the practice can give: on/off and every how many sessions."""

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        current: Mapping[str, tuple[int, bool]],
        administrable: Mapping[str, bool],
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.instruments = instruments
        self.current = current
        self.administrable = administrable
        self.data = data
        self.errors: dict[str, str] = {}
        self.non_field_errors: list[str] = []

    def _row_values(self, code: str) -> tuple[bool, str]:
        if self.data is not None:
            return (
                self.data.get(f"active__{code}") == "on",
                str(self.data.get(f"every__{code}", "")),
            )
        every, active = self.current.get(code, (1, False))
        return active, str(every)

    def rows(self) -> list[ScheduleFormRow]:
        rows = []
        for code, instrument in self.instruments.items():
            active, every = self._row_values(code)
            if not (self.administrable.get(code) or code in self.current):
                continue
            rows.append(
                ScheduleFormRow(
                    code=code,
                    label=instrument.short_title,
                    administrable=self.administrable.get(code, False),
                    active_name=f"active__{code}",
                    every_name=f"every__{code}",
                    active=active,
                    every=every,
                    error=self.errors.get(code, ""),
                )
            )
        return rows

    def parse(self) -> list[tuple[str, int, bool]] | None:
        """(code, every_n, active) per row, or None with `errors` filled."""
        parsed: list[tuple[str, int, bool]] = []
        for row in self.rows():
            try:
                every = int(row.every)
            except ValueError:
                if row.active:
                    self.errors[row.code] = "Enter how often, as a number of sessions."
                    continue
                every = 1
            if row.active and not 1 <= every <= MAX_EVERY_N_SESSIONS:
                self.errors[row.code] = f"Choose every 1 to {MAX_EVERY_N_SESSIONS} sessions."
                continue
            parsed.append((row.code, max(1, min(every, MAX_EVERY_N_SESSIONS)), row.active))
        return None if self.errors else parsed


class DefinitionUploadForm(forms.Form):
    definition_text = forms.CharField(
        label="Definition (JSON)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Paste the definition here, or choose a file below.",
    )
    definition_file = forms.FileField(label="…or a JSON file", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("definition_text", "").strip() and not cleaned.get("definition_file"):
            raise forms.ValidationError("Paste a definition or choose a file.")
        return cleaned

    def payload(self) -> str | bytes:
        upload = self.cleaned_data.get("definition_file")
        if upload is not None:
            return bytes(upload.read(200_001))
        return str(self.cleaned_data["definition_text"])


class LicensedTextForm(forms.Form):
    instrument = forms.ChoiceField(label="Instrument")
    texts = forms.CharField(
        label="Licensed text (JSON)",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text='An object of texts: "stem", each item\'s linkId, and "linkId:answerCode" '
        "for each answer.",
        error_messages={"required": "Paste the licensed text."},
    )

    def __init__(self, *args: Any, choices: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "instrument").choices = list(choices)
