"""The client's mood diary: one short entry a day, written in the portal.

The point of the diary in IPT is to see mood beside relationships, so an entry
can name people from the client's interpersonal inventory. Those people belong
to a course, so an entry made while a course runs is tied to it; an entry
without a course (before the first one, or between courses) names nobody.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel

MOOD_MIN = 0
MOOD_MAX = 10


class DiaryEntry(PublicModel):
    """How the client felt on one day. One entry per client per day: a second save updates it."""

    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="diary_entries"
    )
    # Denormalised from the client, like every clinical row, so that a practice's
    # rows can be scoped without a join.
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="diary_entries"
    )
    course = models.ForeignKey(
        "courses.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diary_entries",
    )
    date = models.DateField()
    mood = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True)
    people = models.ManyToManyField("courses.InventoryPerson", blank=True, related_name="+")
    # Incremented on every save, so that two devices editing the same day cannot
    # silently overwrite each other.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["client", "date"], name="diary_one_entry_per_day"),
            models.CheckConstraint(
                name="diary_mood_0_to_10",
                condition=Q(mood__gte=MOOD_MIN) & Q(mood__lte=MOOD_MAX),
            ),
        ]
        indexes = [models.Index(fields=["course", "date"])]

    def __str__(self) -> str:
        return f"Diary entry {self.public_id}"
