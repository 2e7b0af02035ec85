"""The caseload: every active course the actor may read, with what is overdue, in O(1) queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from openipt.courses.models import Contract, Course, CourseStatus, CourseTaskMark, Session
from openipt.courses.selectors.access import courses_visible_to
from openipt.measures.models import MeasureAdministration
from openipt.protocol.tasks import TaskCode

if TYPE_CHECKING:
    from openipt.accounts.models import User
    from openipt.practice.models import Practice

# The caseload shows one instrument per client: the PHQ-9 when the course has
# one, otherwise the first instrument given in the course (GDS-15 for an older
# adult, PHQ-A for an adolescent…).
PREFERRED_INSTRUMENT = "phq9"


def _current(course_ref: str = "pk") -> QuerySet[MeasureAdministration]:
    """Questionnaires that count (corrections replace what they correct)."""
    return MeasureAdministration.objects.filter(course=OuterRef(course_ref), superseded=False)


def _session_number() -> Coalesce:
    """The session a questionnaire counts for, as an SQL expression on administrations.

    Its own session when linked to one; else the first session on or after its
    date; else the session after the last one recorded (the rule
    `measures.selectors.score_series` applies in Python). Needs `given_on`
    (the local date of `administered_at`) annotated first.
    """
    sessions = Session.objects.filter(course=OuterRef("course"))
    first_after = sessions.filter(date__gte=OuterRef("given_on")).order_by("number")
    last = sessions.order_by("-number")
    return Coalesce(
        F("session__number"),
        Subquery(first_after.values("number")[:1]),
        Subquery(last.values("number")[:1]) + 1,
        Value(1),
        output_field=IntegerField(),
    )


def _score_of(order: tuple[str, str], column: str) -> Subquery:
    """One column of the course's first (or latest) questionnaire of its caseload instrument."""
    rows = (
        _current()
        .filter(instrument_code=OuterRef("score_instrument"))
        .annotate(given_on=TruncDate("administered_at"))
        .annotate(counts_for=_session_number())
        .order_by(*order)
    )
    return Subquery(rows.values(column)[:1])


def caseload_for_actor(*, actor: User, practice: Practice) -> QuerySet[Course]:
    """Active courses of one practice with the numbers the caseload table shows.

    Annotations (computed in the database so the page costs the same number of
    queries for 5 or 500 courses): `last_session`, `last_session_date`,
    `has_baseline`, `ending_raised`, `contract_agreed_at`, and for the caseload
    instrument (`score_instrument`, None when nothing was given yet):
    `baseline_total`, `baseline_session`, `latest_total`, `latest_session`,
    `score_count`.
    """
    latest_contract = Contract.objects.filter(course=OuterRef("pk")).order_by("-number")
    preferred = _current().filter(instrument_code=PREFERRED_INSTRUMENT)
    first_given = _current().order_by("administered_at", "id")
    first, latest = ("administered_at", "id"), ("-administered_at", "-id")
    count = (
        _current()
        .filter(instrument_code=OuterRef("score_instrument"))
        .order_by()
        .values("course")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        courses_visible_to(actor=actor)
        .filter(practice=practice, status=CourseStatus.ACTIVE)
        .select_related("client")
        .annotate(
            last_session=Max("sessions__number"),
            last_session_date=Max("sessions__date"),
            has_baseline=Exists(
                CourseTaskMark.objects.filter(course=OuterRef("pk"), task=TaskCode.BASELINE_MEASURE)
            )
            | Exists(_current()),
            ending_raised=Exists(
                CourseTaskMark.objects.filter(course=OuterRef("pk"), task=TaskCode.ENDING_RAISED)
            ),
            contract_agreed_at=Subquery(latest_contract.values("agreed_at")[:1]),
            score_instrument=Coalesce(
                Subquery(preferred.values("instrument_code")[:1]),
                Subquery(first_given.values("instrument_code")[:1]),
                output_field=CharField(),
            ),
        )
        .annotate(
            baseline_total=_score_of(first, "total"),
            baseline_session=_score_of(first, "counts_for"),
            latest_total=_score_of(latest, "total"),
            latest_session=_score_of(latest, "counts_for"),
            score_count=Subquery(count[:1], output_field=IntegerField()),
        )
        .order_by(F("last_session_date").asc(nulls_first=True), "client__family_name")
    )
