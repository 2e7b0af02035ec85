"""Forms of the supervision pages. They check shape; the services check meaning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from openipt.groups.models import FidelityRater, FidelityRating
from openipt.groups.services.supervision import MAX_COMMENT_LENGTH, MAX_NOTE_LENGTH, rater_for
from openipt.protocol.group import FIDELITY_SCALE

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openipt.accounts.models import User
    from openipt.groups.models import Group, GroupSession

# Plain words for each point of the scale (our own wording, not a manual's).
FIDELITY_LABELS = {
    1: "1 · Hardly kept to group IPT",
    2: "2 · Kept to it in parts",
    3: "3 · Mostly kept to it (adequate)",
    4: "4 · Kept to it well",
    5: "5 · Kept to it very closely",
}
if tuple(FIDELITY_LABELS) != tuple(range(FIDELITY_SCALE[0], FIDELITY_SCALE[1] + 1)):
    raise RuntimeError("FIDELITY_LABELS must name every point of FIDELITY_SCALE.")


class FidelityForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How closely did the session keep to group IPT?",
        choices=list(FIDELITY_LABELS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5.",
            "invalid_choice": "Choose a rating from 1 to 5.",
        },
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept encrypted.",
    )
    # Where to go back to after saving (a page of this site only; checked in the view).
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, rater: str = FidelityRater.SELF, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rater = rater
        if rater == FidelityRater.SUPERVISOR:
            self.fields["score"].label = "Your rating: how closely did it keep to group IPT?"
        else:
            self.fields["score"].label = "Your own rating: how closely did you keep to group IPT?"


def fidelity_form_for(
    *, actor: User, session: GroupSession, next_url: str = "", auto_id: str | None = None
) -> FidelityForm | None:
    """The rating form for the session page, or None when the actor may not rate it.

    Pre-filled with the actor's kind of rating when there is one already.
    """
    rater = rater_for(actor=actor, session=session)
    if rater is None:
        return None
    initial: dict[str, Any] = {"next": next_url}
    current = FidelityRating.objects.filter(session=session, rater=rater).first()
    if current is not None:
        initial.update(score=current.score, comment=current.comment)
    return FidelityForm(
        rater=rater,
        initial=initial,
        auto_id=auto_id or f"fidelity-{session.public_id}-%s",
    )


class SupervisionNoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you discussed or noticed, and what was agreed. Kept encrypted.",
        error_messages={"required": "Write the note first."},
    )
    group = forms.ChoiceField(label="About one group (optional)", required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, groups: Iterable[Group] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group_field = self.fields["group"]
        assert isinstance(group_field, forms.ChoiceField)  # noqa: S101 - declared above
        group_field.choices = [("", "Their work in general")] + [
            (str(g.public_id), g.name) for g in groups
        ]
        group_field.error_messages["invalid_choice"] = "Choose one of this facilitator's groups."


class _PersonChoice(forms.ModelChoiceField["User"]):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)

    def to_python(self, value: Any) -> User | None:
        try:
            return super().to_python(value)
        except ValidationError as exc:
            # A malformed id is the same mistake as an unknown one: one plain message.
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from exc


class AssignmentForm(forms.Form):
    facilitator = _PersonChoice(
        label="Facilitator",
        queryset=None,
        empty_label="Choose a facilitator",
        to_field_name="public_id",
        error_messages={
            "required": "Choose a facilitator.",
            "invalid_choice": "Choose one of the facilitators listed.",
        },
    )
    supervisor = _PersonChoice(
        label="Supervisor",
        queryset=None,
        empty_label="Choose a supervisor",
        to_field_name="public_id",
        error_messages={
            "required": "Choose a supervisor.",
            "invalid_choice": "Choose one of the supervisors listed.",
        },
    )

    def __init__(self, *args: Any, facilitators: Any, supervisors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = facilitators  # type: ignore[attr-defined]
        self.fields["supervisor"].queryset = supervisors  # type: ignore[attr-defined]


class UnassignForm(forms.Form):
    assignment = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": "Choose an assignment.", "invalid": "Choose an assignment."},
    )
