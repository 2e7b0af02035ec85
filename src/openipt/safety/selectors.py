"""Reads of the safety loop, scoped to the actor: outside reach is a 404.

Who sees a risk alert (and may acknowledge it):
- the clinicians on the client's care team (with an active clinician role);
- every supervisor of the practice;
- the practice's on-call person, while their membership is active.
Practice admins, facilitators, programme managers and clients see no alerts.

Safety plans: the care-team clinicians read and write, supervisors read, the
client reads their own (through `own_plan_versions`), nobody else.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from openipt.groups.models import GROUP_ALERT_SOURCES, Screening, SupervisionAssignment
from openipt.practice.models import CareTeamMember, CareTeamRole, Client, Membership, Role
from openipt.practice.roles import ActorRoles, roles_for
from openipt.practice.selectors import client_get_for_actor
from openipt.safety.models import (
    UNACKNOWLEDGED,
    AlertNotification,
    AlertStatus,
    CrisisResource,
    NotificationStatus,
    RiskAlert,
    RiskAlertEvent,
    SafetyPlanVersion,
    SafetySettings,
)

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# Roles that may act on alerts in a practice beyond the care team.
SEES_EVERY_ALERT = frozenset({Role.SUPERVISOR})
SEES_CARE_TEAM_ALERTS = frozenset({Role.CLINICIAN})
# Roles that can be named the practice's on-call person.
ON_CALL_ROLES = (Role.CLINICIAN, Role.SUPERVISOR)
# How many acknowledged alerts the queue lists under the open ones.
RECENTLY_ACKNOWLEDGED = 50


def _supervisor_reaches(actor: User) -> Q:
    """A supervisor sees every alert of their practice, except one group rule.

    An alert about a group member goes first to the supervisors of the member's
    facilitator, and only they see it (a site supervisor oversees named
    facilitators, not the whole site); once it is escalated, every supervisor
    of the site is told and sees it. When the facilitator has no supervisor,
    every supervisor of the site is told at once and sees it.
    """
    assignments_for_member = SupervisionAssignment.objects.filter(
        practice_id=OuterRef("practice_id"), is_active=True
    ).filter(
        Q(facilitator__group_members_screened__client_id=OuterRef("client_id"))
        | Q(facilitator__facilitated_groups__members__client_id=OuterRef("client_id"))
        # A person referred at screening has no member row: their screener's supervisors.
        | Q(
            facilitator_id__in=Screening.objects.filter(
                client_id=OuterRef(OuterRef("client_id"))
            ).values("screened_by_id")
        )
    )
    return (
        ~Q(source_type__in=GROUP_ALERT_SOURCES)
        | Q(status=AlertStatus.ESCALATED)
        | Q(Exists(assignments_for_member.filter(supervisor=actor)))
        # Nobody supervises the facilitator: every supervisor of the site was
        # told at once, so every one of them must be able to act.
        | ~Q(Exists(assignments_for_member))
    )


def _alert_filter(*, actor: User, roles: ActorRoles) -> Q:
    every = [p for p, r in roles.by_practice.items() if r & SEES_EVERY_ALERT]
    care = [p for p, r in roles.by_practice.items() if r & SEES_CARE_TEAM_ALERTS]
    staff = [p for p, r in roles.by_practice.items() if r & set(ON_CALL_ROLES)]
    condition = Q(pk__in=[])
    if every:
        condition |= Q(practice_id__in=every) & _supervisor_reaches(actor)
    if care:
        on_team = Exists(
            CareTeamMember.objects.filter(
                client=OuterRef("client"), user=actor, role=CareTeamRole.CLINICIAN
            )
        )
        condition |= Q(practice_id__in=care) & Q(on_team)
    if staff:
        on_call = Exists(
            SafetySettings.objects.filter(
                practice=OuterRef("practice"), on_call__user=actor, on_call__is_active=True
            )
        )
        condition |= Q(practice_id__in=staff) & Q(on_call)
    return condition


def alerts_visible_to(*, actor: User) -> QuerySet[RiskAlert]:
    return RiskAlert.objects.filter(_alert_filter(actor=actor, roles=roles_for(actor)))


def alert_get_for_actor(*, actor: User, public_id: UUID | str) -> RiskAlert:
    """An alert the actor may see and act on, or a 404 exactly like a missing id."""
    try:
        return (
            alerts_visible_to(actor=actor)
            .select_related("client", "practice", "course", "acknowledged_by", "raised_by")
            .get(public_id=public_id)
        )
    except (RiskAlert.DoesNotExist, ValueError) as exc:
        raise Http404("No such alert.") from exc


def unacknowledged_alerts_for_client(*, actor: User, client: Client) -> list[RiskAlert]:
    """The client's alerts still waiting for someone to act, for the course and session pages."""
    return list(
        alerts_visible_to(actor=actor)
        .filter(client=client, status__in=UNACKNOWLEDGED)
        .order_by("raised_at")
    )


def can_acknowledge(*, actor: User, alert: RiskAlert) -> bool:
    """Everyone who may see an alert may acknowledge it: its purpose is to be acted on."""
    return alerts_visible_to(actor=actor).filter(pk=alert.pk).exists()


def can_see_alert_queue(roles: frozenset[str]) -> bool:
    return bool(roles & (SEES_EVERY_ALERT | SEES_CARE_TEAM_ALERTS))


@dataclass(frozen=True)
class AlertRow:
    alert: RiskAlert
    overdue: bool
    delivery_failed: bool


def _rows(alerts: QuerySet[RiskAlert], now: datetime.datetime) -> list[AlertRow]:
    return [
        AlertRow(
            alert=a,
            overdue=a.status != AlertStatus.ACKNOWLEDGED and a.ack_deadline <= now,
            delivery_failed=bool(getattr(a, "delivery_failed", False)),
        )
        for a in alerts
    ]


def _with_delivery_state(alerts: QuerySet[RiskAlert]) -> QuerySet[RiskAlert]:
    failed = AlertNotification.objects.filter(
        alert=OuterRef("pk"), status=NotificationStatus.FAILED
    )
    return alerts.select_related("client", "course").annotate(delivery_failed=Exists(failed))


def open_alerts_for_home(
    *, actor: User, practice: Practice, now: datetime.datetime | None = None
) -> list[AlertRow]:
    """Unacknowledged alerts for the clinician's or supervisor's home, escalated first.

    A constant number of queries whatever the number of alerts (roles + one).
    """
    now = now or timezone.now()
    alerts = (
        _with_delivery_state(alerts_visible_to(actor=actor))
        .filter(practice=practice, status__in=UNACKNOWLEDGED)
        .order_by("ack_deadline", "id")
    )
    rows = _rows(alerts, now)
    # Escalated and overdue alerts first, then by deadline.
    rows.sort(key=lambda r: (not r.overdue, r.alert.status != AlertStatus.ESCALATED))
    return rows


def alert_queue(
    *, actor: User, practice: Practice, now: datetime.datetime | None = None
) -> tuple[list[AlertRow], list[AlertRow]]:
    """(unacknowledged, recently acknowledged) alerts of one practice that the actor may see."""
    now = now or timezone.now()
    open_rows = open_alerts_for_home(actor=actor, practice=practice, now=now)
    done = (
        _with_delivery_state(alerts_visible_to(actor=actor))
        .filter(practice=practice, status=AlertStatus.ACKNOWLEDGED)
        .select_related("acknowledged_by")
        .order_by("-acknowledged_at", "-id")[:RECENTLY_ACKNOWLEDGED]
    )
    return open_rows, _rows(done, now)


def alert_history(alert: RiskAlert) -> QuerySet[RiskAlertEvent]:
    return alert.events.select_related("actor", "recipient").order_by("id")


def alert_notifications(alert: RiskAlert) -> QuerySet[AlertNotification]:
    return alert.notifications.select_related("recipient").order_by("created_at", "id")


# --- practice settings -------------------------------------------------------------


def safety_settings_get(practice: Practice) -> SafetySettings:
    """The practice's settings, or unsaved defaults when it has never changed them."""
    try:
        return SafetySettings.objects.select_related("on_call", "on_call__user").get(
            practice=practice
        )
    except SafetySettings.DoesNotExist:
        return SafetySettings(practice=practice)


def on_call_candidates(*, practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(practice=practice, is_active=True, role__in=ON_CALL_ROLES)
        .select_related("user")
        .order_by("user__full_name", "role")
    )


def crisis_resources_admin(*, practice: Practice) -> QuerySet[CrisisResource]:
    return CrisisResource.objects.filter(practice=practice, archived=False).order_by(
        "language", "order", "name", "id"
    )


def crisis_resource_get_for_admin(*, practice: Practice, public_id: UUID | str) -> CrisisResource:
    try:
        return crisis_resources_admin(practice=practice).get(public_id=public_id)
    except (CrisisResource.DoesNotExist, ValueError) as exc:
        raise Http404("No such resource.") from exc


@dataclass(frozen=True)
class CrisisPage:
    resources: list[CrisisResource]
    language: str
    fell_back: bool  # the client's language has no resources; English (or any) shown instead
    statement: str


def crisis_page_for(*, practice: Practice | None, language: str) -> CrisisPage:
    """The practice's crisis resources in `language`, else English, else whatever it has."""
    if practice is None:
        return CrisisPage(resources=[], language=language, fell_back=False, statement="")
    statement = safety_settings_get(practice).reply_time_statement
    everything = list(crisis_resources_admin(practice=practice))
    for candidate in (language, "en"):
        chosen = [r for r in everything if r.language == candidate]
        if chosen:
            return CrisisPage(
                resources=chosen,
                language=candidate,
                fell_back=candidate != language,
                statement=statement,
            )
    return CrisisPage(
        resources=everything, language=language, fell_back=bool(everything), statement=statement
    )


# --- safety plans -------------------------------------------------------------------


def _on_care_team_as_clinician(actor: User, client: Client) -> bool:
    return CareTeamMember.objects.filter(
        client=client, user=actor, role=CareTeamRole.CLINICIAN
    ).exists()


def can_write_plan(*, actor: User, client: Client) -> bool:
    roles = roles_for(actor).in_practice(client.practice_id)
    return Role.CLINICIAN in roles and _on_care_team_as_clinician(actor, client)


def can_read_plan(*, actor: User, client: Client) -> bool:
    """Whether the client record page may link to the safety plan (care team or supervisor)."""
    roles = roles_for(actor).in_practice(client.practice_id)
    return can_write_plan(actor=actor, client=client) or Role.SUPERVISOR in roles


def plan_client_for_reading(*, actor: User, public_id: UUID | str) -> tuple[Client, bool]:
    """(client, can_write) for a plan the actor may read; 404 for anyone else.

    Practice admins can see the client record but not its clinical content, so
    they get the same 404 as a stranger.
    """
    client = client_get_for_actor(actor=actor, public_id=public_id)
    roles = roles_for(actor).in_practice(client.practice_id)
    writes = can_write_plan(actor=actor, client=client)
    if not (writes or Role.SUPERVISOR in roles):
        raise Http404("No such client.")
    return client, writes


def plan_client_for_writing(*, actor: User, public_id: UUID | str) -> Client:
    """A client whose plan the actor may edit: 404 if they cannot read it, 403 if they only read."""
    client, writes = plan_client_for_reading(actor=actor, public_id=public_id)
    if not writes:
        raise PermissionDenied
    return client


def plan_versions(client: Client) -> QuerySet[SafetyPlanVersion]:
    return SafetyPlanVersion.objects.filter(plan__client=client).select_related("edited_by")


def plan_latest(client: Client) -> SafetyPlanVersion | None:
    return plan_versions(client).order_by("-number").first()


def plan_number_of_latest(client: Client) -> int:
    latest = plan_versions(client).order_by("-number").values_list("number", flat=True).first()
    return latest or 0
