"""The progress review form: texts, outcome and next step; item ratings come as row fields."""

from __future__ import annotations

from django import forms

from openipt.courses.models import NextStep, OutcomeCategory


class TerminationReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    feelings_about_ending = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Feelings about ending",
    )
    warning_signs = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Personal warning signs (symptoms and interpersonal triggers)",
    )
    coping_plan = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="What to do if they appear"
    )
    support_contacts = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="People to turn to"
    )
    outcome_category = forms.ChoiceField(
        required=False, choices=[("", "—"), *OutcomeCategory.choices], label="Outcome"
    )
    next_step = forms.ChoiceField(
        required=False, choices=[("", "—"), *NextStep.choices], label="Next step"
    )
    next_step_detail = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="About the next step"
    )
