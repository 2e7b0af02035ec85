"""The caseload: every active course the actor may read, with what is overdue, in O(1) queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, F, Max, OuterRef, QuerySet, Subquery

from openipt.courses.models import Contract, Course, CourseStatus, CourseTaskMark
from openipt.courses.selectors.access import courses_visible_to
from openipt.protocol.tasks import TaskCode

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice


def caseload_for_actor(*, actor: User, practice: Practice) -> QuerySet[Course]:
    """Active courses of one practice with the numbers the caseload table shows.

    Annotations (computed in the database so the page costs the same number of
    queries for 5 or 500 courses): `last_session`, `last_session_date`,
    `has_baseline`, `ending_raised`, `contract_agreed`.
    """
    latest_contract = Contract.objects.filter(course=OuterRef("pk")).order_by("-number")
    return (
        courses_visible_to(actor=actor)
        .filter(practice=practice, status=CourseStatus.ACTIVE)
        .select_related("client")
        .annotate(
            last_session=Max("sessions__number"),
            last_session_date=Max("sessions__date"),
            has_baseline=Exists(
                CourseTaskMark.objects.filter(course=OuterRef("pk"), task=TaskCode.BASELINE_MEASURE)
            ),
            ending_raised=Exists(
                CourseTaskMark.objects.filter(course=OuterRef("pk"), task=TaskCode.ENDING_RAISED)
            ),
            contract_agreed_at=Subquery(latest_contract.values("agreed_at")[:1]),
        )
        .order_by(F("last_session_date").asc(nulls_first=True), "client__family_name")
    )
