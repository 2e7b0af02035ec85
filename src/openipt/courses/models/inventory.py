"""The interpersonal inventory (protocol note §5.1) and the versioned closeness circle (§5.2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel
from openipt.courses.models.formulation import PROBLEM_AREA_CHOICES

MAX_RINGS = 4


class RelationshipKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    PARENT = "parent", "Parent"
    CHILD = "child", "Child"
    SIBLING = "sibling", "Sibling"
    OTHER_FAMILY = "other_family", "Other family"
    FRIEND = "friend", "Friend"
    COWORKER = "coworker", "Co-worker"
    NEIGHBOUR = "neighbour", "Neighbour"
    PROFESSIONAL = "professional", "Professional"
    DECEASED = "deceased", "Deceased"
    OTHER = "other", "Other"


class ContactFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    RARELY = "rarely", "Rarely"
    NO_CONTACT = "none", "No contact"


class YesNoUnsure(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    PARTLY = "partly", "Partly"
    UNSURE = "unsure", "Not sure"


class InventoryPerson(PublicModel):
    """One important person in the client's life, past or present."""

    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="inventory")
    name = EncryptedTextField(help_text="A name or an alias the client is comfortable with.")
    relationship = models.CharField(max_length=16, choices=RelationshipKind.choices)
    ring = models.PositiveSmallIntegerField(default=2, help_text="1 is closest to the client.")
    contact_frequency = models.CharField(
        max_length=16, choices=ContactFrequency.choices, blank=True
    )
    shared_activities = EncryptedTextField(blank=True)
    good_things = EncryptedTextField(blank=True)
    not_good_things = EncryptedTextField(blank=True)
    can_talk_about = EncryptedTextField(blank=True)
    cannot_talk_about = EncryptedTextField(blank=True)
    feelings_together = EncryptedTextField(blank=True)
    conflict = EncryptedTextField(blank=True, help_text="How often, what happens, resolved?")
    knows_about_depression = models.CharField(max_length=8, choices=YesNoUnsure.choices, blank=True)
    client_expectations = EncryptedTextField(blank=True)
    other_expectations = EncryptedTextField(blank=True)
    expectations_reciprocal = models.CharField(
        max_length=8, choices=YesNoUnsure.choices, blank=True
    )
    wished_change = EncryptedTextField(blank=True)
    support_kinds = models.JSONField(default=list, blank=True)
    changed_near_onset = models.BooleanField(default=False)
    onset_change = EncryptedTextField(blank=True)
    problem_area = models.CharField(max_length=32, choices=PROBLEM_AREA_CHOICES, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["ring", "position", "created_at"]
        constraints = [
            models.CheckConstraint(
                name="inventory_ring_1_to_4", condition=Q(ring__gte=1) & Q(ring__lte=MAX_RINGS)
            )
        ]

    def __str__(self) -> str:
        return f"Inventory person {self.public_id}"


class CircleVersion(PublicModel):
    """A saved snapshot of the closeness circle (e.g. the start and the end of the course)."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="circle_versions"
    )
    number = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    rings = models.PositiveSmallIntegerField(default=3)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="circle_version_unique"),
            models.CheckConstraint(
                name="circle_rings_3_or_4", condition=Q(rings__gte=3) & Q(rings__lte=MAX_RINGS)
            ),
        ]

    def __str__(self) -> str:
        return f"Circle version {self.public_id}"


class CirclePlacement(models.Model):
    version = models.ForeignKey(CircleVersion, on_delete=models.CASCADE, related_name="placements")
    person = models.ForeignKey(InventoryPerson, on_delete=models.PROTECT, related_name="+")
    ring = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "person"], name="circle_placement_unique")
        ]

    def __str__(self) -> str:
        return f"Placement {self.pk}"
