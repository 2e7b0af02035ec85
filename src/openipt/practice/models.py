"""The tenancy boundary: organisations, practices, memberships, clients, care teams.

Every clinical row belongs to exactly one practice, and every read of one goes
through a selector in `practice.selectors` (or the owning app's selectors)
that is scoped to the actor.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from openipt.core.fields import EncryptedTextField
from openipt.core.models import PublicModel


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    CLINICIAN = "clinician", "Clinician"
    FACILITATOR = "facilitator", "Facilitator"
    SUPERVISOR = "supervisor", "Supervisor"
    PRACTICE_ADMIN = "practice_admin", "Practice admin"
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"


# Roles that see or manage other people's data. They must have MFA active
# before any client data is shown to them.
STAFF_ROLES = frozenset(
    {
        Role.CLINICIAN,
        Role.FACILITATOR,
        Role.SUPERVISOR,
        Role.PRACTICE_ADMIN,
        Role.PROGRAMME_MANAGER,
    }
)
# Roles held in a practice; the programme manager role is held in an organisation.
PRACTICE_ROLES = [r for r in Role if r != Role.PROGRAMME_MANAGER]


class Organisation(PublicModel):
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PracticeKind(models.TextChoices):
    CLINIC = "clinic", "Clinic"
    GROUP_SITE = "group_site", "Group programme site"


class Practice(PublicModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="practices"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=16, choices=PracticeKind.choices, default=PracticeKind.CLINIC
    )
    contact_phone = models.CharField(max_length=50, blank=True)
    crisis_line = models.CharField(
        max_length=200,
        blank=True,
        help_text="Shown to clients beside every page, e.g. '988 (US)' or '112 (EU)'.",
    )
    # IPT settings a practice may choose (protocol note §3).
    problem_area_labels = models.JSONField(
        default=dict,
        blank=True,
        help_text="Display labels by problem-area code, e.g. {'role_transition': 'Life changes'}.",
    )
    grief_includes_non_death_losses = models.BooleanField(
        default=False,
        help_text="Classic IPT treats most non-death losses as role transitions.",
    )
    # Off by default: clinicians usually go through scores with the client first.
    clients_see_own_scores = models.BooleanField(
        default=False,
        help_text="Clients see their own questionnaire scores as a chart in the portal.",
    )

    class Meta:
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(PublicModel):
    """One role held by one person in one practice (or, for programme managers, an organisation)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practice__name", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(role=Role.PROGRAMME_MANAGER, practice__isnull=True)
                    | (~Q(role=Role.PROGRAMME_MANAGER) & Q(practice__isnull=False))
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "practice", "role"],
                condition=Q(practice__isnull=False),
                name="membership_unique_practice_role",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(practice__isnull=True),
                name="membership_unique_organisation_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} membership {self.public_id}"


class ClientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Client(PublicModel):
    """A person receiving care. Archived, never deleted: clinical records are kept."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="client_record",
        help_text="The portal account, once the client has accepted an invitation.",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=50, blank=True)
    date_of_birth = models.DateField()
    language = models.CharField(max_length=16, default="en")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    address = EncryptedTextField(blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=50, blank=True)
    access_needs = EncryptedTextField(
        blank=True,
        help_text="Interpreters, hearing or sight, mobility, preferred contact times…",
    )
    status = models.CharField(
        max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Incremented on every edit so that two people editing one record cannot
    # silently overwrite each other (the second save is refused).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["practice", "status", "family_name", "given_name"])]

    def __str__(self) -> str:
        return f"Client {self.public_id}"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}"

    @property
    def language_label(self) -> str:
        return dict(settings.CLIENT_LANGUAGES).get(self.language, self.language)

    @property
    def is_archived(self) -> bool:
        return self.status == ClientStatus.ARCHIVED


class CareTeamRole(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"


class CareTeamMember(PublicModel):
    """A staff member assigned to a client. Removing the row removes access at once."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_assignments"
    )
    role = models.CharField(max_length=16, choices=CareTeamRole.choices)

    class Meta:
        ordering = ["role", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="care_team_unique_member"),
        ]

    def __str__(self) -> str:
        return f"Care team member {self.public_id}"
