"""The termination phase's progress review, and the closing of the course."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class OutcomeCategory(models.TextChoices):
    RESPONDER = "responder", "Responded"
    PARTIAL = "partial", "Partly responded"
    NON_RESPONDER = "non_responder", "Did not respond"
    NOT_ASSESSED = "not_assessed", "Not assessed"


class NextStep(models.TextChoices):
    END = "end", "End treatment"
    CONTINUATION = "continuation", "Continuation sessions"
    MAINTENANCE = "maintenance", "Maintenance IPT (new contract)"
    MEDICATION_REVIEW = "medication_review", "Medication review"
    REFERRAL = "referral", "Referral"
    ALTERNATIVE = "alternative", "An alternative treatment"


class TerminationReview(PublicModel):
    course = models.OneToOneField(
        "courses.Course", on_delete=models.PROTECT, related_name="termination_review"
    )
    feelings_about_ending = EncryptedTextField(blank=True)
    warning_signs = EncryptedTextField(blank=True)
    coping_plan = EncryptedTextField(blank=True)
    support_contacts = EncryptedTextField(blank=True)
    outcome_category = models.CharField(max_length=16, choices=OutcomeCategory.choices, blank=True)
    next_step = models.CharField(max_length=24, choices=NextStep.choices, blank=True)
    next_step_detail = EncryptedTextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Termination review {self.public_id}"


class ProblemReview(PublicModel):
    """Progress on one problem or goal identified at the start: rated then, and now."""

    review = models.ForeignKey(TerminationReview, on_delete=models.CASCADE, related_name="items")
    focus_area = models.ForeignKey(
        "courses.FocusArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    goal = models.ForeignKey(
        "courses.Goal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rating_at_start = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_now = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                name="problem_review_ratings_0_to_10",
                condition=(Q(rating_at_start__isnull=True) | Q(rating_at_start__lte=10))
                & (Q(rating_now__isnull=True) | Q(rating_now__lte=10)),
            ),
            models.CheckConstraint(
                name="problem_review_names_one_thing",
                condition=Q(focus_area__isnull=False) | Q(goal__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Problem review {self.public_id}"
