"""The portal's forms. They parse what the client typed; the services decide.

Every label is translatable (the client's language is active in the portal).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openipt.courses.models import ExperimentStatus, InventoryPerson
from openipt.courses.services.sessions import MAX_TEXT_LENGTH
from openipt.diary.models import MOOD_MAX, MOOD_MIN
from openipt.diary.services import MAX_NOTE_LENGTH


def _text(label: Any, help_text: Any = "", rows: int = 3, max_length: int = MAX_TEXT_LENGTH) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ExperimentReportForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Did you try it?"),
        choices=[
            (ExperimentStatus.DONE, _("Yes, I tried it")),
            (ExperimentStatus.NOT_DONE, _("No, not this time")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you tried it.")},
    )
    what_happened = _text(
        _("What happened?"),
        _(
            "Where you were, who was there, what you did. If you did not try it, "
            "what got in the way."
        ),
    )
    what_was_said = _text(_("What was said?"), _("What you said, and what the other person said."))
    how_it_felt = _text(_("How did it feel?"), _("Before, during and after."))


def _mood_choices() -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(MOOD_MIN, MOOD_MAX + 1)]


class DiaryForm(forms.Form):
    date = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("Enter a date, like 2026-03-14."),
            "required": _("Choose the day."),
        },
    )
    mood = forms.TypedChoiceField(
        label=_("My mood, from 0 (the worst) to 10 (the best)"),
        choices=_mood_choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
    people = forms.MultipleChoiceField(
        label=_("Who was involved? (optional)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose people from your own list.")},
    )
    note = _text(
        _("A note (optional)"),
        _("What happened today, in a few words. Only you and your care team can read it."),
        rows=3,
        max_length=MAX_NOTE_LENGTH,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, people: list[InventoryPerson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["people"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(str(p.public_id), p.name) for p in people]
        if not people:
            # Before a course has an inventory there is nobody to choose.
            del self.fields["people"]
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
