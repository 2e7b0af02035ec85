"""Group IPT at programme scale: programmes, sites, groups, members, sessions.

The shape, from the top:

- a `Programme` belongs to an organisation and runs at several sites (practices
  of kind "group programme site", through `ProgrammeSite`); it holds the rules
  every group of it follows: the group variant, the session count and phase
  boundaries, who is eligible, how big a group may be;
- a supervisor supervises named facilitators at a site (`SupervisionAssignment`);
  a supervisor sees the groups of those facilitators only;
- a person is screened (`Screening`); an eligible person becomes a
  `GroupMember` (waiting, then placed in a `Group`), backed by a `Client`
  record of the site so that the safety loop, the optional portal and the audit
  trail work for them exactly as for individual clients;
- a `GroupSession` is one meeting of a group: `Attendance` per member, a PHQ-9
  per present member (`MemberScore`, scored by the same measures engine as
  individual care), a between-session task per member (`MemberTask`), the
  facilitator's notes and the adherence checklist;
- supervision: `FidelityRating` per session (the facilitator's own and the
  supervisor's) and `SupervisionNote` per facilitator or group.

Scores, attendance and statuses are plain columns so that the programme
dashboard can aggregate them in SQL; every piece of free text about a member
is encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel

# RiskAlert.source_type values for alerts raised by a member's PHQ-9 (the safety
# app reads them to route and show these alerts; the groups services write them).
ALERT_SOURCE_SCREENING = "group_screening"
ALERT_SOURCE_SESSION_SCORE = "group_member_score"
GROUP_ALERT_SOURCES = (ALERT_SOURCE_SCREENING, ALERT_SOURCE_SESSION_SCORE)
# RiskAlert.instrument_code of an alert raised because the facilitator ticked the
# "thinking of ending their life now" prompt at screening (no questionnaire item);
# its risk_link_ids hold the prompt's code (openipt.protocol.group.Exclusion).
ALERT_INSTRUMENT_SCREENING_PROMPT = "screening_prompt"


class GroupComposition(models.TextChoices):
    MIXED = "mixed", "Mixed groups"
    BY_GENDER = "by_gender", "Separate groups for women and men"
    BY_AGE = "by_age", "Groups by age band"


class Programme(PublicModel):
    """A group IPT programme run by an organisation over several sites."""

    organisation = models.ForeignKey(
        "practice.Organisation", on_delete=models.PROTECT, related_name="programmes"
    )
    name = models.CharField(max_length=200)
    # A code from openipt.protocol.group.GROUP_VARIANTS.
    variant_code = models.CharField(max_length=32, default="group_who")
    group_sessions = models.PositiveSmallIntegerField(default=8)
    # The last session of the initial and of the middle phase; the rest is termination.
    initial_last = models.PositiveSmallIntegerField(default=1)
    middle_last = models.PositiveSmallIntegerField(default=7)
    # Eligibility at screening (PHQ-9 total, age in years).
    min_phq9 = models.PositiveSmallIntegerField(default=10)
    max_phq9 = models.PositiveSmallIntegerField(null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True, default=18)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    min_group_size = models.PositiveSmallIntegerField(default=4)
    max_group_size = models.PositiveSmallIntegerField(default=10)
    composition = models.CharField(
        max_length=16, choices=GroupComposition.choices, default=GroupComposition.MIXED
    )
    caregiver_session = models.BooleanField(
        default=False, help_text="Adolescent groups: a joint session with a parent or caregiver."
    )
    # Thresholds for the supervisor's queue.
    low_attendance_percent = models.PositiveSmallIntegerField(default=60)
    low_adherence_percent = models.PositiveSmallIntegerField(default=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.CheckConstraint(
                name="programme_phases_in_order",
                condition=Q(initial_last__gte=1)
                & Q(middle_last__gt=models.F("initial_last"))
                & Q(group_sessions__gt=models.F("middle_last")),
            ),
            models.CheckConstraint(
                name="programme_group_size_in_order",
                condition=Q(min_group_size__gte=1)
                & Q(max_group_size__gte=models.F("min_group_size")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgrammeSite(PublicModel):
    """A practice (site) where a programme runs."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="sites")
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="programme_sites"
    )

    class Meta:
        ordering = ["practice__name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "practice"], name="programme_site_unique"),
        ]

    def __str__(self) -> str:
        return f"Programme site {self.public_id}"


class SupervisionAssignment(PublicModel):
    """A supervisor supervises a facilitator at one site. Ending the row ends the access."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="supervision_assignments"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisees"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisors"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practice__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "supervisor", "facilitator"],
                name="supervision_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Supervision assignment {self.public_id}"


class GroupStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Group(PublicModel):
    """One group of a programme at a site, led by one facilitator."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="groups")
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="ipt_groups"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_groups"
    )
    # A short label the facilitator recognises ("Tuesday women's group"), not a diagnosis.
    name = models.CharField(max_length=120)
    # Copied from the programme when the group is formed, so that a later change
    # of the programme's rules does not renumber a running group's phases.
    planned_sessions = models.PositiveSmallIntegerField()
    initial_last = models.PositiveSmallIntegerField()
    middle_last = models.PositiveSmallIntegerField()
    max_size = models.PositiveSmallIntegerField()
    # "women", "men", "18-29"…: only meaningful when the programme separates groups.
    composition_label = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=16, choices=GroupStatus.choices, default=GroupStatus.FORMING
    )
    started_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["practice", "status"], name="group_practice_status"),
            models.Index(fields=["facilitator", "status"], name="group_facilitator_status"),
        ]

    def __str__(self) -> str:
        return f"Group {self.public_id}"


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    BELOW_THRESHOLD = "below_threshold", "Not eligible: symptoms below the threshold"
    REFER = "refer", "Referred for other care"
    OUT_OF_AGE_RANGE = "out_of_age_range", "Not eligible: outside the age range"


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    OTHER = "other", "Another gender"
    NOT_SAID = "not_said", "Prefers not to say"


class Screening(PublicModel):
    """One screening of one person for a programme: the PHQ-9 and the decision."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="screenings")
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="group_screenings"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="group_screenings"
    )
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField()
    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.NOT_SAID)
    phq9_answers = models.JSONField()
    phq9_total = models.PositiveSmallIntegerField()
    phq9_band = models.CharField(max_length=32)
    risk_link_ids = models.JSONField(default=list, blank=True)
    # Exclusion codes (openipt.protocol.group.Exclusion) the facilitator ticked.
    exclusions = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=24, choices=ScreeningOutcome.choices)
    referral_note = EncryptedTextField(blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-screened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="screening_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.public_id}"


class MemberStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a group"
    ENROLLED = "enrolled", "In a group"
    COMPLETED = "completed", "Completed"
    DROPPED = "dropped", "Left the group"


class GroupMember(PublicModel):
    """An eligible person in a programme: on the waiting list, then in one group.

    The pre-group individual session, and the optional joint session with a
    caregiver, are recorded on this row (their free text encrypted).
    `problem_area` is a code from openipt.protocol.problem_areas.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="members")
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="group_members"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="group_memberships"
    )
    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="member")
    # The facilitator who screened the person and looks after them until placement.
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_members_screened"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.NOT_SAID)
    status = models.CharField(
        max_length=16, choices=MemberStatus.choices, default=MemberStatus.WAITING
    )
    problem_area = models.CharField(max_length=32, blank=True)
    # Pre-group individual session.
    pre_group_at = models.DateTimeField(null=True, blank=True)
    pre_group_symptoms = EncryptedTextField(blank=True)
    pre_group_onset = EncryptedTextField(blank=True)  # onset and the interpersonal events around it
    pre_group_hopes = EncryptedTextField(blank=True)
    # Optional joint session with a parent or caregiver (adolescent groups, when
    # the programme offers it): who came ("mother", "grandfather") and notes.
    caregiver_session_at = models.DateTimeField(null=True, blank=True)
    caregiver_session_who = EncryptedTextField(blank=True)
    caregiver_session_notes = EncryptedTextField(blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    drop_reason = EncryptedTextField(blank=True)
    # Incremented on every edit: a stale edit is refused with the text kept.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["client__family_name", "client__given_name", "id"]
        indexes = [
            models.Index(fields=["practice", "status"], name="group_member_practice_status"),
            models.Index(fields=["group", "status"], name="group_member_group_status"),
        ]

    def __str__(self) -> str:
        return f"Group member {self.public_id}"


class GroupSessionStatus(models.TextChoices):
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class GroupSession(PublicModel):
    """One meeting of a group, numbered from 1 within the group."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    held_on = models.DateField()
    status = models.CharField(
        max_length=16, choices=GroupSessionStatus.choices, default=GroupSessionStatus.HELD
    )
    notes = EncryptedTextField(blank=True)
    # Codes of the adherence items (openipt.protocol.group) the facilitator ticked.
    adherence_checked = models.JSONField(default=list, blank=True)
    # Share of the phase's adherence items ticked, 0–100, kept for SQL aggregates.
    adherence_percent = models.PositiveSmallIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The form's key: a resubmission (a dropped connection, a double tap) stores nothing twice.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["group", "number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="group_session_unique_number"),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="group_session_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Group session {self.public_id}"


class Attendance(PublicModel):
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="attendance")
    present = models.BooleanField()

    class Meta:
        ordering = ["session", "member"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_unique"),
        ]

    def __str__(self) -> str:
        return f"Attendance {self.public_id}"


class MemberScore(PublicModel):
    """One questionnaire (PHQ-9) of one member: at screening or at a group session.

    Scored by the measures engine from the same instrument definitions as
    individual care; stored once, corrected by re-saving the session form
    (the row is replaced within the session's transaction and audited).
    """

    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="scores")
    session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="group_member_scores"
    )
    instrument_code = models.CharField(max_length=32, default="phq9")
    instrument_version = models.CharField(max_length=16)
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band_code = models.CharField(max_length=32)
    risk_link_ids = models.JSONField(default=list, blank=True)
    administered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["administered_at", "id"]
        indexes = [
            models.Index(fields=["member", "administered_at"], name="member_score_member_at"),
            models.Index(fields=["practice", "instrument_code"], name="member_score_practice"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member", "instrument_code"],
                condition=Q(session__isnull=False),
                name="member_score_one_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Member score {self.public_id}"


class TaskOutcome(models.TextChoices):
    NOT_REVIEWED = "", "Not reviewed yet"
    DONE = "done", "Done"
    PARTLY = "partly", "Partly"
    NOT_DONE = "not_done", "Not done"


class MemberTask(PublicModel):
    """What a member will try before the next session, agreed at `session`."""

    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="tasks")
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="tasks")
    text = EncryptedTextField()
    outcome = models.CharField(max_length=16, choices=TaskOutcome.choices, blank=True)
    reviewed_at_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["session", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="member_task_one_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"Member task {self.public_id}"


class FidelityRater(models.TextChoices):
    SELF = "self", "Facilitator (self-rating)"
    SUPERVISOR = "supervisor", "Supervisor"


class FidelityRating(PublicModel):
    """A 1–5 rating of how closely a session kept to group IPT (a mean ≥ 3 is adequate)."""

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="fidelity")
    rater = models.CharField(max_length=16, choices=FidelityRater.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField()
    comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["session", "rater"]
        constraints = [
            models.UniqueConstraint(fields=["session", "rater"], name="fidelity_one_per_rater"),
            models.CheckConstraint(
                name="fidelity_score_1_to_5", condition=Q(score__gte=1) & Q(score__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"Fidelity rating {self.public_id}"


class SupervisionNote(PublicModel):
    """A supervisor's note about a facilitator's work, optionally about one group."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="supervision_notes"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="supervision_notes"
    )
    text = EncryptedTextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Supervision note {self.public_id}"
