"""Forms for the inventory, the closeness circle and the timeline. They parse input;
the services (`services/inventory.py`, `circle.py`, `timeline.py`) decide and write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from openipt.courses.models import ContactFrequency, LifeEventKind, RelationshipKind, YesNoUnsure
from openipt.courses.models.inventory import MAX_RINGS
from openipt.courses.services.inventory import SUPPORT_KINDS

RING_CHOICES = [
    (1, "1 · closest"),
    (2, "2"),
    (3, "3"),
    (4, "4 · furthest"),
]
RING_ERROR = f"Choose a ring from 1 (closest) to {MAX_RINGS}."


def _blank(choices: Sequence[tuple[str, str]], label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


def _text(label: str, help_text: str = "", rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# Groups of fields, in the order of the form. The template draws one fieldset
# per group so that the long list of questions reads as a few short steps.
PERSON_FIELDSETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("who", "Who", ("name", "relationship")),
    (
        "contact",
        "Contact and closeness",
        ("ring", "contact_frequency", "shared_activities"),
    ),
    (
        "good",
        "What's good and not so good",
        ("good_things", "not_good_things", "feelings_together"),
    ),
    (
        "talking",
        "Talking and conflict",
        ("can_talk_about", "cannot_talk_about", "conflict", "knows_about_depression"),
    ),
    (
        "expectations",
        "Expectations",
        ("client_expectations", "other_expectations", "expectations_reciprocal"),
    ),
    (
        "support",
        "Support and change",
        ("support_kinds", "wished_change", "changed_near_onset", "onset_change"),
    ),
    ("area", "Link to a problem area", ("problem_area",)),
)
PERSON_FIELDS: tuple[str, ...] = tuple(name for _, _, names in PERSON_FIELDSETS for name in names)


class InventoryPersonForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(
        label="Name or alias",
        max_length=200,
        help_text="Whatever the client is comfortable with: a first name, initials, a nickname.",
        error_messages={"required": "Give a name or an alias."},
    )
    relationship = forms.ChoiceField(
        label="Relationship",
        choices=_blank(RelationshipKind.choices, "Choose…"),
        error_messages={
            "required": "Choose the relationship.",
            "invalid_choice": "Choose a relationship from the list.",
        },
    )
    ring = forms.TypedChoiceField(
        label="Ring in the closeness circle",
        choices=RING_CHOICES,
        coerce=int,
        initial=2,
        help_text="How close the client feels to this person now.",
        error_messages={"required": RING_ERROR, "invalid_choice": RING_ERROR},
    )
    contact_frequency = forms.ChoiceField(
        label="How often in contact",
        choices=_blank(ContactFrequency.choices),
        required=False,
        error_messages={"invalid_choice": "Choose how often they are in contact from the list."},
    )
    shared_activities = _text("What they do together")
    good_things = _text("What is good about the relationship")
    not_good_things = _text("What is not so good")
    feelings_together = _text("How the client feels when they are together")
    can_talk_about = _text("What they can talk about")
    cannot_talk_about = _text("What they cannot talk about")
    conflict = _text("Conflict", "How often, what happens, and whether it gets resolved.")
    knows_about_depression = forms.ChoiceField(
        label="Do they know the client is depressed?",
        choices=_blank(YesNoUnsure.choices),
        required=False,
    )
    client_expectations = _text("What the client expects of them")
    other_expectations = _text("What they expect of the client")
    expectations_reciprocal = forms.ChoiceField(
        label="Do the expectations match?",
        choices=_blank(YesNoUnsure.choices),
        required=False,
    )
    support_kinds = forms.MultipleChoiceField(
        label="Support they give",
        choices=SUPPORT_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose kinds of support from the list."},
    )
    wished_change = _text("The change the client wishes for")
    changed_near_onset = forms.BooleanField(
        label="The relationship changed around the time the depression began",
        required=False,
    )
    onset_change = _text("How it changed")
    problem_area = forms.ChoiceField(
        label="Linked problem area",
        required=False,
        help_text="If this relationship is part of a problem area you are working on.",
        error_messages={"invalid_choice": "Choose a problem area from the list."},
    )

    def __init__(
        self, *args: Any, area_choices: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem_area"].choices = _blank(area_choices, "None")  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if not name:
            raise forms.ValidationError("Give a name or an alias.")
        return name

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [(key, legend, [self[n] for n in names]) for key, legend, names in PERSON_FIELDSETS]


class RingForm(forms.Form):
    """Move one person on the circle: to a given ring, or one step closer or further."""

    ring = forms.TypedChoiceField(
        choices=RING_CHOICES,
        coerce=int,
        required=False,
        error_messages={"invalid_choice": RING_ERROR},
    )
    direction = forms.ChoiceField(
        choices=[("closer", "Closer"), ("further", "Further")], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("ring") and not data.get("direction"):
            raise forms.ValidationError("Choose a ring, or move the person closer or further.")
        return data


class CircleVersionForm(forms.Form):
    label = forms.CharField(
        label="Name this version",
        max_length=100,
        help_text='For example "Start of course" or "End of course".',
        error_messages={"required": "Give this version a name, e.g. “Start of course”."},
    )

    def clean_label(self) -> str:
        label = " ".join(str(self.cleaned_data["label"]).split())
        if not label:
            raise forms.ValidationError("Give this version a name, e.g. “Start of course”.")
        return label


class LifeEventForm(forms.Form):
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="If only the month or year is known, choose the first day of it.",
        error_messages={
            "required": "Give the date (or the first day of the month or year).",
            "invalid": "Enter the date as YYYY-MM-DD.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind of event",
        choices=_blank(LifeEventKind.choices, "Choose…"),
        error_messages={
            "required": "Choose the kind of event.",
            "invalid_choice": "Choose a kind of event from the list.",
        },
    )
    title = forms.CharField(
        label="What happened",
        max_length=200,
        help_text="A few words: this is the label on the timeline.",
        error_messages={"required": "Say in a few words what happened."},
    )
    description = _text("More detail", rows=3)
    people = forms.MultipleChoiceField(
        label="People involved",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose people from this client's inventory."},
    )
    linked_to_onset = forms.BooleanField(
        label="Linked to the onset or worsening of the depression", required=False
    )

    def __init__(
        self, *args: Any, people_choices: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = list(people_choices)  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        title = " ".join(str(self.cleaned_data["title"]).split())
        if not title:
            raise forms.ValidationError("Say in a few words what happened.")
        return title
