"""The supervisor's reads: a facilitator's page, supervision notes, the site's assignments.

Scope: a supervisor sees the work of the facilitators they supervise at the
site they are working in (the practice switcher's choice), through
`supervised_facilitator_q` from `access.py`, nothing else. Every list is one
query with its numbers computed in the database (subqueries and conditional
aggregates), so a page costs the same number of queries for two facilitators
as for twenty. The urgency queue is in `supervision_queue.py`; it shares the
expressions below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.http import Http404

from openipt.accounts.models import User
from openipt.groups.models import (
    Attendance,
    FidelityRater,
    FidelityRating,
    Group,
    GroupSession,
    GroupSessionStatus,
    SupervisionAssignment,
    SupervisionNote,
)
from openipt.groups.selectors.access import (
    groups_visible_to,
    sessions_visible_to,
    supervised_facilitator_q,
)
from openipt.practice.models import Membership, Role
from openipt.practice.roles import roles_for

if TYPE_CHECKING:
    from openipt.practice.models import Practice


# --------------------------------------------------------------------------- expressions


def _count(rows: QuerySet[Any], group_by: str) -> Coalesce:
    """COUNT(*) of `rows` per outer row, as a correlated subquery (0 when there are none).

    A subquery, not a join: two counts over different joins would multiply each other.
    """
    counted = rows.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def attendance_present() -> Coalesce:
    """Members marked present at the outer Group's held sessions."""
    return _count(
        Attendance.objects.filter(
            session__group=OuterRef("pk"), session__status=GroupSessionStatus.HELD, present=True
        ),
        "session__group",
    )


def attendance_recorded() -> Coalesce:
    """Attendance marks (present or absent) at the outer Group's held sessions."""
    return _count(
        Attendance.objects.filter(
            session__group=OuterRef("pk"), session__status=GroupSessionStatus.HELD
        ),
        "session__group",
    )


def attendance_rate() -> Any:
    """Present ÷ recorded × 100 for the outer Group (NULL before any attendance is recorded)."""
    return (
        Cast(F("present"), FloatField())
        * 100.0
        / NullIf(Cast(F("recorded"), FloatField()), Value(0.0))
    )


def adherence_mean() -> Subquery:
    """Mean adherence percent over the outer Group's held sessions (NULL with none held)."""
    mean = (
        GroupSession.objects.filter(group=OuterRef("pk"), status=GroupSessionStatus.HELD)
        .order_by()
        .values("group")
        .annotate(m=Avg("adherence_percent"))
        .values("m")[:1]
    )
    return Subquery(mean, output_field=FloatField())


def fidelity_score(rater: str) -> Subquery:
    """The outer GroupSession's fidelity score from `rater` (NULL when not rated)."""
    return Subquery(
        FidelityRating.objects.filter(session=OuterRef("pk"), rater=rater).values("score")[:1],
        output_field=IntegerField(),
    )


def _rated_by(rater: str) -> Exists:
    return Exists(FidelityRating.objects.filter(session=OuterRef("pk"), rater=rater))


# --------------------------------------------------------------------------- nav link


def has_supervisees(*, actor: User, practice: Practice | None) -> bool:
    """Whether the actor supervises anyone at `practice` (for the nav link)."""
    if practice is None or Role.SUPERVISOR not in roles_for(actor).in_practice(practice.pk):
        return False
    return SupervisionAssignment.objects.filter(
        practice=practice, supervisor=actor, is_active=True
    ).exists()


# --------------------------------------------------------------------------- facilitator page


def facilitator_get_for_actor(*, actor: User, practice: Practice | None, public_id: UUID) -> User:
    """A facilitator the actor supervises at `practice`, or the actor's own page; else 404."""
    if practice is None:
        raise Http404("No such facilitator.")
    held = roles_for(actor).in_practice(practice.pk)
    reach = Q(pk__in=[])
    if Role.FACILITATOR in held:
        reach |= Q(pk=actor.pk)
    if Role.SUPERVISOR in held:
        reach |= Q(
            supervisors__practice=practice,
            supervisors__supervisor=actor,
            supervisors__is_active=True,
        )
    found = User.objects.filter(reach, public_id=public_id).distinct().first()
    if found is None:
        raise Http404("No such facilitator.")
    return found


def facilitator_groups(*, actor: User, practice: Practice, facilitator: User) -> list[Group]:
    """The facilitator's groups with `present`, `recorded`, `rate`, `held` and `adherence`."""
    held = _count(
        GroupSession.objects.filter(group=OuterRef("pk"), status=GroupSessionStatus.HELD),
        "group",
    )
    return list(
        groups_visible_to(actor=actor)
        .filter(practice=practice, facilitator=facilitator)
        .annotate(
            present=attendance_present(),
            recorded=attendance_recorded(),
            held=held,
            adherence=adherence_mean(),
        )
        .annotate(rate=attendance_rate())
        .select_related("programme")
        .order_by("-started_on", "name", "id")
    )


def _facilitator_sessions(
    *, actor: User, practice: Practice, facilitator: User
) -> QuerySet[GroupSession]:
    return sessions_visible_to(actor=actor).filter(
        group__practice=practice,
        group__facilitator=facilitator,
        status=GroupSessionStatus.HELD,
    )


def fidelity_trend(*, actor: User, practice: Practice, facilitator: User) -> list[GroupSession]:
    """Rated held sessions in time order, with `self_score` and `supervisor_score`."""
    return list(
        _facilitator_sessions(actor=actor, practice=practice, facilitator=facilitator)
        .annotate(
            self_score=fidelity_score(FidelityRater.SELF),
            supervisor_score=fidelity_score(FidelityRater.SUPERVISOR),
        )
        .filter(Q(self_score__isnull=False) | Q(supervisor_score__isnull=False))
        .select_related("group")
        .order_by("held_on", "group__name", "number", "id")
    )


def sessions_awaiting_rating(
    *, actor: User, practice: Practice, facilitator: User, rater: str
) -> list[GroupSession]:
    """Held sessions without a rating from `rater` ("self" or "supervisor"), oldest first."""
    return list(
        _facilitator_sessions(actor=actor, practice=practice, facilitator=facilitator)
        .filter(~_rated_by(rater))
        .select_related("group")
        .order_by("held_on", "group__name", "number", "id")
    )


# --------------------------------------------------------------------------- notes


def supervision_notes_visible_to(*, actor: User) -> QuerySet[SupervisionNote]:
    """Notes about facilitators the actor supervises now (by any of their supervisors).

    Whoever supervises a facilitator reads the notes written before them, so a
    handover keeps the history. Facilitators, admins and managers read none.
    """
    return SupervisionNote.objects.filter(
        supervised_facilitator_q(actor=actor, roles=roles_for(actor), prefix="facilitator")
    )


def supervision_notes_for(
    *, actor: User, practice: Practice, facilitator: User, group: Group | None = None
) -> list[SupervisionNote]:
    notes = supervision_notes_visible_to(actor=actor).filter(
        practice=practice, facilitator=facilitator
    )
    if group is not None:
        notes = notes.filter(group=group)
    return list(notes.select_related("group", "supervisor").order_by("-created_at", "-id"))


# --------------------------------------------------------------------------- assignments


def site_facilitators(*, practice: Practice) -> list[User]:
    """Facilitators of the site (and anyone still supervised there), with `active_assignments`.

    `has_role` says whether they still hold an active facilitator role here.
    """
    facilitator_role = Membership.objects.filter(
        user=OuterRef("pk"), practice=practice, role=Role.FACILITATOR, is_active=True
    )
    assignments = SupervisionAssignment.objects.filter(
        practice=practice, is_active=True
    ).select_related("supervisor")
    return list(
        User.objects.annotate(has_role=Exists(facilitator_role))
        .filter(Q(has_role=True) | Q(supervisors__practice=practice, supervisors__is_active=True))
        .distinct()
        .prefetch_related(
            Prefetch(
                "supervisors",
                queryset=assignments.order_by("supervisor__full_name", "id"),
                to_attr="active_assignments",
            )
        )
        .order_by("full_name", "email")
    )


def site_supervisors(*, practice: Practice) -> QuerySet[User]:
    """People holding an active supervisor role at the site."""
    return User.objects.filter(
        is_active=True,
        memberships__practice=practice,
        memberships__role=Role.SUPERVISOR,
        memberships__is_active=True,
    ).order_by("full_name", "email")


def site_facilitator_users(*, practice: Practice) -> QuerySet[User]:
    """People holding an active facilitator role at the site."""
    return User.objects.filter(
        is_active=True,
        memberships__practice=practice,
        memberships__role=Role.FACILITATOR,
        memberships__is_active=True,
    ).order_by("full_name", "email")
