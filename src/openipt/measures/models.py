"""Questionnaires given to clients, their schedules, and a practice's own instruments.

Instrument definitions and scoring live in the pure `openipt.measures.engine`
package; these models only store what happened (answers, the total and band
the engine computed at the time) and what a practice has configured.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class AdministrationMode(models.TextChoices):
    IN_SESSION = "in_session", "Entered by the clinician"
    PORTAL = "portal", "Completed by the client in the portal"
    API = "api", "Received through the API"


class PracticeInstrument(PublicModel):
    """An instrument a practice defined itself (a local or licensed questionnaire).

    `definition` is the JSON the engine's `parse_definition` accepted on upload;
    it is parsed again on every use, so a definition stays the single source.
    """

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="instruments"
    )
    code = models.CharField(max_length=32)
    version = models.CharField(max_length=16)
    definition = models.JSONField()
    active = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "code", "version"], name="practice_instrument_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"Practice instrument {self.public_id}"


class LicensedText(PublicModel):
    """Item text for an instrument we may not ship (EPDS, PHQ-A), loaded by a licensed practice.

    The latest row for (practice, instrument, version, language) is the one used.
    """

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="licensed_texts"
    )
    instrument_code = models.CharField(max_length=32)
    version = models.CharField(max_length=16)
    language = models.CharField(max_length=16, default="en")
    texts = models.JSONField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["practice", "instrument_code"])]

    def __str__(self) -> str:
        return f"Licensed text {self.public_id}"


class MeasureSchedule(PublicModel):
    """One instrument a course asks for, every N sessions (1 = before each session)."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="measure_schedules"
    )
    instrument_code = models.CharField(max_length=32)
    every_n_sessions = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["instrument_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument_code"], name="measure_schedule_unique_instrument"
            ),
            models.CheckConstraint(
                name="measure_schedule_every_positive", condition=Q(every_n_sessions__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"Measure schedule {self.public_id}"


class MeasureRequest(PublicModel):
    """A questionnaire sent to the client's portal, open until it expires or is completed."""

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="measure_requests"
    )
    instrument_code = models.CharField(max_length=32)
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_administration = models.OneToOneField(
        "measures.MeasureAdministration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="completes_request",
    )
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["course", "expires_at"])]

    def __str__(self) -> str:
        return f"Measure request {self.public_id}"


class MeasureAdministration(PublicModel):
    """One completed questionnaire: the answers and the score the engine gave them.

    Never edited after it is stored: a correction is a new row that `supersedes`
    this one, and this one is marked `superseded`. `total` and `band_code` are
    real columns so that group dashboards can aggregate them in SQL.
    """

    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="measure_administrations"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="measure_administrations"
    )
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="measure_administrations"
    )
    session = models.ForeignKey(
        "courses.Session",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measure_administrations",
    )
    instrument_code = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=16)
    answers = models.JSONField()
    total = models.IntegerField()
    band_code = models.CharField(max_length=32)
    risk_link_ids = models.JSONField(default=list, blank=True)
    prorated = models.BooleanField(default=False)
    administered_at = models.DateTimeField()
    mode = models.CharField(max_length=16, choices=AdministrationMode.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    correction_reason = EncryptedTextField(blank=True)
    superseded = models.BooleanField(default=False)
    request = models.ForeignKey(
        MeasureRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administrations",
    )
    # NULL (not "") means "no key", so that the partial unique constraint below
    # only compares rows that carry one.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["administered_at", "id"]
        indexes = [
            models.Index(
                fields=["course", "instrument_code", "administered_at"],
                name="measure_adm_course_instr_at",
            ),
            models.Index(fields=["practice", "instrument_code"], name="measure_adm_practice_instr"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="measure_adm_idempotency_unique",
            ),
            # A portal request is completed by one original administration only;
            # corrections of it carry no request.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(request__isnull=False),
                name="measure_adm_one_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Measure administration {self.public_id}"


class ExpectedRecoveryCalibration(PublicModel):
    """Expected-recovery parameters fitted from a practice's completed courses.

    `bands` is a list of {"band_code", "k", "n_courses"}; the latest row per
    (practice, instrument) wins, older rows stay as history.
    """

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="recovery_calibrations"
    )
    instrument_code = models.CharField(max_length=32)
    version = models.CharField(max_length=16)
    bands = models.JSONField()
    courses_used = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["practice", "instrument_code"], name="measure_calib_practice_instr"
            )
        ]

    def __str__(self) -> str:
        return f"Expected recovery calibration {self.public_id}"
